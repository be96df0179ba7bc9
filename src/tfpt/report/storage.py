"""Reading pytest-benchmark's own storage (`.benchmarks/<machine>/NNNN_*.json`), every run, any machine folder.
A truncated or corrupt file is skipped with a warning that names it; nothing else is assumed of the folder."""
from __future__ import annotations

import json
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

    def by_name(self) -> dict:
        return {b["fullname"]: b for b in self.benchmarks}

    @property
    def env_key(self) -> tuple:
        """What a run is comparable with: the same framework versions and tox env."""
        fw = self.machine.get("frameworks", {})
        return fw.get("tensorflow"), fw.get("torch"), self.machine.get("tox_env")

    @property
    def label(self) -> str:
        fw = self.machine.get("frameworks", {})
        env = self.machine.get("tox_env")
        return f"{self.path.stem} (TF {fw.get('tensorflow', '-')}, torch {fw.get('torch', '-')}{', ' + env if env else ''})"


def load_runs(storage: Path, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr)) -> list[Run]:
    runs = []
    for path in sorted(Path(storage).glob("**/*.json")):
        try:
            doc = json.loads(path.read_text())
            runs.append(Run(path, doc["datetime"], doc.get("machine_info", {}), doc.get("commit_info", {}),
                            list(doc["benchmarks"])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warn(f"skipping {path}: not a readable pytest-benchmark run ({type(exc).__name__}: {exc}); "
                 f"delete or repair it")
    return sorted(runs, key=lambda r: (r.datetime, str(r.path)))
