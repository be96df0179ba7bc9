"""Reading pytest-benchmark's own storage (`.benchmarks/<machine>/NNNN_*.json`), every run, any machine folder.

Each run is checked against the schema the report relies on when it is read. A file that is not JSON, or a
run with a field of the wrong kind, is skipped with one warning naming the file and the field; the report goes
on with the rest. Runs are comparable only within one key: the same machine (pytest-benchmark's node name,
CPU brand and CPU count), the same framework versions and the same tox env.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    path: Path
    datetime: str
    machine: dict
    commit: dict
    benchmarks: list  # pytest-benchmark's per-benchmark dicts: name, group, stats (with data if saved), extra_info
    by_node: bool = True  # False: the machine is its CPU brand and count only (CI runner pools rename hosts)

    def by_name(self) -> dict:
        return {b.get("fullname") or b["name"]: b for b in self.benchmarks}

    @property
    def versions(self) -> tuple:
        fw = self.machine.get("frameworks") or {}
        return fw.get("tensorflow"), fw.get("torch")

    @property
    def machine_key(self) -> tuple:
        cpu = self.machine.get("cpu") or {}
        return self.machine.get("node") if self.by_node else "*", cpu.get("brand_raw"), cpu.get("count")

    @property
    def key(self) -> tuple:
        """What a run is comparable with: the same machine, framework versions and tox env."""
        return (*self.machine_key, *self.versions, self.machine.get("tox_env"))

    env_key = key  # the older name

    @property
    def pair_label(self) -> str:
        tf, torch = self.versions
        env = self.machine.get("tox_env")
        return f"TF {tf or '-'} / torch {torch or '-'}" + (f" ({env})" if env else "")

    @property
    def label(self) -> str:
        return f"{self.path.stem} ({self.pair_label})"

    @property
    def commit_id(self):
        return (self.commit or {}).get("id")


def variant(extra_info: dict) -> str:
    """How a benchmark ran: its mode, with its dtype where that is not float32 and the mode does not say it
    already (the training step's bfloat16 case is mode `as-written`, dtype `bfloat16`: without this it would be
    read as the float32 step, in the tables and in its history)."""
    mode, dtype = extra_info.get("mode", "as-written"), extra_info.get("dtype")
    return mode if dtype in (None, "float32") or "bf16" in mode else f"{mode}, {dtype}"


class Malformed(ValueError):
    """A run that does not match the schema; `field` names where, e.g. `benchmarks[2].stats.median`."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field


def _kind(value) -> str:
    return "null" if value is None else type(value).__name__


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _need(cond: bool, field: str, expected: str, value) -> None:
    if not cond:
        raise Malformed(field, f"expected {expected}, got {_kind(value)} {json.dumps(value, default=str)[:40]}")


def validate(doc) -> None:
    """Raise Malformed naming the first field that does not fit what the report reads."""
    _need(isinstance(doc, dict), "(top level)", "an object", doc)
    _need(isinstance(doc.get("datetime"), str), "datetime", "a string", doc.get("datetime"))
    for name in ("machine_info", "commit_info"):
        _need(isinstance(doc.get(name, {}), dict), name, "an object", doc.get(name))
    benches = doc.get("benchmarks")
    _need(isinstance(benches, list), "benchmarks", "a list", benches)
    for i, b in enumerate(benches):
        where = f"benchmarks[{i}]"
        _need(isinstance(b, dict), where, "an object", b)
        _need(isinstance(b.get("name"), str), f"{where}.name", "a string", b.get("name"))
        stats = b.get("stats")
        _need(isinstance(stats, dict), f"{where}.stats", "an object", stats)
        for k in ("median", "mean"):
            _need(_number(stats.get(k)), f"{where}.stats.{k}", "a finite number", stats.get(k))
        for k in ("min", "max", "q1", "q3"):
            if k in stats:
                _need(_number(stats[k]), f"{where}.stats.{k}", "a finite number", stats[k])
        if stats.get("data") is not None:
            data = stats["data"]
            _need(isinstance(data, list), f"{where}.stats.data", "a list of numbers", data)
            for j, x in enumerate(data):
                _need(_number(x), f"{where}.stats.data[{j}]", "a finite number", x)
        extra = b.get("extra_info", {})
        _need(isinstance(extra, dict), f"{where}.extra_info", "an object", extra)
        if "flops" in extra:
            _need(_number(extra["flops"]), f"{where}.extra_info.flops", "a finite number", extra["flops"])
        if extra.get("test_acc") is not None:
            _need(_number(extra["test_acc"]), f"{where}.extra_info.test_acc", "a finite number", extra["test_acc"])
        if extra.get("quantity") == "memory":
            _need(_number(extra.get("peak_rss_mb")), f"{where}.extra_info.peak_rss_mb",
                  "a finite number (a memory entry needs its peak RSS)", extra.get("peak_rss_mb"))


def read_run(path: Path, by_node: bool = True) -> Run:
    """One saved run, validated; raises OSError, ValueError (not JSON) or Malformed."""
    doc = json.loads(Path(path).read_text())
    validate(doc)
    for b in doc["benchmarks"]:
        b.setdefault("extra_info", {})
    return Run(Path(path), doc["datetime"], doc.get("machine_info", {}), doc.get("commit_info", {}),
               list(doc["benchmarks"]), by_node)


def load_runs(storage: Path, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr),
              found: list | None = None, by_node: bool = True) -> list[Run]:
    """Every valid run under `storage`, oldest first; each skipped file gets one warning. `found`, if given,
    receives every candidate path (so a caller can tell "no files" from "no valid files")."""
    runs = []
    for path in sorted(Path(storage).glob("**/*.json")):
        if found is not None:
            found.append(path)
        try:
            runs.append(read_run(path, by_node))
        except Malformed as exc:
            warn(f"skipping {path}: field {exc.field}: {str(exc).split(': ', 1)[1]}")
        except (OSError, ValueError) as exc:
            warn(f"skipping {path}: field (whole file): not readable JSON ({type(exc).__name__}: {exc})")
    return sorted(runs, key=lambda r: (r.datetime, str(r.path)))


def newest_pairs(runs: list[Run]) -> list[tuple[Run, Run | None]]:
    """For every key whose newest run belongs to the current batch, (previous run, newest run) of that key.
    The current batch: runs made from the same commit as the newest run overall (a CI matrix saves one run per
    tox env from one commit), or just the newest run where runs carry no commit."""
    if not runs:
        return []
    latest = runs[-1]
    newest: dict = {}
    previous: dict = {}
    for r in runs:
        if r.key in newest:
            previous[r.key] = newest[r.key]
        newest[r.key] = r
    current = [k for k, r in newest.items()
               if r is latest or (latest.commit_id and r.commit_id == latest.commit_id)]
    return [(previous.get(k), newest[k]) for k in current]
