"""The minimum detectable effect (tfpt.stats.mde): the smallest slowdown a run's process count and spread could
have called. It shrinks with more processes and less spread; a planted change above it is called and one below
is not (the negative control); tfpt-ab's table, summary and --json, and the report's gate and report.json carry it.
Three processes a side resolved only about 1.5x in latency (docs/measurements/2026-12-01-process-gate-and-ab.md),
and nothing said so."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tests.report_runs import bench, save
from tfpt import stats
from tfpt.report.__main__ import main as report_main


def spread(n: int, width: float) -> list[float]:
    """n deterministic samples of median 1 whose logs span +-width evenly."""
    return list(np.exp(np.linspace(-width, width, n)))


def test_the_mde_shrinks_with_more_processes_and_less_spread():
    def mde(n, width):
        return stats.mde(stats.ratio(spread(n, width), spread(n, width)[::-1]))
    by_count = [mde(n, 0.05) for n in (3, 5, 9, 15)]
    by_spread = [mde(5, w) for w in (0.2, 0.05, 0.01)]
    assert by_count == sorted(by_count, reverse=True) and by_count[0] > 2 * by_count[-1], by_count
    assert by_spread == sorted(by_spread, reverse=True) and by_spread[0] > 10 * by_spread[-1], by_spread
    assert stats.mde(stats.ratio([1.0, 1.1], [1.0, 1.1])) is None  # fewer than 3 a side: no interval, no figure


def test_a_planted_change_above_the_mde_is_called_either_way_the_noise_falls_and_one_below_is_not():
    rng = np.random.default_rng(7)
    a, b = np.exp(0.05 * rng.standard_normal(5)), np.exp(0.05 * rng.standard_normal(5))
    m = stats.mde(stats.ratio(b, a))
    assert 0.02 < m < 0.5 and stats.mde(stats.ratio(a, b)) == pytest.approx(m)  # the mirrored draw: the same
    for planted, called in ((1.05, [True, True]), (0.95, [True, False])):
        said = []
        for x, y in ((a, b), (b, a)):  # B's samples scaled so that B / A is planted x (1 + mde)
            r = stats.ratio(y * planted * (1 + m) / stats.ratio(y, x).value, x)
            said.append(stats.verdict(r, "B slower", "B faster") == "B slower")
        assert sorted(said, reverse=True) == called, (planted, said)


def test_ab_rows_table_and_json_carry_the_mde():
    from tfpt.cli.ab import Side, table, verdicts
    got = {"A": [{"t": 10.0, "u": 1.0}, {"t": 10.2, "u": 1.5}, {"t": 9.8, "u": 0.7}],
           "B": [{"t": 10.1, "u": 1.1}, {"t": 10.0, "u": 1.4}, {"t": 9.9, "u": 0.8}]}
    rows = verdicts(got, min_effect=0.05)
    by = {r["name"]: r for r in rows}
    assert 0.05 < by["t"]["mde"] < by["u"]["mde"], rows
    json.dumps(rows)  # what --json writes
    text = table(rows, Side("A", sys.executable), Side("B", sys.executable))
    assert "| could see |" in text and f"| ≥ {100 * by['t']['mde']:.0f} % |" in text
    assert text.splitlines()[-1].startswith(f"this run could see slowdowns ≥ {100 * by['t']['mde']:.0f} % (t) to "
                                            f"≥ {100 * by['u']['mde']:.0f} % (u)")


def test_the_reports_json_and_gate_carry_the_mde_of_process_medians_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./reports/measurements-*.json of the checkout
    for n, medians in ((1, [21.0, 21.4, 20.7]), (2, [21.2, 20.9, 21.5])):
        save(tmp_path / "s", n, [bench("test_epoch[tf-cpu-as-written]", np.repeat(medians, 2), "epoch", "tf",
                                       processes=3, process_medians=medians),
                                 bench("test_step[torch-cpu]", [0.01, 0.011, 0.0105, 0.0102], "step", "torch")])
    assert report_main(["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out")]) == 0
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    v = {x["name"].split("::")[-1]: x for x in doc["verdicts"]}
    assert 0.10 <= v["test_epoch[tf-cpu-as-written]"]["mde"] < 1 and v["test_step[torch-cpu]"]["mde"] is None
    md = (tmp_path / "out" / "report.md").read_text()
    assert "one process: no detectable-change figure" in md and "could see slowdowns ≥" in md
