"""Layer pairs for the converter tests: one Keras layer and the PyTorch module that matches it, with seeded
random weights (not either framework's init), the input they share, and the converter's negative controls.

Frameworks are imported when a case is built, never at import time, so collecting the tests needs neither.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from tfpt.convert import Context, find
from tfpt.convert.layers import LSTMConverter


@dataclass(frozen=True)
class Case:
    id: str
    keras: Callable  # keras.layers -> unbuilt layer
    torch: Callable  # torch.nn -> module
    shape: tuple  # the Keras-layout input shape
    layout: str = "channels_last"  # how the torch input/output differ: channels_last, flatten, plain, rnn
    ctx: Context = field(default_factory=Context)
    torch_pad: tuple | None = None  # F.pad applied to the torch input first (Keras' asymmetric 'same'/'causal')
    vocab: int = 0  # > 0: integer inputs below it (Embedding)


CASES = [
    Case("conv1d-valid", lambda L: L.Conv1D(6, 3), lambda nn: nn.Conv1d(4, 6, 3), (2, 11, 4)),
    Case("conv1d-same-dilation2", lambda L: L.Conv1D(5, 3, padding="same", dilation_rate=2),
         lambda nn: nn.Conv1d(4, 5, 3, padding="same", dilation=2), (2, 11, 4)),
    Case("conv1d-causal", lambda L: L.Conv1D(5, 3, padding="causal", dilation_rate=2),
         lambda nn: nn.Conv1d(4, 5, 3, dilation=2), (2, 11, 4), torch_pad=(4, 0), ctx=Context(pad_before=((4, 0),))),
    Case("conv2d-valid", lambda L: L.Conv2D(6, 3), lambda nn: nn.Conv2d(3, 6, 3), (2, 9, 9, 3)),
    Case("conv2d-same", lambda L: L.Conv2D(6, 3, padding="same"), lambda nn: nn.Conv2d(3, 6, 3, padding=1),
         (2, 9, 9, 3)),
    Case("conv2d-stride2-same", lambda L: L.Conv2D(6, 3, strides=2, padding="same"),
         lambda nn: nn.Conv2d(3, 6, 3, stride=2), (2, 8, 8, 3), torch_pad=(0, 1, 0, 1),
         ctx=Context(pad_before=((0, 1), (0, 1)))),
    Case("conv2d-groups2-dilation2-nobias", lambda L: L.Conv2D(8, 3, dilation_rate=2, groups=2, use_bias=False),
         lambda nn: nn.Conv2d(4, 8, 3, dilation=2, groups=2, bias=False), (2, 9, 9, 4)),
    Case("depthwise", lambda L: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
         lambda nn: nn.Conv2d(3, 6, 3, padding=1, groups=3), (2, 7, 7, 3)),
    Case("dense", lambda L: L.Dense(7), lambda nn: nn.Linear(5, 7), (4, 5), layout="plain"),
    Case("dense-after-flatten-chw", lambda L: L.Dense(7), lambda nn: nn.Linear(60, 7), (2, 4, 5, 3),
         layout="flatten", ctx=Context(flatten_source=(3, 4, 5))),
    Case("dense-after-flatten-cl", lambda L: L.Dense(7), lambda nn: nn.Linear(24, 7), (2, 6, 4),
         layout="flatten", ctx=Context(flatten_source=(4, 6))),
    Case("batchnorm2d", lambda L: L.BatchNormalization(epsilon=1e-5, momentum=0.9),
         lambda nn: nn.BatchNorm2d(5, eps=1e-5, momentum=0.1), (2, 4, 4, 5)),
    Case("batchnorm1d-noscale", lambda L: L.BatchNormalization(epsilon=1e-5, momentum=0.9, scale=False),
         lambda nn: nn.BatchNorm1d(6, eps=1e-5, momentum=0.1), (8, 6), layout="plain"),
    Case("layernorm", lambda L: L.LayerNormalization(epsilon=1e-5), lambda nn: nn.LayerNorm(6, eps=1e-5),
         (2, 3, 6), layout="plain"),
    Case("embedding", lambda L: L.Embedding(10, 4), lambda nn: nn.Embedding(10, 4), (3, 5), layout="plain", vocab=10),
    Case("lstm", lambda L: L.LSTM(5, return_sequences=True), lambda nn: nn.LSTM(4, 5, batch_first=True),
         (2, 6, 4), layout="rnn"),
    Case("gru", lambda L: L.GRU(5, return_sequences=True), lambda nn: nn.GRU(4, 5, batch_first=True),
         (2, 6, 4), layout="rnn"),
]
BY_ID = {case.id: case for case in CASES}


@dataclass
class Built:
    case: Case
    layer: object
    module: object
    x: np.ndarray
    k: object  # LayerRecord of the Keras layer (random weights)
    t: object  # LayerRecord of the torch module (before conversion)
    converter: object


def random_weights(record, rng) -> OrderedDict:
    """Seeded weights in the record's shapes; variances positive, the rest normal with std 0.5."""
    out = OrderedDict()
    for name, ref in record.weights.items():
        if "var" in name:
            out[name] = rng.uniform(0.5, 1.5, ref.shape).astype(ref.dtype)
        else:
            out[name] = (0.5 * rng.standard_normal(ref.shape)).astype(ref.dtype)
    return out


