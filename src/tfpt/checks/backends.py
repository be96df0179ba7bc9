"""Keras on its other backends (torch, JAX) against Keras on TensorFlow and against native PyTorch, for any
registered ModelPair.

Both models of the pair share one set of weights (Keras' copied into PyTorch through the converters, as every
generic check does). The Keras model travels to the backend's worker process with its weights (a .keras file):

- same layout: every layer of Keras on TensorFlow against the same layer on the backend (no converter involved);
- through the converters: native PyTorch (its outputs brought to Keras' layout at each matched point) against
  Keras on the backend.

Each comparison names its first divergent layer (tfpt.compare). Framework-neutral: numpy, the adapters' traces
and the worker's client only.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from tfpt.checks import pairs
from tfpt.compare import Comparison, compare
from tfpt.frameworks import get as framework
from tfpt.frameworks.keras_backend import worker
from tfpt.pair import ModelPair
from tfpt.tolerances import Tol, tol

BATCH = 8


@dataclass
class BackendForward:
    pair: str
    framework: str                 # "keras-torch", "keras-jax"
    same_layout: Comparison        # Keras on TensorFlow vs Keras on the backend, every layer
    vs_torch: Comparison           # native PyTorch (through the converters) vs Keras on the backend
    versions: dict

    def rows(self) -> list[tuple[str, str, float, str]]:
        """(against, first divergent layer or '-', worst |Δ|, verdict) for a table."""
        out = []
        for against, c in (("Keras on TensorFlow", self.same_layout), ("PyTorch", self.vs_torch)):
            bad = c.first_divergent
            out.append((against, bad.name if bad else "-", c.max_abs, "ok" if c.ok else "differs"))
        return out


def keras_layer_outputs(keras_model, x: np.ndarray) -> "OrderedDict[str, np.ndarray]":
    """{Keras layer name: output} of a Keras-on-TensorFlow model (a fused activation: the layer's output)."""
    events, values = framework("tf").module("adapter").trace(keras_model, x)
    return OrderedDict((e.label or e.name, v) for e, v in zip(events, values, strict=True) if v is not None)


def check_pair(pair: ModelPair, fw_id: str, seed: int = 0, n: int = BATCH, tolerance: Tol | None = None,
               defect=None) -> BackendForward:
    """Compare Keras on `fw_id`'s backend with Keras on TensorFlow and with native PyTorch, on n seeded inputs.
    `defect(keras_model)` may change the model the backend receives (the negative controls)."""
    backend = framework(fw_id).keras_backend
    if backend is None:
        raise ValueError(f"{fw_id} is not a Keras backend run in a worker")
    tolerance = tolerance or tol("forward")
    pm = pairs.shared(pair, "tf->torch", seed)
    x = pair.input.batch(n, seed)
    w = worker(backend)
    sent = pm.keras_model if defect is None else defect(pm.keras_model)
    theirs = w.layer_outputs(sent, x, pair=pair)
    ours = keras_layer_outputs(pm.keras_model, x)
    same = compare(ours, OrderedDict((name, theirs.get(name)) for name in ours), tolerance)
    _, t_out = pairs.outputs(pm, x)
    labels = [label for label in t_out if label in theirs]
    vs_torch = compare(OrderedDict((label, t_out[label]) for label in labels),
                       OrderedDict((label, theirs[label]) for label in labels), tolerance)
    return BackendForward(pair.name, fw_id, same, vs_torch, w.versions)
