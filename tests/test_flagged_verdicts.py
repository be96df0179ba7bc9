"""No verdict from figures the suite itself flagged: a ratio built on epochs flagged idle (wall time their CPU time
does not explain: tfpt.training.clock) says which were flagged and calls nothing, in tfpt-compare's ratio table,
tfpt-ab's rows and the report's answers and gate; each with its control, the same figures unflagged called.
The figures are those of `make compare` beside another job on a 2-core box: every epoch idle, TensorFlow
1.5-5.4 s and PyTorch 9.8-69.4 s unexplained, and the table still said "TensorFlow faster"."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.report_runs import bench, save
from tfpt import stats
from tfpt.report.regressions import compare_runs
from tfpt.report.storage import load_runs
from tfpt.report.tables import answers_markdown, study_figures

CALLED = re.compile(r"faster|slower|smaller|regress", re.I)
# (framework, seconds per repeat, idle seconds per repeat): the busy box's three repeats of one epoch each
BUSY = {"tf": ([20.1, 23.5, 24.0], [1.5, 3.9, 5.4]), "torch": ([240.0, 262.0, 301.0], [9.8, 30.2, 69.4])}


def compare_runs_of(idle: bool) -> dict:
    """tfpt-compare's per-framework results (the worker's JSON, the fields the table reads), flagged or not."""
    def result(fw, i):
        sec, idle_s = BUSY[fw][0][i], BUSY[fw][1][i]
        return {"framework": fw, "pair": "spec", "params": 1, "versions": {}, "eval_batch": 1000,
                "target": 0.99, "time_to_accuracy": None, "peak_rss_mb": (900.0 if fw == "tf" else 1500.0) + i,
                "epochs": [{"epoch": 1, "test_acc": 0.98, "seconds": sec, "cpu_seconds": sec, "eval_seconds": 1.0,
                            "loss": 0.1, "idle": idle, "idle_seconds": idle_s if idle else 0.0}]}
    return {fw: [result(fw, i) for i in range(3)] for fw in ("tf", "torch")}


def ratio_rows(runs: dict) -> dict:
    from tfpt.cli.compare import table
    return {line.split("|")[2].strip(): line for line in table(runs).splitlines()
            if line.startswith("| TensorFlow / PyTorch")}


def test_the_one_verdict_wording_takes_flags_as_an_input():
    r = stats.ratio([12.0, 12.1, 11.9], [8.0, 8.1, 7.9])
    said = stats.verdict(r, "PyTorch faster", "TensorFlow faster", ["TensorFlow: 3 of 3 epochs idle"])
    assert said == "no verdict from flagged figures: TensorFlow: 3 of 3 epochs idle" and not CALLED.search(said)
    assert stats.verdict(r, "PyTorch faster", "TensorFlow faster") == "PyTorch faster"  # the control


def test_compare_gives_no_verdict_on_flagged_epochs_and_says_which():
    rows = ratio_rows(compare_runs_of(idle=True))
    epoch = rows["seconds per epoch"]
    assert "0.09 [" in epoch and not CALLED.search(epoch.split("|")[-2]), epoch
    assert "TensorFlow: 3 of 3 epochs idle (1.5-5.4 s" in epoch and "PyTorch: 3 of 3 epochs idle (9.8-69.4 s" in epoch
    assert rows["peak RSS"].endswith("| TensorFlow smaller |")  # memory is not what the idle flag is about


def test_compare_calls_the_same_epochs_unflagged():
    epoch = ratio_rows(compare_runs_of(idle=False))["seconds per epoch"]
    assert epoch.endswith("| TensorFlow faster |") and "idle" not in epoch


@pytest.mark.parametrize("idle, verdict", [({"B": [{"t": 2}, {}, {}]}, None), (None, "B slower")],
                         ids=["flagged", "control-unflagged"])
def test_ab_gives_no_verdict_where_a_process_flagged_rounds_idle(idle, verdict):
    from tfpt.cli.ab import verdicts
    got = {"A": [{"t": 10.0}, {"t": 10.1}, {"t": 9.9}], "B": [{"t": 13.0}, {"t": 12.9}, {"t": 13.1}]}
    (row,) = verdicts(got, idle=idle)
    if verdict is None:
        assert row["verdict"] == "no verdict from flagged figures: B: idle rounds in process 1 (2)"
    else:
        assert row["verdict"] == verdict


def epoch_bench(fw, data, idle_rounds=None, **extra):
    info = {"test_acc": 0.98, **extra}
    if idle_rounds is not None:
        info["idle_rounds"] = idle_rounds
    return bench(f"test_epoch[{fw}-cpu-as-written]", data, "epoch", fw, **info)


@pytest.mark.parametrize("flagged", [True, False], ids=["flagged", "control-unflagged"])
def test_the_reports_answer_gives_no_verdict_on_flagged_rounds(tmp_path, flagged):
    save(tmp_path / "s", 1, [epoch_bench("tf", [20.1, 23.5, 24.0], [0, 1, 2] if flagged else None),
                             epoch_bench("torch", [240.0, 262.0, 301.0], [0, 1, 2] if flagged else None)])
    study = study_figures(load_runs(tmp_path / "s"))
    line = next(x for x in answers_markdown(study, []).splitlines() if "epoch time, as written" in x)
    if flagged:
        assert line.endswith("]: no verdict from flagged figures: TensorFlow: 3 of 3 rounds idle; PyTorch: 3 of 3 "
                             "rounds idle") and "faster" not in line, line
    else:
        assert line.endswith("]: TensorFlow faster"), line


@pytest.mark.parametrize("flagged", [True, False], ids=["flagged", "control-unflagged"])
def test_the_gate_calls_no_regression_from_process_medians_holding_idle_rounds(tmp_path, flagged):
    def run(n, medians, idle):
        b = epoch_bench("tf", list(np.repeat(medians, 2)), idle, processes=3, process_medians=medians)
        return save(tmp_path / "s", n, [b])
    run(1, [21.0, 21.2, 20.9], None)
    run(2, [41.2, 41.3, 41.1], [1, 3, 5] if flagged else None)
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.regressed is not flagged and bool(v.flagged) is flagged
    assert not flagged or v.flagged == "idle rounds inside the process medians (after: 3 idle round(s))"
