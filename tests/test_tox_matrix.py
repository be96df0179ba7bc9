"""The tox matrix in parallel (`tox -p`): envs may install and test at once (a shared lock), but each env's benchmarks
run alone (an exclusive lock on the same file), and one `report` env merges every env's runs after all of them.
Read from tox's own view of tox.ini."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tox_config(envs: str, *keys: str) -> configparser.ConfigParser:
    if shutil.which("tox") is None and subprocess.run([sys.executable, "-m", "tox", "--version"],
                                                      capture_output=True).returncode != 0:
        pytest.skip("tox is not installed (pip install tox)")
    proc = subprocess.run([sys.executable, "-m", "tox", "config", "-e", envs, "-k", *keys], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string(proc.stdout)
    return parsed


def matrix_envs() -> list[str]:
    listed = tox_config("ALL", "env_name")  # all but the report and tox's own build env (.pkg)
    return [s.split(":", 1)[1] for s in listed.sections()
            if s.startswith("testenv:") and s != "testenv:report" and not s.startswith("testenv:.")]


@pytest.mark.cli  # tox in a child process
def test_every_matrix_env_installs_the_suite_and_benchmarks_alone():
    envs = matrix_envs()
    assert len(envs) >= 2, envs
    config = tox_config(",".join(envs), "commands", "package")
    for env in envs:
        # installed (editable), so its entry point loads the plugin in the env's pytest and in child sessions
        assert config[f"testenv:{env}"]["package"] == "editable", env
        lines = [c.strip() for c in config[f"testenv:{env}"]["commands"].splitlines() if c.strip()]
        timed = [c for c in lines if " benchmarks " in f" {c} "]
        assert timed and all(c.startswith(f"flock --exclusive {ROOT / 'tox.ini'} ") for c in timed), (env, lines)
        untimed = [c for c in lines if c not in timed]  # under the shared lock: no env times beside them
        assert all(c.startswith(f"flock --shared {ROOT / 'tox.ini'} ") for c in untimed), (env, lines)
        assert all("--benchmark-autosave" not in c for c in untimed), (env, lines)


@pytest.mark.cli
def test_the_report_env_waits_for_every_matrix_env_and_reads_their_storage():
    envs = matrix_envs()
    report = tox_config("report", "depends", "commands")["testenv:report"]
    assert sorted(report["depends"].split()) == sorted(envs)
    assert f"--storage {ROOT / '.benchmarks'}" in report["commands"]


@pytest.mark.cli
def test_every_matrix_env_installs_the_test_tools_of_make_test():
    """requirements-test.txt, the pins `make test` uses (a tox env without hypothesis stopped at collection)."""
    envs = matrix_envs()
    config = tox_config(",".join(envs), "deps")
    for env in envs:
        assert f"-r {ROOT / 'requirements-test.txt'}" in config[f"testenv:{env}"]["deps"], env
