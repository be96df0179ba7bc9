"""Reading pytest-benchmark's own storage (`.benchmarks/<machine>/NNNN_*.json`), every run, any machine folder.

Each run is checked, field by field, against everything the report reads from it before any of it is used
(`validate`: the one place a saved run's schema is written down), and becomes a `Run` record. A file that is not
JSON, or a run with a field of the wrong kind or out of range (a time that is not a positive number of seconds,
a peak RSS of 0, a `datetime` that is not ISO 8601, an export benchmark without its format), is skipped with one
warning naming the file and the field; the report goes on with the rest. Datetimes are parsed (and read as UTC
where they carry a zone), never compared as text.

Runs are comparable only within one key: the same machine (pytest-benchmark's node name, CPU brand and CPU
count), the same framework versions and the same tox env. A run whose machine_info lacks any of the three is
kept apart: it is shown, but never compared with another run (a warning says so).

Every reader takes machine_info through one typed accessor, `Run.info` (`Machine`): each field its type or None,
a field of another type read as missing, so a saved run edited to hold `"frameworks": null` reads as one whose
versions are unknown.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tfpt.frameworks import registry


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def version_label(versions: dict) -> str:
    """'TF 2.21.0 / Keras 3.15.1 / torch 2.14.1': a version of every registered framework, in the registry's order
    (tfpt.frameworks.registry.version_dists); the in-process frameworks' shown as '-' where unknown, the others
    only where known."""
    always = {fw.version_dist for fw in registry.native()}
    return " / ".join(f"{label} {versions.get(d) or '-'}" for d, label in registry.version_dists()
                      if d in always or versions.get(d))


@dataclass(frozen=True)
class Machine:
    """machine_info as the report reads it: every field of its type, or None where missing or of another type."""
    node: str | None = None
    cpu_brand: str | None = None
    cpu_count: int | None = None
    frameworks: tuple = ()  # ((name, version string), ...): only names whose version is a string
    tox_env: str | None = None

    @classmethod
    def of(cls, info) -> Machine:
        info = info if isinstance(info, dict) else {}
        cpu = info.get("cpu") if isinstance(info.get("cpu"), dict) else {}
        count = cpu.get("count")
        fws = info.get("frameworks") if isinstance(info.get("frameworks"), dict) else {}
        return cls(_str_or_none(info.get("node")), _str_or_none(cpu.get("brand_raw")),
                   count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else None,
                   tuple((k, v) for k, v in fws.items() if isinstance(k, str) and isinstance(v, str)),
                   _str_or_none(info.get("tox_env")))

    def version(self, name: str) -> str | None:
        """The saved version of a framework (tensorflow, keras, torch, ...), or None."""
        return dict(self.frameworks).get(name)


@dataclass
class Run:
    path: Path
    datetime: str   # ISO 8601, as parsed from the file (`when`), so every reader sees one spelling
    machine: dict
    commit: dict
    benchmarks: list  # pytest-benchmark's per-benchmark dicts: name, group, stats (with data if saved), extra_info
    by_node: bool = True  # False: the machine is its CPU brand and count only (CI runner pools rename hosts)
    when: datetime | None = None  # naive UTC

    def by_name(self) -> dict:
        return {b.get("fullname") or b["name"]: b for b in self.benchmarks}

    @property
    def info(self) -> Machine:
        """machine_info, typed: the one way every reader takes it."""
        return Machine.of(self.machine)

    @property
    def versions(self) -> tuple:
        """The version of each registered framework (registry.version_dists: TensorFlow, Keras, PyTorch, Flax), None
        where the run did not save it."""
        info = self.info
        return tuple(info.version(d) for d, _ in registry.version_dists())

    @property
    def machine_known(self) -> bool:
        info = self.info
        return all(v is not None for v in (info.node if self.by_node else "*", info.cpu_brand, info.cpu_count))

    @property
    def machine_key(self) -> tuple:
        if not self.machine_known:  # never the same machine as another run: two unknowns may be two machines
            return "unknown machine", str(self.path), None
        info = self.info
        return info.node if self.by_node else "*", info.cpu_brand, info.cpu_count

    @property
    def key(self) -> tuple:
        """What a run is comparable with: the same machine, framework versions and tox env."""
        return (*self.machine_key, *self.versions, self.info.tox_env)

    env_key = key  # the older name

    @property
    def pair_label(self) -> str:
        """'TF 2.21.0 / Keras 3.15.1 / torch 2.14.1 (env)': the run's framework versions and tox env."""
        env = self.info.tox_env
        return version_label(dict(self.info.frameworks)) + (f" ({env})" if env else "")

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


