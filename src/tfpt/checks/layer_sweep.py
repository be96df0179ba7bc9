"""A layer sweep in the spirit of Keras' own `run_layer_test`: one declarative table of layer cases, each run on
every Keras backend from the same weights and the same inputs, compared with Keras on TensorFlow within the
tolerance table (tfpt.tolerances, "forward"), each difference recorded with the installed versions.

The cases: every Keras layer kind the converters cover (tfpt.convert), plus the ones where backends are known to
part (Conv2DTranspose with 'same'/'valid' padding and strides 1-2, pooling with padding, BatchNormalization in
training and in inference, GELU in both forms, LayerNormalization, MultiHeadAttention).

A case is built on the TensorFlow side only (`build(keras)` -> a layer; weights seeded, BatchNorm's moving
statistics drawn away from 0 and 1 so a dropped statistic shows); the model with its weights travels to each
backend's worker as a .keras file. Framework-neutral: the builders get the keras module passed in.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tfpt.compare import Comparison, compare
from tfpt.tolerances import Tol, tol


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable                  # keras -> layer (or keras -> (inputs -> outputs) for several inputs)
    shape: tuple                     # one input's shape, without the batch
    training: bool = False
    ints: int = 0                    # > 0: integer inputs in [0, ints) (token ids)
    why: str = ""                    # what the case guards


def _conv_t(padding, strides):
    return lambda k: k.layers.Conv2DTranspose(4, 3, strides=strides, padding=padding)


# No closure in the Lambdas: their code travels to the worker in the .keras file (marshalled), a closure would not.
def _gelu_erf(k):
    return k.layers.Lambda(lambda x: __import__("keras").ops.gelu(x, approximate=False), name="gelu_erf")


def _gelu_tanh(k):
    return k.layers.Lambda(lambda x: __import__("keras").ops.gelu(x, approximate=True), name="gelu_tanh")


def _mha(k):
    return lambda x: k.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)


CASES: tuple[Case, ...] = (
    Case("conv2d-valid", lambda k: k.layers.Conv2D(4, 3), (9, 9, 3)),
    Case("conv2d-same-s2", lambda k: k.layers.Conv2D(4, 3, strides=2, padding="same"), (9, 9, 3),
         why="'same' with stride 2 on an odd size pads one side only"),
    Case("depthwise-same", lambda k: k.layers.DepthwiseConv2D(3, padding="same"), (8, 8, 3)),
    Case("separable-valid", lambda k: k.layers.SeparableConv2D(4, 3), (8, 8, 3)),
    *(Case(f"conv2d-transpose-{p}-s{s}", _conv_t(p, s), (7, 7, 3),
           why="keras-team/keras#22876: 'same', stride 2 on torch shifted one pixel")
      for p in ("same", "valid") for s in (1, 2)),
    Case("maxpool-same-s2", lambda k: k.layers.MaxPooling2D(3, strides=2, padding="same"), (9, 9, 3)),
    Case("avgpool-same-s2", lambda k: k.layers.AveragePooling2D(3, strides=2, padding="same"), (9, 9, 3),
         why="the padded cells are left out of the mean"),
    Case("batchnorm-inference", lambda k: k.layers.BatchNormalization(), (5, 5, 3)),
    Case("batchnorm-training", lambda k: k.layers.BatchNormalization(), (5, 5, 3), training=True,
         why="batch statistics, biased variance"),
    Case("gelu-erf", _gelu_erf, (16,)),
    Case("gelu-tanh", _gelu_tanh, (16,)),
    Case("layernorm", lambda k: k.layers.LayerNormalization(), (6, 16)),
    Case("groupnorm", lambda k: k.layers.GroupNormalization(groups=2), (5, 5, 4)),
    Case("dense", lambda k: k.layers.Dense(8), (16,)),
    Case("embedding", lambda k: k.layers.Embedding(50, 8), (6,), ints=50),
    Case("lstm", lambda k: k.layers.LSTM(8), (6, 5)),
    Case("gru", lambda k: k.layers.GRU(8), (6, 5)),
    Case("multi-head-attention", _mha, (6, 8)),
)
BATCH = 4


def model(keras, case: Case, seed: int = 0):
    """The case as a one-layer Keras model, seeded; BatchNorm's moving statistics drawn away from 0 and 1."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=case.shape, dtype="int32" if case.ints else "float32")
    made = case.build(keras)
    out = made(inp)
    m = keras.Model(inp, out)
    rng = np.random.default_rng(seed + 3)
    weights = [w + rng.normal(0, 0.05, w.shape).astype(w.dtype) if np.issubdtype(w.dtype, np.floating) else w
               for w in m.get_weights()]
    for layer in m.layers:
        if type(layer).__name__ == "BatchNormalization":
            layer.moving_mean.assign(rng.normal(0, 0.3, layer.moving_mean.shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape).astype("float32"))
            weights = m.get_weights()
    m.set_weights(weights)
    return m


def inputs(case: Case, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if case.ints:
        return rng.integers(0, case.ints, size=(BATCH, *case.shape)).astype("int32")
    return rng.normal(0, 1, size=(BATCH, *case.shape)).astype("float32")


def final_output(outputs: dict) -> dict:
    """The model's last layer's output (the case's layer), as {"output": array}."""
    return {"output": list(outputs.values())[-1]}


def run(keras, case: Case, worker, seed: int = 0, tolerance: Tol | None = None) -> Comparison:
    """The case on TensorFlow (this process) against the case on `worker`'s backend, same weights, same inputs."""
    m, x = model(keras, case, seed), inputs(case, seed)
    ours = np.asarray(m(x, training=case.training))
    theirs = final_output(worker.layer_outputs(m, x, training=case.training))
    return compare({"output": ours}, theirs, tolerance or tol("forward"))
