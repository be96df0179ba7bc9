"""The one comparator: named arrays against named arrays, structure first, then values, NaN-aware.

`compare(expected, actual, tol)` checks that both hold the same names in the same order, with equal shapes and
dtypes, then compares values in order and reports every entry's max absolute and relative error. `assert_close`
raises an AssertionError that names the *first* entry (layer, output, parameter) that diverges, with its errors,
the worst index, and the entries before it that agreed. A tolerance with `norm=True` compares each entry as a
whole (||actual - expected|| against atol + rtol * ||expected||). A passing `assert_close` with a tolerance-table
entry reports the figure it measured to the recorder in effect (`recording`: the pytest plugin's session holds it
while a run's tests execute; see tfpt.tolerances: the plugin checks no entry is far looser than its figures).
`slack` widens the bound per entry by a measured allowance (tfpt.checks.pairs: each framework's own float32
error), and `scale` replaces an entry's ||expected|| (a gradient that is zero by construction is measured
against the model's gradient norm, not divided by its own ~0 norm).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import numpy as np

from tfpt.tolerances import Tol


@dataclass(frozen=True)
class Row:
    name: str
    max_abs: float
    max_rel: float
    worst: tuple
    ok: bool
    frac_bad: float = 0.0  # fraction of elements outside the tolerance
    slack: float = 0.0  # the largest allowance added to the bound from outside (`compare(slack=...)`)
    scale: float | None = None  # the norm an entry was measured against where `compare(scale=...)` replaced it


@dataclass(frozen=True)
class Comparison:
    rows: tuple[Row, ...]
    structure_error: str | None
    tol: Tol

    @property
    def ok(self) -> bool:
        return self.structure_error is None and all(r.ok for r in self.rows)

    @property
    def first_divergent(self) -> Row | None:
        return next((r for r in self.rows if not r.ok), None)

    @property
    def max_abs(self) -> float:
        return max((r.max_abs for r in self.rows), default=0.0)

    def message(self, what: str = "layer") -> str:
        if self.structure_error:
            return self.structure_error
        bad = self.first_divergent
        if bad is None:
            return f"all {len(self.rows)} {what}s agree (max |Δ| {self.max_abs:.3g})"
        agreed = [f"{r.name} ({r.max_abs:.2g})" for r in self.rows[:self.rows.index(bad)]]
        share = f"; {100 * bad.frac_bad:.3g} % of elements outside (allowed {100 * (1 - self.tol.quantile):.3g} %)" \
            if self.tol.quantile < 1.0 else ""
        own = f" + {bad.slack:.3g} allowed for the frameworks' own float32 error" if bad.slack > 0 else ""
        if self.tol.norm:
            against = "||expected||" if bad.scale is None else f"the model's gradient norm {bad.scale:.3g}"
            return (f"first divergent {what}: {bad.name}: ||Δ|| {bad.max_abs:.4g} (atol {self.tol.atol:g}{own}), "
                    f"||Δ|| / {against} {bad.max_rel:.4g} (rtol {self.tol.rtol:g}), largest element difference "
                    f"at index {bad.worst}; agreeing before it: {', '.join(agreed) or 'none'}")
        return (f"first divergent {what}: {bad.name}: max |Δ| {bad.max_abs:.4g} (atol {self.tol.atol:g}{own}), "
                f"max relative {bad.max_rel:.4g} (rtol {self.tol.rtol:g}) at index {bad.worst}{share}; "
                f"agreeing before it: {', '.join(agreed) or 'none'}")


def _norm_row(name: str, a64: np.ndarray, b64: np.ndarray, tol: Tol, slack: float = 0.0,
              scale: float | None = None) -> Row:
    """The entry as a whole: ||a - b|| against atol + rtol * ||b|| (+ slack; `scale` in place of ||b||); NaN
    anywhere on one side only diverges."""
    if np.any(np.isnan(a64) ^ np.isnan(b64)):
        return Row(name, float("inf"), float("inf"), (), False, 1.0)
    diff = np.where(np.isnan(a64) & np.isnan(b64), 0.0, a64 - b64)
    err = float(np.linalg.norm(diff))
    norm = float(np.linalg.norm(np.nan_to_num(b64))) if scale is None else float(scale)
    rel = err / norm if norm > 0 else (0.0 if err == 0 else float("inf"))
    worst = np.unravel_index(int(np.argmax(np.abs(diff))), diff.shape) if diff.size else ()
    ok = err <= tol.atol + tol.rtol * norm + slack
    return Row(name, err, rel, tuple(int(i) for i in worst), ok, 0.0 if ok else 1.0, float(slack), scale)


def _row(name: str, a: np.ndarray, b: np.ndarray, tol: Tol, slack=0.0, scale: float | None = None) -> Row:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if tol.norm:
        return _norm_row(name, a64, b64, tol, float(np.max(slack, initial=0.0)), scale)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    diff = np.where(nan_a & nan_b, 0.0, np.abs(a64 - b64))
    diff = np.where(nan_a ^ nan_b, np.inf, diff)  # NaN on one side only always diverges
    # Relative to |expected| where that exceeds atol, else to atol: where the reference is ~0 the relative error
    # means nothing (it printed 7e+306), and the atol term is what bounds those elements.
    rel = diff / np.maximum(np.abs(b64), max(tol.atol, np.finfo(np.float64).tiny))
    bad = diff > tol.atol + tol.rtol * np.abs(np.nan_to_num(b64)) + slack
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    frac_bad = float(bad.mean()) if bad.size else 0.0
    return Row(name, float(diff.max(initial=0.0)), float(rel.max(initial=0.0)),
               tuple(int(i) for i in worst), frac_bad <= 1.0 - tol.quantile, frac_bad,
               float(np.max(slack, initial=0.0)))


def compare(expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], tol: Tol,
            slack: Mapping[str, object] | None = None, scale: Mapping[str, float] | None = None) -> Comparison:
    """`slack`: {name: extra allowed |Δ|} (a number, or an array of the entry's shape elementwise; for norm=True
    its largest value adds to the norm bound); `scale`: {name: the norm to measure a norm=True entry against}."""
    slack, scale = slack or {}, scale or {}
    names_e, names_a = list(expected), list(actual)
    if names_e != names_a:
        return Comparison((), f"names differ: expected {names_e}, got {names_a}", tol)
    for name in names_e:
        a, b = np.asarray(actual[name]), np.asarray(expected[name])
        if a.shape != b.shape:
            return Comparison((), f"{name}: shape {a.shape} != expected {b.shape}", tol)
        if a.dtype != b.dtype:
            return Comparison((), f"{name}: dtype {a.dtype} != expected {b.dtype}", tol)
    return Comparison(tuple(_row(n, np.asarray(actual[n]), np.asarray(expected[n]), tol, slack.get(n, 0.0),
                                 scale.get(n)) for n in names_e), None, tol)


# Who is told each figure a passing assert_close measured for a tolerance-table entry: (kind, dtype, figure).
Recorder = Callable[[str, str, float], None]
_recorder: ContextVar[Recorder | None] = ContextVar("tfpt_tolerance_recorder", default=None)


@contextmanager
def recording(recorder: Recorder) -> Iterator[None]:
    """Within this block (in this thread or task), passing assert_close calls report to `recorder`; outside any
    such block nothing is recorded (a library caller pays nothing and keeps no state)."""
    token = _recorder.set(recorder)
    try:
        yield
    finally:
        _recorder.reset(token)


def measured_figure(expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], tol: Tol) -> float:
    """What a tolerance is checked against: max |Δ| (max relative error where atol is 0); for quantile < 1, the
    |Δ| (relative error) at that quantile, since that many elements are what the entry bounds; for norm=True, the
    worst entry's ||Δ|| (||Δ|| / ||expected|| where atol is 0)."""
    worst = 0.0
    for name in expected:
        e, a = np.asarray(expected[name], np.float64), np.asarray(actual[name], np.float64)
        if tol.norm:
            row = _norm_row(name, a, e, tol)
            worst = max(worst, row.max_rel if tol.atol == 0 else row.max_abs)
            continue
        diff = np.abs(np.nan_to_num(a) - np.nan_to_num(e))
        if tol.atol == 0:
            diff = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
        if diff.size:
            worst = max(worst, float(np.quantile(diff, tol.quantile)) if tol.quantile < 1 else float(diff.max()))
    return worst


def record(expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], tol: Tol) -> None:
    """Report the figure a passing comparison measured for a tolerance-table entry to the recorder in effect."""
    recorder = _recorder.get()
    if tol.kind and recorder is not None:
        recorder(tol.kind, tol.dtype, measured_figure(expected, actual, tol))


def assert_close(expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], tol: Tol,
                 what: str = "layer") -> Comparison:
    result = compare(expected, actual, tol)
    if not result.ok:
        raise AssertionError(result.message(what))
    record(expected, actual, tol)
    return result
