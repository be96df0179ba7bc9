"""A model kept in both frameworks, declared once: `ModelPair` (a Keras builder, a PyTorch builder, what input
they take) and the registry every generic check runs over.

A user declares a pair in their own module and runs `pytest --pair mymodule:my_pair`; this repository registers
its pairs in models/. Layer correspondence is not typed here: the adapters find it (Keras layers in call order
against PyTorch leaf modules and functional ops in forward order, matched by kind and parameter shapes).
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np


class PairError(ValueError):
    """A pair cannot be loaded or checked as declared; the message names the pair, what was expected and the fix."""


@dataclass(frozen=True)
class InputSpec:
    """What one sample looks like in Keras' layout (channels-last), and how to make a batch.

    `torch_layout="channels_first"` means the PyTorch model takes images as (N, C, H, W) (or (N, C, L)): the
    suite moves the last axis to position 1 for it. `sample(n, seed)` may return real data (Keras layout);
    otherwise values are drawn uniformly from [low, high) (integers for an integer dtype, e.g. token ids)."""
    shape: tuple
    dtype: str = "float32"
    low: float = 0.0
    high: float = 1.0
    torch_layout: str = "channels_first"  # or "same"
    sample: Callable[[int, int], np.ndarray] | None = None

    def batch(self, n: int, seed: int = 0) -> np.ndarray:
        if self.sample is not None:
            x = np.asarray(self.sample(n, seed))
            if x.shape != (n, *self.shape):
                raise PairError(f"input sample: expected shape {(n, *self.shape)}, got {x.shape}; "
                                f"fix: make sample(n, seed) return n samples of shape {self.shape}")
            return x.astype(self.dtype, copy=False)
        rng = np.random.default_rng(seed)
        if np.issubdtype(np.dtype(self.dtype), np.integer):
            return rng.integers(int(self.low), int(self.high), size=(n, *self.shape)).astype(self.dtype)
        return rng.uniform(self.low, self.high, size=(n, *self.shape)).astype(self.dtype)

    def to_torch_layout(self, x: np.ndarray) -> np.ndarray:
        if self.torch_layout == "channels_first" and x.ndim >= 3:
            return np.ascontiguousarray(np.moveaxis(x, -1, 1))
        return np.ascontiguousarray(x)

    @property
    def torch_shape(self) -> tuple:
        if self.torch_layout == "channels_first" and len(self.shape) >= 2:
            return (self.shape[-1], *self.shape[:-1])
        return tuple(self.shape)


@dataclass(frozen=True, eq=False)  # identity: a pair is one declaration
class ModelPair:
    """One model in both frameworks. Builders take no arguments (the suite seeds each framework before calling
    them). `head`: what the models emit — "logits" or "softmax" probabilities, per side if they differ.
    `layer_map` maps Keras layer names to PyTorch module names where automatic matching cannot decide.
    `formats`: export formats to check (None: every format whose exporter is installed)."""
    name: str
    keras: Callable[[], Any]
    torch: Callable[[], Any]
    input: InputSpec
    num_classes: int = 10
    keras_head: str = "logits"
    torch_head: str = "logits"
    layer_map: dict = field(default_factory=dict)
    formats: tuple | None = None
    description: str = ""

    def __post_init__(self):
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise PairError(f"pair name {self.name!r}: expected letters, digits, '-' or '_'; fix: rename it")
        for side in ("keras_head", "torch_head"):
            if getattr(self, side) not in ("logits", "softmax"):
                raise PairError(f"pair {self.name}: {side} must be 'logits' or 'softmax', got {getattr(self, side)!r}")
        if not callable(self.keras) or not callable(self.torch):
            raise PairError(f"pair {self.name}: keras and torch must be builders (functions returning a model)")


_REGISTRY: dict[str, ModelPair] = {}


def register(pair: ModelPair) -> ModelPair:
    """Add a pair to the registry the generic checks run over; returns it (usable as a decorator's result)."""
    if not isinstance(pair, ModelPair):
        raise PairError(f"register() takes a ModelPair, got {type(pair).__name__}")
    if pair.name in _REGISTRY and _REGISTRY[pair.name] is not pair:
        raise PairError(f"a different pair named {pair.name!r} is already registered; fix: give yours another name")
    _REGISTRY[pair.name] = pair
    return pair


def registered() -> list[ModelPair]:
    return list(_REGISTRY.values())


def get(name: str) -> ModelPair:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise PairError(f"no pair named {name!r}; registered: {sorted(_REGISTRY)}") from None


def load(ref: str) -> ModelPair:
    """`module:attr` -> the ModelPair it names (the current folder is importable, as for `python -m`)."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise PairError(f"--pair {ref!r}: expected MODULE:ATTR, e.g. mymodule:my_pair")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PairError(f"--pair {ref}: cannot import {module_name!r} ({exc}); fix: run from the folder that "
                        f"holds it or put it on PYTHONPATH") from None
    pair = getattr(module, attr, None)
    if not isinstance(pair, ModelPair):
        found = type(pair).__name__ if pair is not None else "nothing"
        raise PairError(f"--pair {ref}: expected a tfpt.ModelPair named {attr!r} in {module_name}, found {found}")
    return register(pair)
