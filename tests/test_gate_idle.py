"""The gate never compares an idle round silently: rounds an epoch worker flagged idle (wall time its CPU time
does not explain: tfpt.training.clock) are left out of the comparison and named in the verdict's note."""
import numpy as np

from tests.report_runs import bench, save
from tfpt.report.regressions import compare_runs
from tfpt.report.storage import load_runs

NAME = "test_epoch[tf-cpu-as-written]"


def epoch_run(data, idle_rounds=()):
    return [bench(NAME, data, "epoch", "tf", idle_rounds=list(idle_rounds))]


def test_idle_rounds_are_left_out_and_named(tmp_path):
    rng = np.random.default_rng(0)
    steady = list(21.0 * (1 + 0.02 * rng.standard_normal(6)))
    save(tmp_path / "s", 1, epoch_run(steady))
    waited = steady[:3] + [41.2, 41.3, 41.1]  # three rounds that held the ~20 s teardown wait
    save(tmp_path / "s", 2, epoch_run(waited, idle_rounds=(3, 4, 5)))
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert not v.regressed and v.after < 22 and "idle rounds left out" in v.note and "round 4, 5, 6" in v.note


def test_the_same_rounds_unflagged_are_a_regression(tmp_path):
    """The control: without the idle flags the same waits gate as a 2x slower epoch."""
    rng = np.random.default_rng(0)
    steady = list(21.0 * (1 + 0.02 * rng.standard_normal(6)))
    save(tmp_path / "s", 1, epoch_run(steady))
    save(tmp_path / "s", 2, epoch_run([41.2, 41.3, 41.1, 41.4, 41.0, 41.2]))
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.regressed and "idle" not in v.note
