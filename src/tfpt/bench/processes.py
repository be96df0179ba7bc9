"""The process as the statistical unit of a benchmark run: N fresh `pytest` processes of the same benchmarks,
each saving pytest-benchmark's JSON, merged into one run in pytest-benchmark's own format, where each benchmark
carries its per-process medians (`extra_info["process_medians"]`, and `yardstick_process_medians` for the matmul
timed beside its rounds). Its `median` is the median of the process medians; its raw rounds are all processes'
rounds, in process order. The regression gate (tfpt.report.regressions) compares process medians when both runs
have at least 3; tfpt-ab compares two versions the same way.

Why: rounds inside one process share its allocator, thread placement and kernel choice, so they are not
independent samples of what a re-run gives (two back-to-back unchanged runs: PyTorch's bf16 batch-1 call
0.453 -> 0.840 ms, "p = 1.9e-64" across rounds). numpy only; no framework is imported here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from tfpt import procs


def pytest_cmd(python, tests, k: str | None, out: Path, pytest_args=()) -> list:
    """One fresh benchmark process: timing on, no xdist, the JSON written to `out`."""
    cmd = [str(python), "-m", "pytest", *tests, "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
           "--benchmark-enable", "--benchmark-only", f"--benchmark-json={out}"]
    return cmd + (["-k", k] if k else []) + list(pytest_args)


def run_one(python, tests, k: str | None, out: Path, cwd=None, env=None, pytest_args=(), label: str = "") -> dict:
    """Run one process (its output to stderr) and return its saved JSON; RuntimeError if it failed."""
    proc = procs.run(pytest_cmd(python, tests, k, out, pytest_args), cwd=cwd, env=env or procs.child_env(),
                     stdout=sys.stderr.fileno())
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"{label or 'a benchmark process'}: pytest exited {proc.returncode}; its messages are above")
    return json.loads(out.read_text())


def medians(doc: dict) -> dict:
    """{benchmark fullname: median seconds} of one process's JSON."""
    return {b.get("fullname") or b["name"]: b["stats"]["median"] for b in doc["benchmarks"]}


def merge(docs: list[dict]) -> dict:
    """One run from N processes' JSON: the benchmarks every process ran, each with its process medians."""
    if not docs:
        raise ValueError("no process to merge")
    by_name = [{b.get("fullname") or b["name"]: b for b in d["benchmarks"]} for d in docs]
    common = [n for n in by_name[0] if all(n in other for other in by_name[1:])]
    merged = []
    for name in common:
        parts = [p[name] for p in by_name]
        first = parts[0]
        data = [x for p in parts for x in (p["stats"].get("data") or [])]
        per = [float(p["stats"]["median"]) for p in parts]
        stats = {**first["stats"], "median": float(np.median(per)), "rounds": len(data) or first["stats"]["rounds"]}
        if data:
            stats.update(data=data, min=min(data), max=max(data), mean=float(np.mean(data)))
        extra = dict(first.get("extra_info") or {})
        extra.update(processes=len(parts), process_medians=per)
        sticks = [p.get("extra_info", {}).get("yardstick_s") for p in parts]
        if all(sticks):
            extra["yardstick_s"] = [x for s in sticks for x in s]
            extra["yardstick_process_medians"] = [float(np.median(s)) for s in sticks]
        rss = [p.get("extra_info", {}).get("peak_rss_mb") for p in parts]
        if all(r is not None for r in rss):
            extra.update(peak_rss_mb=float(np.median(rss)), process_peak_rss_mb=rss)
        offset, idle = 0, []
        for p in parts:  # idle rounds' indices, shifted into the merged rounds
            idle += [offset + i for i in p.get("extra_info", {}).get("idle_rounds") or []]
            offset += len(p["stats"].get("data") or [])
        if idle or "idle_rounds" in extra:
            extra["idle_rounds"] = idle
        merged.append({**first, "stats": stats, "extra_info": extra})
    return {**docs[0], "benchmarks": merged}


def next_path(storage: Path, machine_id: str, tag: str) -> Path:
    """Where pytest-benchmark's autosave would put the next run: <storage>/<machine id>/NNNN_<tag>.json."""
    folder = Path(storage) / machine_id
    numbers = [int(p.name[:4]) for p in folder.glob("[0-9][0-9][0-9][0-9]_*.json")] if folder.is_dir() else []
    return folder / f"{max(numbers, default=0) + 1:04d}_{tag}.json"
