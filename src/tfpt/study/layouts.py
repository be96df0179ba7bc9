"""Weight layout conversions between PyTorch and Keras, in numpy only.

The suite's canonical weights are Keras' layout: {layer: (kernel, bias)} with conv kernels (kh, kw, in, out)
and dense kernels (in, out), the first Dense after Flatten indexed in H, W, C order. PyTorch stores conv weights
(out, in, kh, kw), dense weights (out, in), and flattens C, H, W: so that Dense needs a permutation of its
input rows, not just a transpose. All conversions are transposes/reshapes: exact, bit for bit.
"""
from __future__ import annotations

import numpy as np

from tfpt.study.spec import ModelSpec, input_shape_of


def flatten_source_shape(spec: ModelSpec, layer_name: str) -> tuple | None:
    """The (H, W, C) shape flattened into `layer_name`'s input, if a Flatten feeds it directly (ignoring
    parameter-free elementwise layers), else None."""
    names = spec.names
    for prev in reversed(spec.layers[:names.index(layer_name)]):
        if prev.kind == "flatten":
            return input_shape_of(spec, prev.name)
        if prev.kind not in ("relu",):
            return None
    return None


def torch_to_keras(kind: str, weight: np.ndarray, chw_source: tuple | None = None) -> np.ndarray:
    if kind == "conv2d":
        return weight.transpose(2, 3, 1, 0)
    if chw_source is not None:
        h, w, c = chw_source
        out = weight.shape[0]
        return weight.reshape(out, c, h, w).transpose(2, 3, 1, 0).reshape(h * w * c, out)
    return weight.T


def keras_to_torch(kind: str, kernel: np.ndarray, chw_source: tuple | None = None) -> np.ndarray:
    if kind == "conv2d":
        return kernel.transpose(3, 2, 0, 1)
    if chw_source is not None:
        h, w, c = chw_source
        out = kernel.shape[1]
        return kernel.reshape(h, w, c, out).transpose(3, 2, 0, 1).reshape(out, c * h * w)
    return kernel.T


def param_layers(spec: ModelSpec) -> list:
    return [layer for layer in spec.layers if layer.kind in ("conv2d", "dense")]
