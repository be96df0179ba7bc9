"""Conv1DTranspose/Conv2DTranspose <-> ConvTranspose1d/ConvTranspose2d. Numpy only; exact both ways.

Layouts: Keras' kernel is (*k, out, in) (the kernel of the convolution it is the gradient of), PyTorch's weight
(in, out/groups, *k); neither is flipped, so the conversion is one transpose.

Geometry, per spatial dimension: both compute the same "full" output of length F = (n - 1) * s + d * (k - 1) + 1
and then keep a window of it. PyTorch keeps F - 2 * padding + output_padding values starting at index `padding`
(output_padding extends the end). TensorFlow keeps Keras' output length L starting at SAME's pad-before
(pad_total // 2 of the convolution that maps L back to n) or at 0 for 'valid'. Both sides agree when the windows
start at the same index and have the same length: (start, L - F) equal. Keras 'same' with an odd kernel and
stride 2 (k=3, s=2) starts at 0 and ends one short of F, which no single ConvTranspose2d expresses (it would
need padding 0 and output_padding -1): `differences` names it and the fix.
"""
from __future__ import annotations

from tfpt.convert.base import Context, ConversionError, Converter, Difference, LayerRecord
from tfpt.convert.common import as_tuple, carry_bias, fused_activation_difference, use_bias_difference
from tfpt.convert.kinds import Kind


def transpose_kernel_to_torch(kernel):
    """Keras' (*k, out, in) as PyTorch's (in, out, *k)."""
    nd = kernel.ndim - 2
    return kernel.transpose(nd + 1, nd, *range(nd))


def transpose_kernel_to_keras(weight):
    """PyTorch's (in, out, *k) as Keras' (*k, out, in)."""
    nd = weight.ndim - 2
    return weight.transpose(*range(2, nd + 2), 1, 0)


def keras_window(k: LayerRecord, nd: int) -> tuple:
    """Per spatial dimension, (start, L - F) of Keras' output window in the full transposed output."""
    ks, s, d = (as_tuple(k.config.get(f, 1), nd) for f in ("kernel_size", "strides", "dilation_rate"))
    mode = str(k.config.get("padding", "valid")).lower()
    op = k.config.get("output_padding")
    out = []
    for i in range(nd):
        span = d[i] * (ks[i] - 1) + 1
        if op is None:
            extra = max(s[i] - span, 0) if mode == "valid" else s[i] - span  # L - F, independent of n
        else:
            pad = span // 2 if mode == "same" else 0
            extra = -2 * pad + as_tuple(op, nd)[i]
        start = 0 if mode == "valid" else max(-extra, 0) // 2  # SAME: pad_total = F - L, the odd one after
        out.append((start, extra))
    return tuple(out)


def torch_window(t: LayerRecord, nd: int) -> tuple:
    """Per spatial dimension, (start, L - F) of PyTorch's output window: (padding, output_padding - 2 padding)."""
    p, op = as_tuple(t.config.get("padding", 0), nd), as_tuple(t.config.get("output_padding", 0), nd)
    return tuple((p[i], op[i] - 2 * p[i]) for i in range(nd))


def torch_arguments(window: tuple, strides: tuple, dilation: tuple) -> tuple | None:
    """PyTorch's (padding, output_padding) for a Keras window, or None when PyTorch cannot express it."""
    pads, ops = [], []
    for (start, extra), s, d in zip(window, strides, dilation, strict=True):
        op = extra + 2 * start
        if start < 0 or not 0 <= op < max(s, d):
            return None
        pads.append(start)
        ops.append(op)
    return tuple(pads), tuple(ops)


class ConvTransposeConverter(Converter):
    """Conv1DTranspose/Conv2DTranspose <-> ConvTranspose1d/ConvTranspose2d (groups 1): kernel (*k, out, in) <->
    weight (in, out, *k), bias; strides, dilation, and the output window (padding, output_padding) compared."""

    name = "conv_transpose"
    kind = Kind.CONV
    keras_classes = ("Conv1DTranspose", "Conv2DTranspose", "Convolution2DTranspose")
    torch_classes = ("ConvTranspose1d", "ConvTranspose2d")

    def differences(self, k, t, ctx: Context | None = None):
        nd = k.weights["kernel"].ndim - 2
        diffs = []
        for kf, tf_, label in (("kernel_size", "kernel_size", "kernel_size"), ("strides", "stride", "stride"),
                               ("dilation_rate", "dilation", "dilation")):
            kv, tv = as_tuple(k.config.get(kf, 1), nd), as_tuple(t.config.get(tf_, 1), nd)
            if kv != tv:
                diffs.append(Difference(label, kv, tv, True, "build both with the same value"))
        if int(t.config.get("groups", 1)) != 1:
            diffs.append(Difference("groups", 1, t.config.get("groups"), True, "Keras' transposed conv has no groups"))
        kw, tw = keras_window(k, nd), torch_window(t, nd)
        if kw != tw:
            strides = as_tuple(k.config.get("strides", 1), nd)
            args = torch_arguments(kw, strides, as_tuple(k.config.get("dilation_rate", 1), nd))
            fix = (f"build the torch module with padding={args[0]}, output_padding={args[1]}" if args else
                   f"no single torch ConvTranspose matches Keras padding='{k.config.get('padding')}' with kernel "
                   f"{as_tuple(k.config.get('kernel_size'), nd)} and stride {strides}: use an even kernel in Keras, or "
                   f"padding=0 in torch and crop the output to Keras' window")
            diffs.append(Difference("padding", f"{k.config.get('padding')} output_padding="
                                               f"{k.config.get('output_padding')}",
                                    f"padding={t.config.get('padding')} output_padding="
                                    f"{t.config.get('output_padding')}", True, fix))
        return diffs + use_bias_difference(k, t) + fused_activation_difference(k)

    def _to_torch(self, k, t, ctx):
        out = {"weight": transpose_kernel_to_torch(k.weights["kernel"])}
        return out | carry_bias(k.weights, t.weights, k, t, "Keras bias", "build the torch module with bias=True")

    def _to_keras(self, t, k, ctx):
        if "kernel" not in k.weights:
            raise ConversionError(k, t, f"a Keras kernel, found {list(k.weights)}", "pair it with a Conv*Transpose")
        out = {"kernel": transpose_kernel_to_keras(t.weights["weight"])}
        return out | carry_bias(t.weights, k.weights, k, t, "torch bias", "build the Keras layer with use_bias=True")
