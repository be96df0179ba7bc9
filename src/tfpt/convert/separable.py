"""SeparableConv2D/SeparableConv1D <-> a torch depthwise + pointwise pair (tfpt.frameworks.torch.blocks.
SeparableConv2d, or timm's / your own module of that class name: two convs, the depthwise one registered first).
Numpy only; exact both ways.

Layouts: depthwise_kernel (*k, in, mult) <-> depthwise weight (in*mult, 1, *k) (output channel i*mult + m, as
DepthwiseConvConverter); pointwise_kernel (1.., in*mult, out) <-> pointwise weight (out, in*mult, 1..); Keras'
one bias (after the pointwise conv) <-> the pointwise conv's bias. Keras has no depthwise bias: a torch one must
be zero. The stride, dilation and padding are the depthwise conv's, compared as DepthwiseConv2D's.
"""
from __future__ import annotations

from collections import OrderedDict

from tfpt.convert.base import ConversionError, Converter, LayerRecord
from tfpt.convert.common import (
    conv_kernel_to_keras,
    conv_kernel_to_torch,
    fill_like,
    fused_activation_difference,
    require_fill,
    use_bias_difference,
)
from tfpt.convert.kinds import Kind
from tfpt.convert.layers import DepthwiseConvConverter

_DEPTHWISE = DepthwiseConvConverter()


def _torch_parts(t: LayerRecord, k: LayerRecord) -> tuple[str, str | None, str, str | None]:
    """(depthwise weight, depthwise bias, pointwise weight, pointwise bias) keys, in registration order."""
    weights = [n for n in t.weights if n.rsplit(".", 1)[-1] == "weight"]
    if len(weights) != 2:
        raise ConversionError(k, t, f"two conv weights (depthwise, then pointwise), found {list(t.weights)}",
                              "pair SeparableConv2D with a module of a depthwise and a pointwise conv")

    def bias(w):
        b = w[: -len("weight")] + "bias"
        return b if b in t.weights else None

    return weights[0], bias(weights[0]), weights[1], bias(weights[1])


class SeparableConvConverter(Converter):
    name = "separable_conv"
    kind = Kind.CONV
    keras_classes = ("SeparableConv2D", "SeparableConv1D", "SeparableConvolution2D")
    torch_classes = ("SeparableConv2d", "SeparableConv1d")

    def _depthwise_records(self, k, t) -> tuple[LayerRecord, LayerRecord]:
        """The depthwise halves as a DepthwiseConv2D and a Conv2d record, for their differences."""
        dw, _, _, _ = _torch_parts(t, k)
        kernel = k.weights["depthwise_kernel"]
        kr = LayerRecord("tf", k.name, "DepthwiseConv2D", {**k.config, "use_bias": False},
                         OrderedDict(depthwise_kernel=kernel))
        tcfg = {"kernel_size": t.weights[dw].shape[2:], "stride": 1, "padding": 0, "dilation": 1, **t.config,
                "groups": kernel.shape[-2], "out_channels": t.weights[dw].shape[0], "use_bias": False}
        return kr, LayerRecord("torch", t.name, "Conv2d", tcfg, OrderedDict(weight=t.weights[dw]))

    def differences(self, k, t, ctx=None):
        kr, tr = self._depthwise_records(k, t)
        pwb = _torch_parts(t, k)[3]
        diffs = [d for d in _DEPTHWISE.differences(kr, tr, ctx) if d.field not in ("use_bias", "activation")]
        kb, tb = "bias" in k.weights, pwb is not None
        diffs += use_bias_difference(LayerRecord("tf", k.name, k.cls, {"use_bias": kb}),
                                      LayerRecord("torch", t.name, t.cls, {"use_bias": tb}))
        return diffs + fused_activation_difference(k)

    def _to_torch(self, k, t, ctx):
        dw, dwb, pw, pwb = _torch_parts(t, k)
        kr, tr = self._depthwise_records(k, t)
        out = {dw: _DEPTHWISE._kernel_to_torch(k.weights["depthwise_kernel"], kr, tr),
               pw: conv_kernel_to_torch(k.weights["pointwise_kernel"])}
        if dwb is not None:
            out[dwb] = fill_like(t.weights[dwb], 0.0)
        if pwb is not None:
            out[pwb] = k.weights["bias"] if "bias" in k.weights else fill_like(t.weights[pwb], 0.0)
        elif "bias" in k.weights:
            require_fill(k.weights["bias"], 0.0, k, t, "Keras bias", "give the torch pointwise conv a bias")
        return out

    def _to_keras(self, t, k, ctx):
        dw, dwb, pw, pwb = _torch_parts(t, k)
        kr, tr = self._depthwise_records(k, t)
        if dwb is not None:
            require_fill(t.weights[dwb], 0.0, k, t, f"torch {dwb}", "build the depthwise conv with bias=False "
                                                                    "(Keras' SeparableConv2D has no depthwise bias)")
        out = {"depthwise_kernel": _DEPTHWISE._kernel_to_keras(t.weights[dw], kr, tr),
               "pointwise_kernel": conv_kernel_to_keras(t.weights[pw])}
        if "bias" in k.weights:
            out["bias"] = t.weights[pwb] if pwb is not None else fill_like(k.weights["bias"], 0.0)
        elif pwb is not None:
            require_fill(t.weights[pwb], 0.0, k, t, f"torch {pwb}", "build the Keras layer with use_bias=True")
        return out
