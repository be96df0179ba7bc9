"""Medians of repeated runs with percentile-bootstrap 95 % intervals, and the TF / PyTorch ratio of medians with
its interval; a difference is called only when the ratio's interval excludes 1 and none of the figures behind
it was flagged (`verdict`, the one place a verdict is worded: tfpt-compare, tfpt-ab and the report). numpy only.

`bootstrap` is the resampling (percentile bootstrap of the median, or of median(a) / median(b) with a and b
resampled independently); the report's tables call it with 2,000 resamples, tfpt-compare through `median` and
`ratio` with 10,000 and a fixed seed, so both compute intervals one way. With fewer than 3 values on a side
there is no interval.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

RESAMPLES = 10_000
SEED = 0
UNRESOLVED = "no difference resolved"
NO_VERDICT = "no verdict from flagged figures"


def bootstrap(da, db=None, n: int = 2000, seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap 95 % interval of the median of `da` (or of median(da) / median(db)) from the raw
    rounds; None with fewer than 3 rounds on a side (too few to resample)."""
    if da is None or len(da) < 3 or (db is not None and len(db) < 3):
        return None
    rng = np.random.default_rng(seed)
    a = np.asarray(da, float)
    meds = np.median(a[rng.integers(0, len(a), (n, len(a)))], axis=1)
    if db is not None:
        b = np.asarray(db, float)
        meds = meds / np.median(b[rng.integers(0, len(b), (n, len(b)))], axis=1)
    lo, hi = np.percentile(meds, [2.5, 97.5])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    value: float  # median of the values, or ratio of the two medians
    lo: float | None  # 95 % percentile-bootstrap interval; None with fewer than 3 values on a side
    hi: float | None
    n: int  # values (the smaller side for a ratio)

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self, fmt: str = "{:.2f}", unit: str = "") -> str:
        ci = f" [{fmt.format(self.lo)}, {fmt.format(self.hi)}]" if self.lo is not None else ""
        return f"{fmt.format(self.value)}{unit}{ci}"


def median(values, n: int = RESAMPLES, seed: int = SEED) -> Estimate:
    v = np.asarray(values, float)
    lo, hi = bootstrap(v, n=n, seed=seed) or (None, None)
    return Estimate(float(np.median(v)), lo, hi, len(v))


def ratio(a, b, n: int = RESAMPLES, seed: int = SEED) -> Estimate:
    """median(a) / median(b) with the bootstrap interval of that ratio."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    lo, hi = bootstrap(a, b, n=n, seed=seed) or (None, None)
    return Estimate(float(np.median(a) / np.median(b)), lo, hi, min(len(a), len(b)))


def verdict(r: Estimate, above: str, below: str, flags: Sequence[str] = (), margin: float = 0.0,
            unit: str = "repeats") -> str:
    """The one wording of a ratio's verdict: `above` when the ratio's whole interval is above 1 (+ `margin`),
    `below` when below 1 (- `margin`), else no difference resolved. `flags`: what the suite flagged in the
    figures behind the ratio (an idle epoch: a wait the CPU time does not explain, not the work); with any,
    there is no verdict, only which figures were flagged, since the wait can make either side look slower
    (a busy box flagged every epoch and the table still said "TensorFlow faster")."""
    if flags:
        return f"{NO_VERDICT}: " + "; ".join(flags)
    if r.lo is None or r.hi is None:
        return f"{UNRESOLVED} (fewer than 3 {unit}: no interval)"
    if r.lo > 1 + margin:
        return above
    if r.hi < 1 - margin:
        return below
    if r.lo > 1 or r.hi < 1:
        return f"{UNRESOLVED} (a change under {100 * margin:.0f} %: not called)"
    return f"{UNRESOLVED} (interval includes 1)"


Z95 = NormalDist().inv_cdf(0.975)  # the bootstrap interval's half-width in standard errors


def mde(r: Estimate, margin: float = 0.0, power: float = 0.5) -> float | None:
    """The minimum detectable slowdown of a ratio of medians, as a fraction (0.12: 12 %): the smallest true ratio
    B / A that `verdict` would call above 1 + `margin` in a fraction `power` of runs like this one (same sample
    counts and spreads). Scaling B's samples by c scales the bootstrap's interval by c (the same seed draws the
    same resamples), so a true ratio t gives an interval of about t * [lo, hi] / value, called once
    t > (1 + margin) * value / lo; which half of the interval is the wider is the luck of the draw (3 processes
    a side: value / lo 1.06-1.56 but hi / value 1.09-1.61 on the same rows), so the wider half w = max(value / lo,
    hi / value) is taken. At power 0.5 that is (1 + margin) * w - 1: a slowdown of exactly that size is called
    about half the time. For more, the estimate itself must land high enough: log w is Z95 standard errors, so
    (1 + margin) * w ** (1 + z(power) / Z95) - 1 (power 0.9: w ** 1.65). None without an interval."""
    if r.lo is None or r.hi is None or r.lo <= 0:
        return None
    w = max(r.value / r.lo, r.hi / r.value)
    return (1 + margin) * w ** (1 + NormalDist().inv_cdf(power) / Z95) - 1
