"""Weight layout conversions between PyTorch and Keras, in numpy only.

The suite's canonical weights are Keras' layout: {layer: (kernel, bias)} with conv kernels (kh, kw, in, out)
and dense kernels (in, out), the first Dense after Flatten indexed in H, W, C order. PyTorch stores conv weights
(out, in, kh, kw), dense weights (out, in), and flattens C, H, W: so that Dense needs a permutation of its
input rows, not just a transpose. All conversions are transposes/reshapes: exact, bit for bit, and the
converters' own (tfpt.convert.layers).
"""
from __future__ import annotations

import numpy as np

from tfpt.convert.kinds import Kind
from tfpt.convert.layers import conv_kernel_to_keras, conv_kernel_to_torch, dense_kernel_to_keras, dense_kernel_to_torch
from tfpt.study.spec import ModelSpec, input_shape_of


def flatten_source_shape(spec: ModelSpec, layer_name: str) -> tuple | None:
    """The (H, W, C) shape flattened into `layer_name`'s input, if a Flatten feeds it directly (ignoring
    parameter-free elementwise layers), else None."""
    names = spec.names
    for prev in reversed(spec.layers[:names.index(layer_name)]):
        if prev.kind == Kind.FLATTEN:
            return input_shape_of(spec, prev.name)
        if prev.kind != Kind.RELU:
            return None
    return None


def _channels_first(hwc_source: tuple | None) -> tuple | None:
    return None if hwc_source is None else (hwc_source[2], hwc_source[0], hwc_source[1])


def torch_to_keras(kind: str, weight: np.ndarray, chw_source: tuple | None = None) -> np.ndarray:
    """A conv2d or dense weight in Keras' layout; `chw_source`: the (H, W, C) shape a Flatten fed into the dense."""
    if kind == Kind.CONV:
        return conv_kernel_to_keras(weight)
    return dense_kernel_to_keras(weight, _channels_first(chw_source))


def keras_to_torch(kind: str, kernel: np.ndarray, chw_source: tuple | None = None) -> np.ndarray:
    if kind == Kind.CONV:
        return conv_kernel_to_torch(kernel)
    return dense_kernel_to_torch(kernel, _channels_first(chw_source))


def param_layers(spec: ModelSpec) -> list:
    return [layer for layer in spec.layers if layer.kind in (Kind.CONV, Kind.DENSE)]
