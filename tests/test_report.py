"""The report on made-up pytest-benchmark storage: corrupt files skipped with a warning naming them, a planted
slowdown flagged with exit 1, an unchanged re-run not flagged, too few rounds said rather than guessed."""
import json

import numpy as np
import pytest

from tfpt.report.__main__ import main
from tfpt.report.regressions import compare_runs
from tfpt.report.storage import load_runs


def bench(name, data, quantity="step", fw="torch"):
    data = list(map(float, data))
    return {"fullname": name, "name": name, "group": quantity, "extra_info": {"quantity": quantity, "framework": fw,
            "device": "cpu", "flops": 1e9}, "stats": {"median": float(np.median(data)), "mean": float(np.mean(data)),
            "data": data}}


def save(folder, n, benchmarks):
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"datetime": f"2026-11-28T00:00:0{n}", "machine_info": {"frameworks": {"torch": "2.14.1"}},
           "commit_info": {}, "benchmarks": benchmarks}
    (folder / f"000{n}_run.json").write_text(json.dumps(doc))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_planted_slowdown_is_a_regression(tmp_path, rng):
    save(tmp_path / "m", 1, [bench("b", rng.normal(1.0, 0.01, 30))])
    save(tmp_path / "m", 2, [bench("b", rng.normal(1.2, 0.01, 30))])
    assert main(["--storage", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "**REGRESSION**" in (tmp_path / "out" / "report.md").read_text()


def test_unchanged_rerun_is_not(tmp_path, rng):
    save(tmp_path / "m", 1, [bench("b", rng.normal(1.0, 0.01, 30))])
    save(tmp_path / "m", 2, [bench("b", rng.normal(1.0, 0.01, 30))])
    assert main(["--storage", str(tmp_path), "--out", str(tmp_path / "out")]) == 0


def test_big_but_insignificant_change_is_not(tmp_path):
    """Over the factor but within noise: no regression (the gate needs both)."""
    save(tmp_path / "m", 1, [bench("b", [1.0, 3.0, 1.0, 3.0])])
    save(tmp_path / "m", 2, [bench("b", [1.5, 3.5, 1.0, 3.0])])
    runs = load_runs(tmp_path)
    (v,) = compare_runs(runs[0], runs[1])
    assert v.ratio > 1.1 and not v.regressed


def test_too_few_rounds_are_reported_not_guessed(tmp_path):
    save(tmp_path / "m", 1, [bench("b", [1.0, 1.0])])
    save(tmp_path / "m", 2, [bench("b", [2.0, 2.0])])
    (v,) = compare_runs(*load_runs(tmp_path))
    assert not v.regressed and "no p < 0.05 is possible" in v.note


def test_corrupt_file_is_skipped_with_a_warning_naming_it(tmp_path, rng):
    save(tmp_path / "m", 1, [bench("b", rng.normal(1.0, 0.01, 30))])
    (tmp_path / "m" / "0002_truncated.json").write_text('{"datetime": "2026-11-28T00:00:02", "bench')
    warnings = []
    runs = load_runs(tmp_path, warn=warnings.append)
    assert len(runs) == 1 and len(warnings) == 1 and "0002_truncated.json" in warnings[0]


def test_empty_storage_is_a_clear_error(tmp_path, capsys):
    assert main(["--storage", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    assert "no readable benchmark runs" in capsys.readouterr().err
