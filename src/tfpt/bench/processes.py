"""The process as the statistical unit of a benchmark run: N fresh `pytest` processes of the same benchmarks,
each saving pytest-benchmark's JSON, merged into one run in pytest-benchmark's own format, where each benchmark
carries its per-process medians (`extra_info["process_medians"]`, and `yardstick_process_medians` for the matmul
timed beside its rounds). Its `median` is the median of the process medians; its raw rounds are all processes'
rounds, in process order. The regression gate (tfpt.report.regressions) compares process medians when both runs
have at least 3; tfpt-ab compares two versions the same way.

Why: rounds inside one process share its allocator, thread placement and kernel choice, so they are not
independent samples of what a re-run gives (two back-to-back unchanged runs: PyTorch's bf16 batch-1 call
0.453 -> 0.840 ms, "p = 1.9e-64" across rounds). numpy only; no framework is imported here.

A process can be run with its thread pools fixed (`thread_env`: environment variables every version of the
frameworks reads) and pinned to CPUs (`pinned_cpus`, `run_one(cpus=)`): what tfpt-ab does by default, because on a
busy 2-core box the frameworks' own 2 threads spread a training step's process medians 16.6x (tfpt.cli.ab).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tfpt import procs
from tfpt.cli.exitcodes import BAD_INPUT, RUNTIME, USAGE, UserError

# pytest's own exit codes, each with what it means for a benchmark process and the command's exit code
# (tfpt.cli.exitcodes): a usage error or an empty selection is the command line's fault, the rest a failed run.
PYTEST_EXIT = {
    1: ("some benchmarks failed", RUNTIME),
    2: ("interrupted: a test file failed to import, or the run was stopped", RUNTIME),
    3: ("pytest's internal error", RUNTIME),
    4: ("pytest refused its command line (a test path or an option in --pytest-args)", USAGE),
    5: ("no test was selected (-k and the test paths select nothing)", USAGE),
}
PROBE = "import sys, tfpt, pytest, pytest_benchmark; print('tfpt-side-ok', sys.version_info[0])"


class ProcessFailed(RuntimeError):
    """A benchmark process failed; `code` is the command's exit code for it (PYTEST_EXIT)."""

    def __init__(self, text: str, code: int = RUNTIME):
        super().__init__(text)
        self.code = code


def pytest_cmd(python, tests, k: str | None, out: Path, pytest_args=()) -> list:
    """One fresh benchmark process: timing on, no xdist, the JSON written to `out`."""
    cmd = [str(python), "-m", "pytest", *tests, "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
           "--benchmark-enable", "--benchmark-only", f"--benchmark-json={out}"]
    return cmd + (["-k", k] if k else []) + list(pytest_args)


# What a benchmark process's thread pools read at start-up: OpenMP (torch's intra-op pool), MKL, OpenBLAS and
# TensorFlow's two pools. Any version of either side honours them: nothing in the side's code has to know.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
               "TF_NUM_INTEROP_THREADS")


def thread_env(threads: int) -> dict:
    """The environment that fixes every framework's thread pools at `threads` (0: their own defaults, nothing set)."""
    return {name: str(threads) for name in THREAD_VARS} if threads else {}


def pinned_cpus(threads: int, allowed=None) -> set | None:
    """The CPUs a benchmark process of `threads` threads is pinned to: the last `threads` of the ones this process
    may use (CPU 0 takes most interrupts and the parent); None where that would be all of them or `threads` is 0."""
    allowed = sorted(os.sched_getaffinity(0) if allowed is None else allowed)
    return set(allowed[-threads:]) if 0 < threads < len(allowed) else None


def run_one(python, tests, k: str | None, out: Path, cwd=None, env=None, pytest_args=(), label: str = "",
            cpus: set | None = None) -> dict:
    """Run one process (its output to stderr) and return its saved JSON; ProcessFailed if it failed. `cpus`: pin
    it (and every thread and child it starts) to these CPUs, before its interpreter starts."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = procs.run(pytest_cmd(python, tests, k, out, pytest_args), cwd=cwd, env=env or procs.child_env(),
                     stdout=sys.stderr.fileno(), preexec_fn=pin)
    if proc.returncode != 0 or not out.is_file():
        meaning, code = PYTEST_EXIT.get(proc.returncode, ("it wrote no benchmark JSON", RUNTIME))
        raise ProcessFailed(f"{label or 'a benchmark process'}: pytest exited {proc.returncode}, {meaning}; its "
                            "messages are above", code)
    return json.loads(out.read_text())


def _last_line(text: str) -> str:
    """What a failed child said, in one line: its last line naming an error (pytest's usage error is followed
    by its rootdir lines), else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower()]
    said = errors[-1] if errors else lines[-1] if lines else "nothing"
    return said if len(said) <= 200 else said[:197] + "..."


