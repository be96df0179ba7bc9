"""The process as the unit (tfpt.bench.processes, tfpt-bench): N processes' JSON merged into one run whose
benchmarks carry their process medians, and the gate comparing those: a process whose rounds all drifted
together is one sample, not 50; a planted 20 % slowdown across 3 processes is still caught."""
import numpy as np
import pytest

from tests.report_runs import bench, save
from tfpt.bench.processes import merge, next_path
from tfpt.report.regressions import compare_runs
from tfpt.report.storage import load_runs

NAME = "test_latency[torch-cpu-tuned-bf16]"


def process_doc(rng, median, rounds=50, noise=0.02, stick=0.012, **extra):
    data = median * (1 + noise * rng.standard_normal(rounds))
    ys = list(stick * (1 + noise * rng.standard_normal(5)))
    return {"machine_info": {}, "commit_info": {"id": "c0ffee"}, "datetime": "2026-12-01T10:00:00",
            "version": "5.3.1",
            "benchmarks": [bench(NAME, data, "latency", "torch", yardstick_s=ys, yardstick_flops=2 * 1024.0 ** 3,
                                 **extra)]}


def merged_run(rng, medians):
    return merge([process_doc(rng, m) for m in medians])["benchmarks"]


def test_merge_keeps_every_round_and_each_process_median():
    rng = np.random.default_rng(0)
    docs = [process_doc(rng, m, idle_rounds=[1]) for m in (1e-3, 2e-3, 1.5e-3)]
    (b,) = merge(docs)["benchmarks"]
    info = b["extra_info"]
    assert info["processes"] == 3 and len(b["stats"]["data"]) == 150 and len(info["yardstick_s"]) == 15
    assert info["process_medians"] == [d["benchmarks"][0]["stats"]["median"] for d in docs]
    assert b["stats"]["median"] == pytest.approx(np.median(info["process_medians"]))
    assert info["idle_rounds"] == [1, 51, 101]  # each process's idle round, shifted into the merged rounds


def test_next_path_numbers_after_the_last_saved_run(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0007_abc.json").write_text("{}")
    assert next_path(tmp_path, "m", "t").name == "0008_t.json"


def test_two_unchanged_runs_whose_processes_differ_are_no_regression(tmp_path):
    """Each run's 3 processes sit 0.45-0.84 ms apart (as two real unchanged runs did): rounds would call the
    newer run certainly slower; its processes do not."""
    rng = np.random.default_rng(1)
    save(tmp_path / "s", 1, merged_run(rng, [0.45e-3, 0.84e-3, 0.60e-3]))
    save(tmp_path / "s", 2, merged_run(rng, [0.84e-3, 0.50e-3, 0.70e-3]))
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert not v.regressed and "process medians: 3 and 3" in v.note


def test_a_planted_slowdown_in_every_process_is_a_regression(tmp_path):
    rng = np.random.default_rng(2)
    save(tmp_path / "s", 1, merged_run(rng, [1.00e-3, 1.02e-3, 0.99e-3]))
    save(tmp_path / "s", 2, merged_run(rng, [1.80e-3, 1.84e-3, 1.79e-3]))
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.regressed and v.ratio == pytest.approx(1.8, rel=0.05) and v.p_adjusted < 0.05


def test_process_level_latency_takes_the_default_factor_rounds_keep_theirs():
    """Process medians of latency moved at most 1.27x over 5 unchanged comparisons: a 1.3x move of every process
    is a regression there; the same move judged on rounds stays under latency's round-level 0.60."""
    from tfpt.report.regressions import factor_for
    assert factor_for("latency", None, by_process=True) == 0.10 and factor_for("latency", None) == 0.60
    assert factor_for("pair-forward", None, by_process=True) == 0.30 < factor_for("pair-forward", None)


def test_a_30_percent_slower_latency_across_processes_is_a_regression(tmp_path):
    rng = np.random.default_rng(3)
    save(tmp_path / "s", 1, merged_run(rng, [1.00e-3, 1.02e-3, 0.99e-3]))
    save(tmp_path / "s", 2, merged_run(rng, [1.30e-3, 1.31e-3, 1.29e-3]))
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.regressed and v.by_process


def runs_with_sticks(tmp_path, before, after):
    """Two runs of 3 processes each: (benchmark median, yardstick seconds) per process."""
    rng = np.random.default_rng(4)
    for i, procs in enumerate((before, after), 1):
        save(tmp_path / "s", i, merge([process_doc(rng, m, stick=y) for m, y in procs])["benchmarks"])
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    return v


def test_a_yardstick_that_spreads_wider_than_the_benchmark_gives_way_to_seconds(tmp_path):
    """As measured beside 35 s epochs: the matmul's process medians spread 17-28 ms, the epochs 4 %; divided, a
    planted 20 % slower epoch read 0.95x. Seconds decide there, and the 20 % is a regression."""
    v = runs_with_sticks(tmp_path, [(36.9, 0.022), (38.2, 0.026), (35.0, 0.020)],
                         [(42.6, 0.028), (41.3, 0.024), (43.8, 0.0275)])
    assert v.regressed and v.basis == "seconds" and "seconds alone" in v.note


def test_a_yardstick_that_tracks_a_slower_machine_still_divides_it_out(tmp_path):
    """The control: machine and benchmark 30 % slower together is drift, not a regression, and ÷ matmul says so."""
    v = runs_with_sticks(tmp_path, [(1.00e-3, 0.0200), (1.05e-3, 0.0210), (0.95e-3, 0.0190)],
                         [(1.30e-3, 0.0260), (1.37e-3, 0.0274), (1.24e-3, 0.0248)])
    assert not v.regressed and v.basis.startswith("÷ matmul") and v.ratio == pytest.approx(1.0, abs=0.03)