def build(case: Case, rng, keras_overrides: dict | None = None) -> Built:
    """Both layers, built, the Keras one with seeded random weights; nothing converted yet."""
    from tfpt.frameworks import import_keras as keras, import_torch
    from tfpt.frameworks.keras.layers import keras_record, set_keras_weights
    from tfpt.frameworks.torch.layers import torch_record

    torch = import_torch()
    layer = case.keras(keras().layers)
    if keras_overrides:
        layer = type(layer).from_config({**layer.get_config(), **keras_overrides})
    module = case.torch(torch.nn).eval()
    x = rng.integers(0, case.vocab, case.shape) if case.vocab else rng.standard_normal(case.shape).astype(np.float32)
    layer(x.reshape(x.shape[0], -1) if case.layout == "flatten" else x)  # builds the layer
    set_keras_weights(layer, random_weights(keras_record(layer), rng))
    k, t = keras_record(layer), torch_record(case.id, module)
    return Built(case, layer, module, x, k, t, find(k.cls, t.cls))


def load_torch(b: Built, converter=None, ctx: Context | None = None) -> None:
    """Convert the Keras weights with `converter` (default: the registry's) and copy them into the module."""
    from tfpt.frameworks.torch.layers import set_torch_weights
    set_torch_weights(b.module, (converter or b.converter).to_torch(b.k, b.t, b.case.ctx if ctx is None else ctx))


def torch_input(case: Case, x: np.ndarray):
    from tfpt.frameworks import import_torch
    torch = import_torch()
    xt = torch.from_numpy(x)
    if case.layout in ("channels_last", "flatten"):
        xt = xt.permute(0, x.ndim - 1, *range(1, x.ndim - 1))  # (N, ..., C) -> (N, C, ...)
    if case.torch_pad is not None:
        xt = torch.nn.functional.pad(xt, case.torch_pad)
    return torch.flatten(xt, 1) if case.layout == "flatten" else xt


def run_torch(b: Built) -> np.ndarray:
    """The module's output in Keras' layout."""
    from tfpt.frameworks import import_torch
    torch = import_torch()
    with torch.no_grad():
        y = b.module(torch_input(b.case, b.x))
    y = y[0] if b.case.layout == "rnn" else y
    if b.case.layout == "channels_last":
        y = y.permute(0, *range(2, y.ndim), 1)
    return y.numpy()


def keras_input(b: Built) -> np.ndarray:
    return b.x.reshape(b.x.shape[0], -1) if b.case.layout == "flatten" else b.x  # Keras flattens channels-last


def run_keras(b: Built) -> np.ndarray:
    return np.asarray(b.layer(keras_input(b), training=False))


def outputs(b: Built) -> tuple[dict, dict]:
    """({layer: Keras output}, {layer: torch output}), keyed by the pair's names so a failure names the layer."""
    key = f"{b.k.name} <-> {b.case.id}"
    return {key: run_keras(b)}, {key: run_torch(b)}


class SwappedGatesLSTM(LSTMConverter):
    """A defective converter for the negative control: it takes Keras' gates as (f, i, c, o)."""

    name = "lstm-swapped-gates"

    def _gate_order(self, a, axis):
        i, f, c, o = np.split(a, 4, axis=axis)
        return np.concatenate([f, i, c, o], axis=axis)


def torch_random(b: Built, rng):
    """The torch record with its own seeded random weights, for torch -> Keras -> torch round trips."""
    return replace(b.t, weights=random_weights(b.t, rng))