def check_side(python, tests, k: str | None, cwd=None, env=None, pytest_args=(), what: str = "",
               own_args=()) -> None:
    """Before any benchmark runs, what one side's processes need, each a UserError (one line) naming `what` (the
    option that chose the interpreter): it runs Python with tfpt, pytest and pytest-benchmark importable; the test
    paths exist in the folder it runs in; pytest accepts the command line and -k selects at least one test
    (`pytest --collect-only`, no test run). `own_args`: the command's own pytest options (tfpt-ab's timer),
    checked with the user's --pytest-args but not named as theirs."""
    cwd = Path(cwd or Path.cwd())
    env = {**(env or procs.child_env()), "PYTHONDONTWRITEBYTECODE": "1"}  # the checks leave nothing behind
    fix = "pass a tox env, a venv or a checkout whose Python has them (pip install -e <checkout>)"
    try:
        probe = procs.run([str(python), "-c", PROBE], capture=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise UserError(what, f"a Python interpreter; {python}: {exc.strerror or exc}", fix, BAD_INPUT) from None
    if probe.returncode != 0 or "tfpt-side-ok 3" not in probe.stdout:
        said = _last_line(probe.stderr) if probe.returncode else "nothing: it exited 0 without running the check"
        raise UserError(what, f"a Python with tfpt, pytest and pytest-benchmark importable; {python} said: "
                        f"{said}", fix, BAD_INPUT)
    for test in tests:
        path = Path(str(test).split("::")[0])
        if not (path if path.is_absolute() else cwd / path).exists():
            raise UserError(f"--tests {test}", f"an existing test path in {cwd}, where {what} runs pytest",
                            "run from the checkout that holds it, or pass --tests with a path that exists",
                            BAD_INPUT)
    cmd = [str(python), "-m", "pytest", *tests, "--collect-only", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
           *(["-k", k] if k else []), *own_args, *pytest_args]
    got = procs.run(cmd, capture=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL)
    if got.returncode == 5:
        raise UserError(f"-k {k!r}" if k else f"--tests {' '.join(map(str, tests))}",
                        f"an expression selecting at least one benchmark; pytest collected none with {what}",
                        f"list them with `pytest {' '.join(map(str, tests))} --collect-only -q`", USAGE)
    if got.returncode == 4:
        said = _last_line(got.stderr or got.stdout)
        raise UserError(f"--pytest-args {' '.join(pytest_args)}" if pytest_args else f"--tests {' '.join(tests)}",
                        f"a command line pytest accepts; with {what} it said: {said}",
                        "correct the option or path pytest names", USAGE)
    if got.returncode != 0:
        meaning = PYTEST_EXIT.get(got.returncode, ("an unknown exit code", RUNTIME))[0]
        raise ProcessFailed(f"collecting the benchmarks with {what}: pytest exited {got.returncode}, {meaning}: "
                            f"{_last_line(got.stdout + got.stderr)}")


def check_storage(folder: Path, option: str = "--storage") -> None:
    """A folder the merged run can be saved in, checked before any run (the timings are lost if saving fails
    after it): it is a folder or can be made one (no file on the way), and this user can create a file there."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{option} {folder}", "a folder (pytest-benchmark's storage), got a file",
                        "pass a folder, e.g. .benchmarks", BAD_INPUT)
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{option} {folder}", f"a folder that can be created; {existing} is a file",
                        "pass a folder that is not below a file", BAD_INPUT)
    try:
        fd, probe = tempfile.mkstemp(prefix=".tfpt-bench.", suffix=".probe", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{option} {folder}", f"a folder this user can write; {existing}: "
                        f"{exc.strerror or type(exc).__name__}", "pass a writable folder", BAD_INPUT) from None


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
