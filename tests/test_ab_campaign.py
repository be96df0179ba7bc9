"""The tfpt-ab campaign's counting and summary, from fake A/Bs (no process runs): unchanged A/Bs called "B slower"
are false alarms, planted ones caught; the markdown names both. A folder already holding a campaign is refused,
nothing overwritten."""
from __future__ import annotations

import argparse
import sys

from tfpt.cli import ab, ab_campaign


def fake_ab(kind: str, verdicts: dict) -> dict:
    rows = [{"name": n, "ratio": {"value": 1.0, "lo": 0.98, "hi": 1.02, "n": 5}, "verdict": v, "mde": 0.04,
             "a_s": [1.0] * 5, "b_s": [1.0] * 5} for n, v in verdicts.items()]
    return {"kind": kind, "slower": 0.0, "run": {"pairs": 5}, "wall_s": 40.0, "rows": rows}


def test_unchanged_calls_are_false_alarms_and_planted_ones_caught():
    abs_ = [fake_ab("unchanged", {"lat": "no difference resolved", "step": "B slower"}),
            fake_ab("unchanged", {"lat": "no difference resolved", "step": "no difference resolved"}),
            fake_ab("planted 5 %", {"lat": "B slower", "step": "B slower"}),
            fake_ab("planted 5 %", {"lat": "no difference resolved", "step": "B slower"})]
    by = {(r["kind"], r["benchmark"]): r for r in ab_campaign.tally(abs_)}
    assert by[("unchanged", "step")]["slower"] == 1 and by[("unchanged", "lat")]["slower"] == 0
    assert by[("planted 5 %", "lat")]["slower"] == 1 and by[("planted 5 %", "step")]["slower"] == 2
    doc = {"started": "2026-12-06T02:25:00+00:00", "machine": "m", "load_start": [0.1], "command": "c", "k": "k",
           "tests": ["t"], "ab_target": 0.05, "ab_budget_s": 42.0, "abs": abs_}
    md = ab_campaign.markdown(doc)
    assert "| unchanged | step | 2 | 1 (false alarms) |" in md and "| planted 5 % | step | 2 | 2 (caught) |" in md


def test_a_folder_holding_a_campaign_is_refused_and_kept(tmp_path, capsys):
    (tmp_path / "campaign.json").write_text("{}")
    assert ab_campaign.main([str(tmp_path)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: out {tmp_path}: a folder without a campaign")
    assert "fix: name a new folder" in err[0]
    assert (tmp_path / "campaign.json").read_text() == "{}" and sorted(p.name for p in tmp_path.iterdir()) == [
        "campaign.json"]


def test_the_spread_part_runs_each_configuration_round_robin_with_its_controls(monkeypatch, tmp_path):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # pytest-xdist's workers get the cores divided: 1 each
    calls = []

    def run_one(python, tests, k, out, cwd=None, env=None, pytest_args=(), label="", cpus=None):
        calls.append((label, env.get("OMP_NUM_THREADS"), cpus, list(pytest_args)))
        return {"benchmarks": [{"name": "t", "stats": {"median": 1.0 + 0.01 * len(calls)}}]}
    monkeypatch.setattr(ab_campaign.processes, "run_one", run_one)
    monkeypatch.setattr(ab_campaign.processes, "pinned_cpus", lambda threads: {1} if threads == 1 else None)
    args = argparse.Namespace(spread_processes=2, tests=["t.py"], k="t", ab=argparse.Namespace(a_env=[], b_env=[]))
    got = ab_campaign.spread(args, ab.Side("A", sys.executable), tmp_path, lambda text: None)
    assert [c[0] for c in calls[:2]] == ["spread all on (default), 1", "spread no pin, 1"] and len(calls) == 10
    on, off = calls[0], calls[4]
    assert on[1:] == ("1", {1}, ["--benchmark-timer=time.process_time"]) and off[1:] == (None, None, [])
    rows = ab_campaign.spread_rows(got)
    assert len(rows) == 5 and all(r["processes"] == 2 and r["max_over_min"] > 1 for r in rows)
