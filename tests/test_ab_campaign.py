"""The tfpt-ab campaign's counting and summary, from fake A/Bs (no process runs): unchanged A/Bs called "B slower"
are false alarms, planted ones caught; the markdown names both. A folder already holding a campaign is refused,
nothing overwritten."""
from __future__ import annotations

from tfpt.cli import ab_campaign


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
