"""The numpy helpers the checks share, written once: a softmax over the last axis, weights flattened to one
entry per tensor, and per-tensor relative errors. Numpy only."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in `z`'s dtype (the maximum subtracted first, so large logits do not overflow)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(z.dtype)


def flat(weights: Mapping) -> OrderedDict[str, np.ndarray]:
    """{"layer.name": array} in order, from weights by layer: {layer: {name: array}} (a pair's weights) or the
    study's {layer: (kernel, bias)}."""
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    for layer, ws in weights.items():
        parts = ws.items() if isinstance(ws, Mapping) else zip(("kernel", "bias"), ws, strict=True)
        for name, w in parts:
            out[f"{layer}.{name}"] = np.asarray(w)
    return out


def relative_errors(expected: Mapping, actual: Mapping) -> dict[str, float]:
    """||a - e|| / ||e|| per tensor (Frobenius norms, float64). Where ||e|| is 0 the absolute ||a|| instead: 0 when
    both are zero, the size of `a` otherwise (a zero expected gradient is matched only by a zero one)."""
    out = {}
    for n, e in expected.items():
        e64, a64 = np.asarray(e, np.float64), np.asarray(actual[n], np.float64)
        norm = np.linalg.norm(e64)
        out[n] = float(np.linalg.norm(a64 - e64) / norm) if norm > 0 else float(np.linalg.norm(a64))
    return out
