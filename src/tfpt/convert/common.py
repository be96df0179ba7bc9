"""Helpers the converter modules share (tfpt.convert.layers and the converters in their own modules import them
from here): argument normalization, the identity-fill check for a weight only one side holds, the config
differences several converters report (bias, a fused activation, epsilon), the conv and dense kernel layout maps,
and `AffineNorm`, the gamma/beta <-> weight/bias base of the norm converters. Numpy only.
"""
from __future__ import annotations

import math

import numpy as np

from tfpt.convert.base import ConversionError, Converter, Difference, LayerRecord


def as_tuple(v, n: int) -> tuple:
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v) if len(v) == n else tuple(int(v[0]) for _ in range(n))
    return (int(v),) * n


def close(a, b) -> bool:
    return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-12)


def fill_like(ref: np.ndarray, value: float) -> np.ndarray:
    return np.full(ref.shape, value, ref.dtype)


def require_fill(value: np.ndarray, fill: float, k: LayerRecord, t: LayerRecord, what: str, fix: str) -> None:
    """A weight the target layer cannot hold may only be dropped when it is the identity value."""
    if not np.all(value == fill):
        raise ConversionError(k, t, f"{what} == {fill:g} everywhere (the other side has no such weight), got "
                                    f"values up to {float(np.max(np.abs(value - fill))):.3g} away", fix)


def carry_bias(src: dict, dst: dict, k: LayerRecord, t: LayerRecord, what: str, fix: str) -> dict:
    """The bias entry for the converted side: the source's bias where both have one, zeros where only the target
    does; where only the source has one it must be zero (dropping a trained bias would change every output)."""
    if "bias" in dst:
        return {"bias": src["bias"] if "bias" in src else fill_like(dst["bias"], 0.0)}
    if "bias" in src:
        require_fill(src["bias"], 0.0, k, t, what, fix)
    return {}


def use_bias_difference(k: LayerRecord, t: LayerRecord) -> list[Difference]:
    kb, tb = bool(k.config.get("use_bias", True)), bool(t.config.get("use_bias", True))
    if kb == tb:
        return []
    present = "present in Keras, absent in PyTorch" if kb else "absent in Keras, present in PyTorch"
    return [Difference("use_bias", kb, tb, True, f"bias {present}: the side with a bias trains it; build both with "
                                                 f"{'bias=True in torch' if kb else 'use_bias=True in Keras'}")]


def fused_activation_difference(k: LayerRecord) -> list[Difference]:
    act = k.config.get("activation", "linear")
    if act in (None, "linear"):
        return []
    return [Difference("activation", act, "linear", False,
                       f"PyTorch modules carry no activation: the torch model must apply {act} after this module")]


def conv_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """A Keras conv kernel (*k, in/groups, out) as PyTorch's weight (out, in/groups, *k)."""
    nd = kernel.ndim - 2
    return kernel.transpose(nd + 1, nd, *range(nd))


def conv_kernel_to_keras(weight: np.ndarray) -> np.ndarray:
    """A PyTorch conv weight (out, in/groups, *k) as Keras' kernel (*k, in/groups, out)."""
    nd = weight.ndim - 2
    return weight.transpose(*range(2, nd + 2), 1, 0)


def dense_kernel_to_torch(kernel: np.ndarray, flatten_source: tuple | None = None) -> np.ndarray:
    """A Keras dense kernel (in, out) as PyTorch's weight (out, in). With `flatten_source`, the channels-first
    shape (C, *spatial) flattened into the layer, the input rows go from Keras' (*spatial, C) order to (C, *spatial)."""
    if flatten_source is None:
        return kernel.T
    (c, *spatial), (n_in, n_out), s = flatten_source, kernel.shape, len(flatten_source) - 1
    return kernel.reshape(*spatial, c, n_out).transpose(s + 1, s, *range(s)).reshape(n_out, n_in)


def dense_kernel_to_keras(weight: np.ndarray, flatten_source: tuple | None = None) -> np.ndarray:
    """The inverse of `dense_kernel_to_torch`: PyTorch's weight (out, in) as Keras' kernel (in, out)."""
    if flatten_source is None:
        return weight.T
    (c, *spatial), (n_out, n_in), s = flatten_source, weight.shape, len(flatten_source) - 1
    return weight.reshape(n_out, c, *spatial).transpose(*range(2, s + 2), 1, 0).reshape(n_in, n_out)


def epsilon_difference(k, t) -> list[Difference]:
    ke, te = k.config.get("epsilon"), t.config.get("eps")
    if close(ke, te):
        return []
    return [Difference("epsilon", ke, te, True, f"build the torch module with eps={ke}")]


class AffineNorm(Converter):
    """The norms' shared conversion (batch, layer, group, 2-D layer): gamma/beta <-> weight/bias, either side
    possibly without them."""

    pairs: tuple[tuple[str, str, float], ...] = (("gamma", "weight", 1.0), ("beta", "bias", 0.0))

    def _to_torch(self, k, t, ctx):
        out = {}
        for kn, tn, fill in self.pairs:
            if tn in t.weights:
                out[tn] = k.weights[kn] if kn in k.weights else fill_like(t.weights[tn], fill)
            elif kn in k.weights:
                require_fill(k.weights[kn], fill, k, t, f"Keras {kn}", "give the torch module affine weights")
        return out

    def _to_keras(self, t, k, ctx):
        out = {}
        for kn, tn, fill in self.pairs:
            if kn in k.weights:
                out[kn] = t.weights[tn] if tn in t.weights else fill_like(k.weights[kn], fill)
            elif tn in t.weights:
                require_fill(t.weights[tn], fill, k, t, f"torch {tn}", f"build the Keras layer with {kn} enabled")
        return out
