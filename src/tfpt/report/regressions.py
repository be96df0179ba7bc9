"""The regression gate, as asv decides it: a benchmark regressed only if it got slower by more than a factor
(default 10 %) AND the slowdown is significant (one-sided Mann-Whitney U on the saved raw rounds, p < alpha).
Needs `--benchmark-save-data` (switched on by this suite whenever it saves); with too few rounds for any
p < alpha the verdict says so instead of guessing."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Verdict:
    name: str
    before: float  # median seconds
    after: float
    ratio: float
    p_value: float | None
    regressed: bool
    note: str = ""


def compare_runs(before, after, factor: float = 0.10, alpha: float = 0.05) -> list[Verdict]:
    from scipy.stats import mannwhitneyu

    out = []
    prev = before.by_name()
    for name, bench in after.by_name().items():
        if name not in prev:
            continue
        a, b = prev[name]["stats"], bench["stats"]
        ratio = b["median"] / a["median"] if a["median"] > 0 else float("inf")
        da, db = a.get("data"), b.get("data")
        if not da or not db:
            out.append(Verdict(name, a["median"], b["median"], ratio, None, False, "no raw rounds saved"))
            continue
        if len(da) < 2 or len(db) < 2:
            out.append(Verdict(name, a["median"], b["median"], ratio, None, False,
                               f"{len(da)} and {len(db)} rounds: too few for a significance test"))
            continue
        p = float(mannwhitneyu(db, da, alternative="greater").pvalue)
        note = ""
        if 1.0 / math.comb(len(da) + len(db), len(da)) >= alpha:
            note = f"{len(da)} and {len(db)} rounds: no p < {alpha} is possible; save more rounds to gate it"
        out.append(Verdict(name, a["median"], b["median"], ratio, p, ratio > 1 + factor and p < alpha, note))
    return out
