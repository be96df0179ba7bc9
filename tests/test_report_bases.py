"""Which basis each gate verdict used, said in report.md, report.html and report.json: a plain `--benchmark-autosave`
run is one process (a sample of one), gated on its rounds with the wider round-level factor; runs of `tfpt-bench
--processes N` are gated process by process with the factors measured that way, the pair, export and memory groups
included; scripts/process-spread's table (tfpt.report.spread) of the worst unchanged ratio per group. Made-up runs
(tests/report_runs.py): nothing here times anything."""
import json
from pathlib import Path

import numpy as np
import pytest

from tests.report_runs import bench, save
from tfpt.bench.processes import merge
from tfpt.report import spread
from tfpt.report.__main__ import main as report_main
from tfpt.report.regressions import PROCESS_FACTORS, factor_for
from tfpt.report.storage import load_runs

PAIR = "test_pair_cost[spec-torch-pair-latency]"
MEMORY = "test_peak_rss_in_own_process[torch-cpu-eval1000]"


def one_process(rng, median, add=0.0, rss=2400.0):
    """One process's JSON: a pair's batch-1 call (50 rounds, 2 % noise) and a memory worker's peak RSS."""
    data = median * (1 + 0.02 * rng.standard_normal(50)) + add
    return {"machine_info": {}, "commit_info": {"id": "c0ffee"}, "datetime": "2026-12-06T01:00:00",
            "version": "5.3.1", "benchmarks": [bench(PAIR, data, "pair-latency", "torch"),
                                               bench(MEMORY, [30.0], "memory", "torch", peak_rss_mb=rss)]}


def runs(tmp_path, medians_before, medians_after, add=0.0, processes=True):
    """Two saved runs: merged from one process per median (tfpt-bench) or, processes=False, the first process alone
    (a plain --benchmark-autosave run)."""
    rng = np.random.default_rng(0)
    for n, (medians, plus) in enumerate(((medians_before, 0.0), (medians_after, add)), 1):
        docs = [one_process(rng, m, plus, rss=2400.0 + i) for i, m in enumerate(medians)]
        save(tmp_path / "s", n, merge(docs)["benchmarks"] if processes else docs[0]["benchmarks"])
    out = tmp_path / "out"
    code = report_main(["--storage", str(tmp_path / "s"), "--out", str(out)])
    doc = json.loads((out / "report.json").read_text())
    verdicts = {v["name"].split("::")[-1]: v for v in doc["verdicts"]}
    return code, verdicts, (out / "report.md").read_text(), (out / "report.html").read_text()


@pytest.mark.parametrize("processes, says", [
    (False, ["rounds of one process, factor 60 %", "peak RSS of one process, bound +2 %"]),
    (True, [f"3 and 3 processes, factor {100 * PROCESS_FACTORS['pair-']:.0f} %",
            "median peak RSS of 3 and 3 processes, bound +2 %"])])
def test_each_verdict_names_its_basis_in_md_html_and_json(tmp_path, processes, says):
    code, v, md, page = runs(tmp_path, [1e-3, 1.01e-3, 0.99e-3], [1e-3, 0.99e-3, 1.01e-3], processes=processes)
    assert code == 0 and [v[PAIR]["judged_by"], v[MEMORY]["judged_by"]] == says
    assert all(s in md and s in page for s in says)
    assert "a plain `pytest --benchmark-autosave` run is one process, a sample of one" in md


def test_a_planted_sleep_in_a_pair_benchmark_is_flagged_by_process(tmp_path):
    """--bench-sleep 0.0005 (half a millisecond per call of a 1 ms pair call) in every process of the newer run."""
    code, v, _, _ = runs(tmp_path, [1e-3, 1.01e-3, 0.99e-3], [1e-3, 0.99e-3, 1.01e-3], add=0.0005)
    assert code == 1 and v[PAIR]["regressed"] and v[PAIR]["by_process"]


def test_unchanged_processes_that_spread_below_the_factor_pass(tmp_path):
    """The control: the newer run's processes 10 % apart, no process slower than the factor."""
    code, v, _, _ = runs(tmp_path, [1e-3, 1.05e-3, 0.95e-3], [1.04e-3, 0.96e-3, 1.02e-3])
    assert code == 0 and not v[PAIR]["regressed"] and v[PAIR]["by_process"]


def test_every_new_group_has_a_process_factor_no_wider_than_its_round_factor():
    for group in ("pair-step", "pair-latency", "export-latency", "export-throughput"):
        assert group.split("-")[0] + "-" in PROCESS_FACTORS or group in PROCESS_FACTORS
        assert factor_for(group, None, by_process=True) <= factor_for(group, None)


def test_the_spread_table_gives_the_worst_ratio_per_group(tmp_path, capsys):
    runs(tmp_path, [1e-3, 1.01e-3, 0.99e-3], [1.1e-3, 1.12e-3, 1.09e-3])
    before, after = load_runs(tmp_path / "s")
    g = spread.spread(before, after)
    assert set(g) == {"pair-latency", "memory"} and g["pair-latency"]["worst"] == pytest.approx(1.1, rel=0.03)
    assert spread.main([str(tmp_path / "s")]) in (0, 1)
    assert f"| pair-latency | 1 | process medians | {g['pair-latency']['worst']:.3f}x |" in capsys.readouterr().out


def test_the_spread_of_a_folder_without_two_runs_is_one_line_exit_3(tmp_path, capsys):
    assert spread.main([str(tmp_path)]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "fix: " in err and "\n" not in err


@pytest.mark.cli
@pytest.mark.torch
def test_tfpt_bench_runs_and_merges_a_pair_and_an_export_runtime_per_process(tmp_path):
    """The real thing, cheapest of each new group: 2 fresh processes, each benchmark saved with 2 process medians
    under its group's quantity, which the gate looks up in PROCESS_FACTORS."""
    import subprocess
    import sys

    from tfpt.procs import child_env
    k = "(test_pair_cost and mlp-ln-torch-pair-latency) or (test_export_runtime and torchscript-export-latency)"
    proc = subprocess.run([sys.executable, "-m", "tfpt.cli.bench", "--processes", "2", "-k", k, "--storage",
                           str(tmp_path / "s")], capture_output=True, text=True, timeout=600, env=child_env(),
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (saved,) = (tmp_path / "s").glob("*/*_processes.json")
    got = {b["extra_info"]["quantity"]: b["extra_info"] for b in json.loads(saved.read_text())["benchmarks"]}
    assert set(got) == {"pair-latency", "export-latency"}
    assert all(len(info["process_medians"]) == 2 and len(info["yardstick_process_medians"]) == 2
               for info in got.values())


def test_tfpt_bench_shows_the_memory_groups_peak_rss_across_processes():
    from tfpt.cli.bench import summary
    docs = [{"benchmarks": [bench(MEMORY, [30.0 + i], "memory", "torch", peak_rss_mb=2400.0 + i)]} for i in range(3)]
    assert "| 3 | 1.067x; peak RSS 2400-2402 MiB |" in summary(merge(docs))
