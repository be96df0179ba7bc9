"""Every bad input to the pytest plugin is one error line and a usage error before any test runs: each row of
tests/plugin_bad_input_cases.py runs a whole pytest session in a fresh folder and process, which must exit with
the row's code, print the one matching line (pytest's `ERROR: ` prefix, or the suite's `error: `), never a
traceback or an INTERNALERROR, and leave the folder as it was. The valid counterparts run the same way."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin_bad_input_cases import CASES
from tfpt.procs import child_env

pytestmark = pytest.mark.cli  # whole pytest sessions in subprocesses: the default run, not the quick tier

TRIVIAL_TEST = "def test_trivial():\n    assert True\n"


def run_pytest(folder: Path, storage: Path, *args, env: dict | None = None):
    environ = child_env(PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    environ.pop("PYTHONPATH", None)  # nothing of this repository on the path: only the installed package
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"--benchmark-storage={storage}", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300, env=environ)


def files_in(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_plugin_input(case, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "test_trivial.py").write_text(TRIVIAL_TEST)
    if case.module is not None:
        (work / "my_pair.py").write_text(case.module)
    for name, text in case.files.items():
        (work / name).write_text(text)
    before = files_in(work)
    proc = run_pytest(work, tmp_path / "storage", *case.args, env=case.env)
    out = proc.stdout + proc.stderr
    where = f"\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    assert proc.returncode == case.code, f"exit {proc.returncode}, expected {case.code}" + where
    assert "Traceback" not in out and "INTERNALERROR" not in out, where
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and re.match(r"(ERROR|error): ", lines[0]), "not one error line" + where
    assert re.search(case.stderr, lines[0]), f"does not match {case.stderr!r}" + where
    assert "; fix: " in lines[0] and lines[0].count("fix:") == 1, "not one fix" + where
    assert case.not_in is None or case.not_in not in lines[0], where
    assert files_in(work) == before, "the run changed or left files in its folder" + where


def test_the_table_covers_pair_modules_and_every_plugin_variable():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(CASES) >= 25
    variables = " ".join(" ".join(c.env) for c in CASES)
    for name in ("TFPT_SEED", "TFPT_BENCH_SLEEP", "TFPT_BENCH_SLOWER", "TFPT_DOWNLOAD", "TFPT_HIDE_FRAMEWORKS"):
        assert name in variables, name
    assert sum(c.id.startswith("pair-") for c in CASES) >= 10


@pytest.mark.parametrize("env, args, header", [({"TFPT_SEED": "42"}, (), "seed: 42 "),
                                               ({"TFPT_SEED": "42"}, ("--seed", "7"), "seed: 7 "),
                                               ({"TFPT_BENCH_SLEEP": "0", "TFPT_DOWNLOAD": "0"}, (), "seed: 1234 ")])
def test_valid_values_run_and_the_seed_in_use_is_in_the_header(tmp_path, env, args, header):
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_TEST)
    proc = run_pytest(tmp_path, tmp_path / "storage", "-v", *args, "test_trivial.py", env=env)
    assert proc.returncode == 0 and header in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_a_run_in_a_users_folder_leaves_no_benchmark_storage_behind(tmp_path):
    """No pytest.ini there, so pytest-benchmark's default ./.benchmarks: it made that folder, empty, on every run;
    a folder that was there before the run is kept (control)."""
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_TEST)
    environ = child_env(PYTHONDONTWRITEBYTECODE="1")
    environ.pop("PYTHONPATH", None)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py"]
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=environ)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test_trivial.py"]
    (tmp_path / ".benchmarks").mkdir()
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=environ)
    assert proc.returncode == 0 and (tmp_path / ".benchmarks").is_dir(), proc.stderr[-2000:]


def test_the_same_pair_named_twice_is_checked_once(tmp_path, monkeypatch):
    import tfpt.pair as pair_module
    from tfpt.plugin import pairs
    (tmp_path / "twice_pair.py").write_text("from tfpt import InputSpec, ModelPair\n\npair = ModelPair('twice', "
                                            "lambda: None, lambda: None, InputSpec(shape=(4,)))\nalias = pair\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(pair_module, "_REGISTRY", dict(pair_module._REGISTRY))  # the registry as it was, after
    monkeypatch.delitem(sys.modules, "twice_pair", raising=False)
    refs = ["twice_pair:pair", "twice_pair:pair", "twice_pair:alias"]
    config = type("Config", (), {"getoption": lambda self, name: refs, "args_source": pytest.Config.ArgsSource.ARGS})
    session = type("Session", (), {"pairs": None})()
    pairs.select(config(), session)
    assert [p.name for p in session.pairs] == ["twice"]


def test_only_an_empty_storage_folder_is_removed(tmp_path):
    from tfpt.plugin.compat import remove_if_created_empty
    (tmp_path / "empty" / "machine").mkdir(parents=True)
    (tmp_path / "saved" / "machine").mkdir(parents=True)
    run = tmp_path / "saved" / "machine" / "0001_run.json"
    run.write_text("{}")  # a run saved: kept (the control)
    assert remove_if_created_empty(tmp_path / "empty") and not (tmp_path / "empty").exists()
    assert not remove_if_created_empty(tmp_path / "saved") and run.exists()
