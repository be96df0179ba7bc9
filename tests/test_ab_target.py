"""tfpt-ab --target / --budget with fake sides (no process runs): pairs are added, first side alternating, until
every benchmark's MDE is under the target or the budget leaves no room for another pair; the table and the run
record say which. Also the options' parsers and the planted proportional slowdown (tfpt.bench.planted.slowed)."""
from __future__ import annotations

import argparse
import sys
import time

import pytest

from tfpt.bench import planted
from tfpt.cli import ab


def args(**kw) -> argparse.Namespace:
    base = dict(processes=3, target=0.05, budget=600.0, min_effect=0.02, threads=1, cpus={1}, timer="cpu")
    return argparse.Namespace(**{**base, **kw})


def fake(width: float, calls: list, clock: list | None = None):
    """One process's medians: 1.0 +- width, a deterministic wobble by process; each call 10 fake seconds."""
    def measure(side, i):
        calls.append(f"{side.label}{i}")
        if clock is not None:
            clock[0] += 10.0
        return {"t": 1.0 + width * ((7 * len(calls)) % 5 - 2) / 2}, {}
    return measure


def sides():
    return ab.Side("A", sys.executable), ab.Side("B", sys.executable)


def test_a_steady_benchmark_reaches_the_target_at_the_fewest_pairs_alternating_the_first_side(capsys):
    calls: list = []
    got, _, run = ab.interleaved(*sides(), args(), None, measure=fake(0.004, calls))
    assert calls == ["A1", "B1", "B2", "A2", "A3", "B3"] and run["reached"] and run["pairs"] == 3
    assert run["worst_mde"] <= 0.05 and len(got["A"]) == len(got["B"]) == 3
    progress = capsys.readouterr().err.splitlines()
    assert len(progress) == 3 and progress[-1].startswith("-- pair 3: 3 processes a side, worst could see ≥")
    rows = ab.verdicts(got, 0.02)
    assert "target ≥ 5.0 %: reached after 3 processes a side" in ab.table(rows, *sides(), run)


def test_a_noisy_benchmark_adds_pairs_until_the_budget_leaves_no_room_and_says_so(capsys):
    calls: list = []
    clock = [0.0]
    got, _, run = ab.interleaved(*sides(), args(budget=100.0), None, measure=fake(0.2, calls, clock),
                                 clock=lambda: clock[0])
    assert run["pairs"] == 5 and not run["reached"] and run["worst_mde"] > 0.05  # 5 x 20 s: a 6th would overrun
    text = ab.table(ab.verdicts(got, 0.02), *sides(), run)
    assert "target ≥ 5.0 %: NOT reached, worst ≥" in text and "1 min 40 s budget left no time" in text
    assert text.splitlines()[-1].startswith("this run could see slowdowns ≥")


def test_without_target_or_budget_it_runs_exactly_the_processes_asked():
    calls: list = []
    _, _, run = ab.interleaved(*sides(), args(target=None, budget=None, processes=4), None,
                               measure=fake(0.2, calls))
    assert run["pairs"] == 4 and run["reached"] is None and len(calls) == 8


@pytest.mark.parametrize("text, value", [("5%", 0.05), ("0.05", 0.05), (" 2.5% ", 0.025)])
def test_target_accepts_a_percentage_or_a_fraction(text, value):
    assert ab.fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text, seconds", [("10m", 600), ("600", 600), ("90s", 90), ("1.5h", 5400)])
def test_budget_accepts_seconds_minutes_and_hours(text, seconds):
    assert ab.duration(text) == seconds


def test_the_planted_slowdown_lengthens_each_call_by_its_fraction_busy(monkeypatch):
    """Wrapped against unwrapped in one process, interleaved: medians of 15 calls of a 2 ms CPU-bound body. A
    loose band: the fraction lands, not how fast this machine is. The negative control: F = 0 wraps nothing."""
    def body():
        end = time.process_time() + 0.002
        while time.process_time() < end:
            pass

    def cpu_seconds(f):
        t0 = time.process_time()
        f()
        return time.process_time() - t0
    monkeypatch.setenv("TFPT_BENCH_SLOWER", "0.5")
    wrapped = planted.slowed(body, clock=time.process_time)  # as the benchmarks under tfpt-ab's --timer cpu
    pairs = [(cpu_seconds(wrapped), cpu_seconds(body)) for _ in range(15)]
    ratio = sorted(w for w, _ in pairs)[7] / sorted(b for _, b in pairs)[7]
    assert 1.3 < ratio < 1.75, ratio
    monkeypatch.setenv("TFPT_BENCH_SLOWER", "0")
    assert planted.slowed(body) is body
    monkeypatch.setenv("TFPT_BENCH_SLOWER", "0.5")
    assert planted.slowed(body, proportional=False) is body  # the epoch worker's client plants it itself


def test_no_benchmark_on_both_sides_stops_after_one_pair_not_at_the_budget():
    calls: list = []

    def nothing(side, i):  # every selected benchmark skipped (a GPU one here, say)
        calls.append(side.label)
        return {}, {}
    got, _, run = ab.interleaved(*sides(), args(), None, measure=nothing)
    assert run["pairs"] == 1 and calls == ["A", "B"] and ab.verdicts(got) == []
