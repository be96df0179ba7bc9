"""The regression gate every headline figure passes through.

Times: a benchmark regressed only if it got slower by more than `factor` (default 10 %) AND the slowdown is
significant: a one-sided Mann-Whitney U test on the saved raw rounds, with the p-values of all gated benchmarks
of the comparison adjusted for false discoveries (Benjamini-Hochberg, `scipy.stats.false_discovery_control`),
adjusted p < alpha. Where both runs hold the matmul yardstick (the `peak` group, measured in the same run),
each time is gated as its ratio to that run's yardstick median, so a machine that got slower (or faster) as a
whole does not read as a regression; the verdict says which basis it used.

Peak RSS is one number per run (no rounds, no test): it regressed if it grew by more than `rss_bound`
(default 10 %, above the run-to-run spread of a sampled peak RSS).

With too few rounds for any p < alpha the verdict says so instead of guessing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RSS_BOUND = 0.10


@dataclass
class Verdict:
    name: str
    quantity: str | None
    basis: str            # "÷ matmul", "seconds" or "peak RSS"
    before: float         # median seconds, or MiB for peak RSS
    after: float
    ratio: float          # after / before on the gated basis
    p_value: float | None = None
    p_adjusted: float | None = None
    regressed: bool = False
    note: str = ""
    rounds: tuple = (0, 0)  # raw rounds saved before / after


def yardstick(run) -> float | None:
    """Median seconds of the run's matmul yardstick, or None."""
    for b in run.benchmarks:
        if b["extra_info"].get("quantity") == "peak" or b.get("group") == "peak":
            return b["stats"]["median"] or None
    return None


def _ratio(a: float, b: float) -> float:
    return b / a if a > 0 else math.inf


def min_p(n: int, m: int) -> float:
    """The smallest one-sided Mann-Whitney p that n and m rounds can give (every round of one above the other)."""
    return 1.0 / math.comb(n + m, n)


def compare_runs(before, after, factor: float = 0.10, alpha: float = 0.05, rss_bound: float = RSS_BOUND,
                 use_yardstick: bool = True) -> list[Verdict]:
    """The gate for one comparison (previous run -> newest run of one key)."""
    return gate([(before, after)], factor, alpha, rss_bound, use_yardstick)[0]


def gate(pairs, factor: float = 0.10, alpha: float = 0.05, rss_bound: float = RSS_BOUND,
         use_yardstick: bool = True) -> list[list[Verdict]]:
    """Verdicts for each (before, after) pair; the false-discovery control spans every gated time of them all."""
    from scipy.stats import false_discovery_control

    per_pair = [_verdicts(b, a, rss_bound, use_yardstick, alpha) for b, a in pairs]
    tested = [v for vs in per_pair for v in vs if v.p_value is not None]
    if tested:
        adjusted = false_discovery_control([v.p_value for v in tested], method="bh")
        n = len(tested)
        for v, p_adj in zip(tested, adjusted):
            v.p_adjusted = float(p_adj)
            v.regressed = v.ratio > 1 + factor and v.p_adjusted < alpha
            if not v.note and n > 1 and min_p(*v.rounds) * n >= alpha:
                v.note = f"few rounds: can pass the control over {n} benchmarks only if others also moved"
    return per_pair


def _verdicts(before, after, rss_bound, use_yardstick, alpha) -> list[Verdict]:
    from scipy.stats import mannwhitneyu

    ya, yb = (yardstick(before), yardstick(after)) if use_yardstick else (None, None)
    scale_a, scale_b, basis = (ya, yb, "÷ matmul") if ya and yb else (1.0, 1.0, "seconds")
    prev = before.by_name()
    out = []
    for name, bench in after.by_name().items():
        if name not in prev:
            continue
        a, b = prev[name], bench
        q = b["extra_info"].get("quantity")
        if q == "memory":
            ra, rb = a["extra_info"]["peak_rss_mb"], b["extra_info"]["peak_rss_mb"]
            r = _ratio(ra, rb)
            out.append(Verdict(name, q, "peak RSS", ra, rb, r, regressed=r > 1 + rss_bound,
                               note=f"threshold: +{100 * rss_bound:.0f} % (one sample per run, no test)"))
            continue
        sa, sb = a["stats"], b["stats"]
        if q == "peak" or b.get("group") == "peak":
            out.append(Verdict(name, q, "seconds", sa["median"], sb["median"], _ratio(sa["median"], sb["median"]),
                               note="the yardstick: machine speed, not gated"))
            continue
        v = Verdict(name, q, basis, sa["median"], sb["median"],
                    _ratio(sa["median"] / scale_a, sb["median"] / scale_b))
        da, db = sa.get("data"), sb.get("data")
        v.rounds = (len(da or []), len(db or []))
        if not da or not db:
            v.note = "no raw rounds saved: not gated"
        elif len(da) < 2 or len(db) < 2:
            v.note = f"{len(da)} and {len(db)} rounds: too few for a significance test"
        else:
            v.p_value = float(mannwhitneyu(np.asarray(db) / scale_b, np.asarray(da) / scale_a,
                                           alternative="greater").pvalue)
            if min_p(len(da), len(db)) >= alpha:
                v.note = f"{len(da)} and {len(db)} rounds: no p < {alpha} is possible; save more rounds to gate it"
        out.append(v)
    return out