def _positive(value) -> bool:
    return _number(value) and value > 0


def _need(cond: bool, field: str, expected: str, value) -> None:
    if not cond:
        raise Malformed(field, f"expected {expected}, got {_kind(value)} {json.dumps(value, default=str)[:40]}")


def _optional_str(obj: dict, key: str, where: str) -> None:
    if obj.get(key) is not None:
        _need(isinstance(obj[key], str), f"{where}{key}", "a string or null", obj[key])


def parse_datetime(value) -> datetime:
    """An ISO 8601 date-time (pytest-benchmark writes UTC without a zone) as naive UTC; raises ValueError."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


SECONDS = "a positive number of seconds"


def _machine(info: dict) -> None:
    where = "machine_info."
    _optional_str(info, "node", where)
    _optional_str(info, "tox_env", where)
    cpu = info.get("cpu")
    if cpu is not None:
        _need(isinstance(cpu, dict), f"{where}cpu", "an object (brand_raw, count)", cpu)
        _optional_str(cpu, "brand_raw", f"{where}cpu.")
        if cpu.get("count") is not None:
            count = cpu["count"]
            _need(isinstance(count, int) and not isinstance(count, bool) and count > 0, f"{where}cpu.count",
                  "a whole number of CPUs >= 1", count)
    fws = info.get("frameworks")
    if fws is not None:
        _need(isinstance(fws, dict), f"{where}frameworks", "an object of version strings", fws)
        for name, version in fws.items():
            key = name if name.isidentifier() else json.dumps(name)  # a field name on one line
            _need(version is None or isinstance(version, str), f"{where}frameworks.{key}", "a version string",
                  version)


def _stats(stats, where: str) -> None:
    _need(isinstance(stats, dict), where, "an object", stats)
    for k in ("median", "mean"):
        _need(_positive(stats.get(k)), f"{where}.{k}", SECONDS, stats.get(k))
    for k in ("min", "max", "q1", "q3"):
        if k in stats:
            _need(_positive(stats[k]), f"{where}.{k}", SECONDS, stats[k])
    if stats.get("data") is not None:
        data = stats["data"]
        _need(isinstance(data, list), f"{where}.data", "a list of numbers", data)
        for j, x in enumerate(data):
            _need(_positive(x), f"{where}.data[{j}]", SECONDS, x)


def _extra(extra, where: str) -> None:
    _need(isinstance(extra, dict), where, "an object", extra)
    for key in ("quantity", "framework", "device", "mode", "dtype", "format", "runtime", "pair"):
        _optional_str(extra, key, where + ".")
    quantity = extra.get("quantity") or ""
    if quantity.startswith("export"):
        _need(isinstance(extra.get("format"), str), f"{where}.format", "the export format (a string)",
              extra.get("format"))
    if "flops" in extra:
        _need(_positive(extra["flops"]), f"{where}.flops", "a positive number", extra["flops"])
    if extra.get("test_acc") is not None:
        acc = extra["test_acc"]
        _need(_number(acc) and 0 <= acc <= 1, f"{where}.test_acc", "an accuracy in [0, 1]", acc)
    if quantity == "memory" or "peak_rss_mb" in extra:
        _need(_positive(extra.get("peak_rss_mb")), f"{where}.peak_rss_mb",
              "a positive number of MiB (a memory entry needs its peak RSS)", extra.get("peak_rss_mb"))
    if extra.get("yardstick_s") is not None:
        ys = extra["yardstick_s"]
        _need(isinstance(ys, list), f"{where}.yardstick_s", "a list of seconds", ys)
        for j, y in enumerate(ys):
            _need(_positive(y), f"{where}.yardstick_s[{j}]", SECONDS, y)
    for key in ("process_medians", "yardstick_process_medians"):  # runs of tfpt-bench: one figure per process
        if extra.get(key) is not None:
            _need(isinstance(extra[key], list), f"{where}.{key}", "a list of seconds, one per process", extra[key])
            for j, x in enumerate(extra[key]):
                _need(_positive(x), f"{where}.{key}[{j}]", SECONDS, x)
    if extra.get("idle_rounds") is not None:  # the rounds an epoch worker flagged idle, by index
        idle = extra["idle_rounds"]
        _need(isinstance(idle, list), f"{where}.idle_rounds", "a list of round indices", idle)
        for j, i in enumerate(idle):
            _need(isinstance(i, int) and not isinstance(i, bool) and i >= 0, f"{where}.idle_rounds[{j}]",
                  "a round index (a whole number >= 0)", i)
    if extra.get("yardstick_flops") is not None:
        _need(_positive(extra["yardstick_flops"]), f"{where}.yardstick_flops", "a positive number",
              extra["yardstick_flops"])


def validate(doc) -> datetime:
    """Raise Malformed naming the first field that does not fit what the report reads; returns the run's
    datetime, parsed."""
    _need(isinstance(doc, dict), "(top level)", "an object", doc)
    _need(isinstance(doc.get("datetime"), str), "datetime", "a string", doc.get("datetime"))
    try:
        when = parse_datetime(doc["datetime"])
    except ValueError:
        _need(False, "datetime", "an ISO 8601 date-time such as 2026-11-28T10:01:00", doc["datetime"])
    for name in ("machine_info", "commit_info"):
        _need(isinstance(doc.get(name, {}), dict), name, "an object", doc.get(name))
    _machine(doc.get("machine_info", {}))
    _optional_str(doc.get("commit_info", {}), "id", "commit_info.")
    benches = doc.get("benchmarks")
    _need(isinstance(benches, list), "benchmarks", "a list", benches)
    for i, b in enumerate(benches):
        where = f"benchmarks[{i}]"
        _need(isinstance(b, dict), where, "an object", b)
        _need(isinstance(b.get("name"), str), f"{where}.name", "a string", b.get("name"))
        _optional_str(b, "fullname", where + ".")
        _optional_str(b, "group", where + ".")
        _stats(b.get("stats"), f"{where}.stats")
        _extra(b.get("extra_info", {}), f"{where}.extra_info")
    return when


def read_run(path: Path, by_node: bool = True) -> Run:
    """One saved run, validated; raises OSError, ValueError (not JSON) or Malformed."""
    doc = json.loads(Path(path).read_text())
    when = validate(doc)
    for b in doc["benchmarks"]:
        b.setdefault("extra_info", {})
    return Run(Path(path), when.isoformat(), doc.get("machine_info", {}), doc.get("commit_info", {}),
               list(doc["benchmarks"]), by_node, when)


def load_runs(storage: Path, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr),
              found: list | None = None, by_node: bool = True) -> list[Run]:
    """Every valid run under `storage`, oldest first by parsed datetime; each skipped file gets one warning,
    and so does each run of an unknown machine. `found`, if given, receives every candidate path (so a caller
    can tell "no files" from "no valid files")."""
    runs = []
    for path in sorted(Path(storage).glob("**/*.json")):
        if found is not None:
            found.append(path)
        try:
            run = read_run(path, by_node)
        except Malformed as exc:
            warn(f"skipping {path}: field {exc.field}: {str(exc).split(': ', 1)[1]}")
            continue
        except (OSError, ValueError, RecursionError) as exc:
            warn(f"skipping {path}: field (whole file): not readable JSON ({type(exc).__name__}: {exc})")
            continue
        if not run.machine_known:
            need = "node, cpu.brand_raw and cpu.count" if by_node else "cpu.brand_raw and cpu.count"
            warn(f"{path}: field machine_info: expected {need}, some are missing: the run is shown but compared "
                 "with no other run (the same unknown machine cannot be told from another)")
        runs.append(run)
    return sorted(runs, key=lambda r: (r.when, str(r.path)))


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
