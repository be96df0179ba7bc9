"""Tiny training-worker runs for every registered framework (the Keras backends included), for the comparison's
tests: one worker process each, on the seeded synthetic stand-in, with the worker's own environment."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tfpt import frameworks
from tfpt.procs import child_env


def all_framework_params():
    """Every registered framework, skipped with its reason where it is not installed."""
    return [pytest.param(fw.id, id=fw.id, marks=[] if frameworks.installed(fw.id)
                         else [pytest.mark.skip(reason=frameworks.missing_reason(fw.id))])
            for fw in frameworks.REGISTRY.values()]


def run_worker(fw: str, tmp_path, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / f"{fw}.json"
    cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--dataset", "synthetic", "--limit",
           "256", "--epochs", "1", "--eval-batch", "64", "--out", str(out), *args]
    proc = subprocess.run(cmd, env=env or child_env(), capture_output=True, text=True, timeout=300)
    return proc, (json.loads(out.read_text()) if out.is_file() else {})
