"""tfpt-ab on a benchmark that only spins (no framework, so each process takes about a second): the same version
on both sides resolves no slowdown, 1 ms planted on side B is "B slower" with exit 1, and a side that is no
interpreter is one line, exit 3 (a file named on the command line that is not what was expected; the other
mistakes found before any process: tests/command_preflight_cases.py)."""
import json
import subprocess
import sys

import pytest

from tfpt.cli.ab import _could_see
from tfpt.procs import child_env

SLEEPER = '''
import os, time

def spin(seconds):  # CPU time, which tfpt-ab times by default (a sleep costs none)
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass

def test_sleepy(benchmark):
    benchmark.pedantic(spin, args=(0.002 + float(os.environ.get("AB_EXTRA", "0")),), rounds=15, iterations=1)
'''


def ab(tmp_path, *extra):
    (tmp_path / "test_sleeper.py").write_text(SLEEPER)
    out = tmp_path / "ab.json"
    cmd = [sys.executable, "-m", "tfpt.cli.ab", "--a", sys.executable, "--b", sys.executable, "-k", "sleepy",
           "--tests", str(tmp_path / "test_sleeper.py"), "--json", str(out), *extra, "--pytest-args", "-p", "no:tfpt"]
    proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    return proc, (json.loads(out.read_text()) if out.is_file() else None)


@pytest.mark.cli
def test_the_same_version_on_both_sides_is_no_slowdown(tmp_path):
    proc, doc = ab(tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (row,) = doc["rows"]
    assert row["verdict"] != "B slower" and len(row["a_s"]) == len(row["b_s"]) == 3
    assert 0.9 < row["ratio"]["value"] < 1.1


@pytest.mark.cli
def test_a_planted_millisecond_on_side_b_is_called_slower(tmp_path):
    proc, doc = ab(tmp_path, "--b-env", "AB_EXTRA=0.001")
    assert proc.returncode == 1, proc.stderr[-2000:]
    (row,) = doc["rows"]
    assert row["verdict"] == "B slower" and row["ratio"]["lo"] > 1.2
    assert "| test_sleepy |" in proc.stdout and "B slower" in proc.stdout
    assert 0.02 < row["mde"] < 1 and f"| {_could_see(row['mde'])} |" in proc.stdout  # the smallest it could see
    assert "this run could see slowdowns ≥" in proc.stdout


def test_a_side_that_is_no_interpreter_is_one_line_exit_3(tmp_path, capsys):
    from tfpt.cli.ab import main
    assert main(["--a", str(tmp_path / "nope"), "--b", sys.executable]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --a ") and "fix:" in err[0]
