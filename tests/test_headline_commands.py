"""The commands the suite is named for, run exactly as a user types them, in a subprocess: the only durable
proof that they keep working (a change to pytest.ini once broke one silently)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfpt.procs import child_env
from tfpt.pytest_plugin import NOTHING_SAVED

pytestmark = pytest.mark.cli  # runs commands in subprocesses: the default run, not the quick tier

REPO = Path(__file__).resolve().parent.parent


def run_pytest(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"--benchmark-storage={tmp_path / 'storage'}", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=child_env())


def test_gpu_autosave_without_a_gpu_exits_0_and_says_nothing_was_saved(tmp_path):
    from tfpt.frameworks import devices
    if devices.gpu_missing_reason("torch") is None:
        pytest.skip("a GPU is visible here: the gpu benchmarks run and save (this test is for machines without one)")
    proc = run_pytest("-m", "gpu", "--benchmark-autosave", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert NOTHING_SAVED in proc.stdout
    assert "passed" not in proc.stdout.splitlines()[-1] and " skipped" in proc.stdout.splitlines()[-1]
    assert not list((tmp_path / "storage").rglob("*.json"))  # pytest-benchmark makes the folder, saves no run


def test_autosave_with_no_benchmark_selected_says_so_with_pytest_exit_5(tmp_path):
    """Deselecting everything is pytest's "no tests collected" (exit 5); the plain line still says why."""
    proc = run_pytest("benchmarks", "--benchmark-autosave", "-k", "matches_no_benchmark_at_all", tmp_path=tmp_path)
    assert proc.returncode == 5, proc.stdout[-3000:]
    assert NOTHING_SAVED in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_setup_on_a_disk_too_full_for_the_venv_refuses_in_one_line_and_writes_nothing(tmp_path):
    """A full disk once stopped CI mid-install with pip's OSError and a broken venv; setup now checks first."""
    for path in (REPO / "Makefile", REPO / "pyproject.toml", *REPO.glob("requirements*.txt")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    proc = subprocess.run(["make", "--no-print-directory", "setup", "MIN_FREE_GB=100000000"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    error = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and "GB free" in error[0] and "fix: free disk space" in error[0], proc.stderr
    assert not (tmp_path / ".venv").exists()


def test_timed_benchmarks_run_and_save_their_yardstick(tmp_path):
    """The timed path (`--benchmark-autosave`): the default run only runs benchmark bodies untimed, so this is the
    one place a broken pedantic setup shows (a setup that returned a value once failed every throughput round)."""
    proc = run_pytest("benchmarks/test_bench_inference.py", "--benchmark-autosave", "-k",
                      "test_latency[torch-cpu-tuned] or test_throughput[torch-cpu-tuned]", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    saved = list((tmp_path / "storage").rglob("*.json"))
    assert len(saved) == 1, saved
    runs = {b["name"]: b for b in json.loads(saved[0].read_text())["benchmarks"]}
    assert sorted(runs) == ["test_latency[torch-cpu-tuned]", "test_throughput[torch-cpu-tuned]"]
    for bench in runs.values():
        assert len(bench["extra_info"]["yardstick_s"]) >= 9 and len(bench["stats"]["data"]) >= 10, bench["name"]


@pytest.mark.parametrize("args, on_every_core", [("", True), ("-x", True), ("-m gpu --benchmark-autosave", False)])
def test_make_test_runs_on_every_core_but_times_benchmarks_in_one_process(args, on_every_core):
    proc = subprocess.run(["make", "--dry-run", "--no-print-directory", "test", f"ARGS={args}"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    command = next(line for line in proc.stdout.splitlines() if "-m pytest" in line)
    assert ("-n auto --dist loadgroup" in command) is on_every_core, command
