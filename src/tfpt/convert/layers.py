"""The built-in converters: conv (1-D, 2-D, depthwise), dense (with the Flatten permutation), batch norm, layer
norm, embedding, LSTM and GRU. Numpy only; each conversion is a transpose, reshape or block reorder, so a
Keras -> PyTorch -> Keras round trip is bit for bit. The one exception the other way: PyTorch's LSTM has two
bias vectors where Keras has one, so PyTorch -> Keras sums them and PyTorch -> Keras -> PyTorch returns
(b_ih + b_hh, 0): the sum, and so every output, is kept, the split is not.

Layouts (Keras, channels-last; PyTorch, channels-first):
  conv kernel       (*k, in/groups, out)         weight (out, in/groups, *k)
  depthwise kernel  (*k, in, mult)               weight (in*mult, 1, *k), output channel i*mult + m
  dense kernel      (in, out)                    weight (out, in); after a flatten, rows in (*spatial, C) order
                                                 vs PyTorch's (C, *spatial)
  LSTM kernel       (in, 4H) gates i, f, c, o    weight_ih_l0 (4H, in) gates i, f, g, o (same order)
  GRU kernel        (in, 3H) gates z, r, h       weight_ih_l0 (3H, in) gates r, z, n (first two swapped)
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from tfpt.convert.base import Context, ConversionError, Converter, Difference, LayerRecord, _conform
from tfpt.convert.common import (
    AffineNorm,
    as_tuple,
    carry_bias,
    close,
    conv_kernel_to_keras,
    conv_kernel_to_torch,
    dense_kernel_to_keras,
    dense_kernel_to_torch,
    epsilon_difference,
    fill_like,
    fused_activation_difference,
    require_fill,
    use_bias_difference,
)
from tfpt.convert.kinds import Kind


class ConvConverter(Converter):
    """Conv1D/Conv2D <-> Conv1d/Conv2d: kernel layout, strides, dilation, groups, padding (valid, same, causal,
    explicit zero padding before the conv via Context.pad_before), use_bias."""

    name = "conv"
    kind = Kind.CONV
    keras_classes: tuple[str, ...] = ("Conv1D", "Conv2D", "Convolution1D", "Convolution2D")
    torch_classes: tuple[str, ...] = ("Conv1d", "Conv2d")

    def _nd(self, k: LayerRecord) -> int:
        return k.weights[self._kernel_name(k)].ndim - 2

    def _kernel_name(self, k: LayerRecord) -> str:
        return next(n for n in k.weights if n != "bias")

    def keras_padding(self, k: LayerRecord, ctx: Context) -> tuple:
        """Keras' (before, after) zero padding per spatial dimension."""
        nd = self._nd(k)
        ks, s, d = (as_tuple(k.config.get(f, 1), nd) for f in ("kernel_size", "strides", "dilation_rate"))
        mode = str(k.config.get("padding", "valid")).lower()
        out = []
        for i in range(nd):
            span = d[i] * (ks[i] - 1) + 1
            if mode == "valid":
                out.append((0, 0))
            elif mode == "causal":
                out.append((span - 1, 0))
            else:  # same: output ceil(n / s); TF puts the odd pixel after
                if ctx.input_spatial is not None:
                    n = int(ctx.input_spatial[i])
                    total = max((math.ceil(n / s[i]) - 1) * s[i] + span - n, 0)
                else:
                    total = max(span - s[i], 0)
                out.append((total // 2, total - total // 2))
        return tuple(out)

    def torch_padding(self, t: LayerRecord, ctx: Context) -> tuple:
        """PyTorch's effective (before, after) zero padding per spatial dimension, including Context.pad_before."""
        nd = t.weights["weight"].ndim - 2
        ks, d = as_tuple(t.config["kernel_size"], nd), as_tuple(t.config.get("dilation", 1), nd)
        pad = t.config.get("padding", 0)
        extra = ctx.pad_before or ((0, 0),) * nd
        out = []
        for i in range(nd):
            if pad == "valid":
                p = (0, 0)
            elif pad == "same":
                total = d[i] * (ks[i] - 1)
                p = (total // 2, total - total // 2)
            else:
                p = (as_tuple(pad, nd)[i],) * 2
            out.append((p[0] + int(extra[i][0]), p[1] + int(extra[i][1])))
        return tuple(out)

    def differences(self, k, t, ctx=None):
        ctx = ctx or Context()
        nd = self._nd(k)
        diffs = []
        for kf, tf_, label in (("kernel_size", "kernel_size", "kernel_size"), ("strides", "stride", "stride"),
                               ("dilation_rate", "dilation", "dilation")):
            kv, tv = as_tuple(k.config.get(kf, 1), nd), as_tuple(t.config.get(tf_, 1), nd)
            if kv != tv:
                diffs.append(Difference(label, kv, tv, True, "build both with the same value"))
        diffs += self._groups_difference(k, t)
        kp, tp = self.keras_padding(k, ctx), self.torch_padding(t, ctx)
        if kp != tp:
            strides = as_tuple(k.config.get("strides", 1), nd)
            hint = (f"Keras '{k.config.get('padding')}' pads (before, after) {kp}; with stride {strides} that is "
                    f"asymmetric: use padding=0 in torch and an explicit zero pad before it (e.g. nn.ZeroPad2d("
                    f"(left, right, top, bottom))), passed as Context.pad_before") if any(a != b for a, b in kp) \
                else f"use padding={tuple(a for a, _ in kp)} in torch"
            diffs.append(Difference("padding", f"{k.config.get('padding')} {kp}", f"{t.config.get('padding')} {tp}",
                                    True, hint))
        if t.config.get("padding_mode", "zeros") != "zeros":
            diffs.append(Difference("padding_mode", "zeros", t.config["padding_mode"], True,
                                    "Keras pads with zeros only: use padding_mode='zeros'"))
        if k.config.get("data_format", "channels_last") != "channels_last":
            diffs.append(Difference("data_format", k.config["data_format"], "channels_first", False,
                                    "same weights; only the input layout differs"))
        return diffs + use_bias_difference(k, t) + fused_activation_difference(k)

    def _groups_difference(self, k, t):
        kg, tg = int(k.config.get("groups", 1)), int(t.config.get("groups", 1))
        return [] if kg == tg else [Difference("groups", kg, tg, True, "build both with the same groups")]

    def _kernel_to_torch(self, kernel: np.ndarray, k, t) -> np.ndarray:
        return conv_kernel_to_torch(kernel)

    def _kernel_to_keras(self, weight: np.ndarray, k, t) -> np.ndarray:
        return conv_kernel_to_keras(weight)

    def _to_torch(self, k, t, ctx):
        out = {"weight": self._kernel_to_torch(k.weights[self._kernel_name(k)], k, t)}
        return out | carry_bias(k.weights, t.weights, k, t, "Keras bias", "build the torch conv with bias=True")

    def _to_keras(self, t, k, ctx):
        out = {self._kernel_name(k): self._kernel_to_keras(t.weights["weight"], k, t)}
        return out | carry_bias(t.weights, k.weights, k, t, "torch bias", "build the Keras layer with use_bias=True")


class DepthwiseConvConverter(ConvConverter):
    """DepthwiseConv2D <-> Conv2d(groups=in_channels, out_channels=in_channels * depth_multiplier): kernel
    (kh, kw, in, mult) <-> weight (in*mult, 1, kh, kw), PyTorch output channel i*mult + m."""

    name = "depthwise_conv"
    kind = Kind.CONV
    keras_classes = ("DepthwiseConv2D", "DepthwiseConv1D")
    torch_classes = ("Conv2d", "Conv1d")

    def _groups_difference(self, k, t):
        kernel = k.weights[self._kernel_name(k)]
        cin, mult = kernel.shape[-2], kernel.shape[-1]
        want = (cin, cin * mult)
        got = (int(t.config.get("groups", 1)), int(t.config.get("out_channels", cin * mult)))
        return [] if want == got else [Difference("groups, out_channels", want, got, True,
                                                  "torch needs groups=in_channels, out_channels=in*depth_multiplier")]

    def _kernel_to_torch(self, kernel, k, t):
        nd = kernel.ndim - 2
        cin, mult = kernel.shape[-2:]
        if int(t.config.get("groups", cin)) != cin:
            raise ConversionError(k, t, f"groups={cin} (one group per input channel), got {t.config.get('groups')}",
                                  f"build the Conv with groups={cin}, out_channels={cin * mult}")
        return kernel.transpose(nd, nd + 1, *range(nd)).reshape(cin * mult, 1, *kernel.shape[:nd])

    def _kernel_to_keras(self, weight, k, t):
        nd = weight.ndim - 2
        kernel = k.weights[self._kernel_name(k)]
        cin, mult = kernel.shape[-2:]
        if weight.shape[0] != cin * mult:
            raise ConversionError(k, t, f"out_channels = {cin} * {mult}, got {weight.shape[0]}",
                                  f"build the Conv with groups={cin}, out_channels={cin * mult}")
        return weight.reshape(cin, mult, *weight.shape[2:]).transpose(*range(2, nd + 2), 0, 1)


class DenseConverter(Converter):
    """Dense <-> Linear: kernel (in, out) <-> weight (out, in), bias; with Context.flatten_source (C, H, W) or
    (C, L), the input rows are permuted from Keras' (H, W, C) flatten order to PyTorch's (C, H, W)."""

    name = "dense"
    kind = Kind.DENSE
    keras_classes = ("Dense",)
    torch_classes = ("Linear",)

    def differences(self, k, t, ctx=None):
        return use_bias_difference(k, t) + fused_activation_difference(k)

    def _source(self, k, t, ctx, n_in: int):
        if ctx.flatten_source is None:
            return None
        c, *spatial = (int(x) for x in ctx.flatten_source)
        if c * math.prod(spatial) != n_in:
            raise ConversionError(k, t, f"flatten_source {tuple(ctx.flatten_source)} with {n_in} elements (the "
                                        f"layer's inputs)", "pass the channels-first shape of the flattened tensor")
        return (c, *spatial)

    def _to_torch(self, k, t, ctx):
        kernel = k.weights["kernel"]
        out = {"weight": dense_kernel_to_torch(kernel, self._source(k, t, ctx, kernel.shape[0]))}
        return out | carry_bias(k.weights, t.weights, k, t, "Keras bias", "build the torch Linear with bias=True")

    def _to_keras(self, t, k, ctx):
        weight = t.weights["weight"]
        out = {"kernel": dense_kernel_to_keras(weight, self._source(k, t, ctx, weight.shape[1]))}
        return out | carry_bias(t.weights, k.weights, k, t, "torch bias", "build the Dense with use_bias=True")


class BatchNormConverter(AffineNorm):
    """BatchNormalization <-> BatchNorm1d/2d: gamma, beta, moving_mean, moving_variance <-> weight, bias,
    running_mean, running_var (num_batches_tracked is not converted); scale/center False; epsilon and momentum
    (Keras m == PyTorch 1 - m) reported when they differ."""

    name = "batchnorm"
    kind = Kind.BATCHNORM
    keras_classes = ("BatchNormalization",)
    torch_classes = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    pairs = AffineNorm.pairs + (("moving_mean", "running_mean", 0.0), ("moving_variance", "running_var", 1.0))

    def differences(self, k, t, ctx=None):
        diffs = epsilon_difference(k, t)
        km, tm = k.config.get("momentum"), t.config.get("momentum")
        if tm is None or not close(km, 1.0 - float(tm)):
            diffs.append(Difference("momentum", km, tm, True,
                                    f"torch momentum is 1 - Keras': build it with momentum={1.0 - float(km):.6g}"
                                    if km is not None else "set both momenta"))
        if t.config.get("track_running_stats", True) is False:
            diffs.append(Difference("track_running_stats", True, False, True,
                                    "torch then normalises with batch statistics in eval mode too"))
        if k.config.get("renorm"):
            diffs.append(Difference("renorm", True, False, True, "PyTorch has no batch renormalisation"))
        kaff = bool(k.config.get("scale", True)) or bool(k.config.get("center", True))
        if kaff != bool(t.config.get("affine", True)):
            diffs.append(Difference("affine", kaff, t.config.get("affine"), True,
                                    "the side with gamma/beta trains them"))
        return diffs


class LayerNormConverter(AffineNorm):
    """LayerNormalization <-> LayerNorm: gamma/beta <-> weight/bias over the last axes; epsilon reported."""

    name = "layernorm"
    kind = Kind.LAYERNORM
    keras_classes = ("LayerNormalization",)
    torch_classes = ("LayerNorm",)

    def differences(self, k, t, ctx=None):
        if k.config.get("rms_scaling"):
            raise ConversionError(k, t, "rms_scaling=False (LayerNorm subtracts the mean)",
                                  "pair a Keras rms_scaling layer with torch.nn.RMSNorm and its own converter")
        diffs = epsilon_difference(k, t)
        axis = k.config.get("axis", -1)
        axes = sorted(int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
        n = len(t.config.get("normalized_shape", (1,)))
        # Negative axes can be checked without the input's rank; positive ones only by count.
        if len(axes) != n or (all(a < 0 for a in axes) and axes != list(range(-n, 0))):
            diffs.append(Difference("axis", axes, f"last {n}", True, "normalise over the same trailing axes"))
        return diffs

    def _to_torch(self, k, t, ctx):
        self.differences(k, t)  # raises for rms_scaling
        return super()._to_torch(k, t, ctx)


class EmbeddingConverter(Converter):
    """Embedding <-> Embedding: embeddings <-> weight, same layout; padding_idx / max_norm reported."""

    name = "embedding"
    kind = Kind.EMBEDDING
    keras_classes = ("Embedding",)
    torch_classes = ("Embedding",)

    def differences(self, k, t, ctx=None):
        diffs = []
        if t.config.get("padding_idx") is not None:
            diffs.append(Difference("padding_idx", None, t.config["padding_idx"], True,
                                    "torch gives that row no gradient; Keras trains it"))
        if t.config.get("max_norm") is not None:
            diffs.append(Difference("max_norm", None, t.config["max_norm"], True, "torch renormalises looked-up rows"))
        if t.config.get("scale_grad_by_freq"):
            diffs.append(Difference("scale_grad_by_freq", False, True, True, "torch scales the gradients"))
        if k.config.get("mask_zero"):
            diffs.append(Difference("mask_zero", True, None, False,
                                    "Keras masks index 0 for the layers after it; torch passes a mask explicitly"))
        return diffs

    def _to_torch(self, k, t, ctx):
        return {"weight": k.weights["embeddings"]}

    def _to_keras(self, t, k, ctx):
        return {"embeddings": t.weights["weight"]}


class _RecurrentConverter(Converter):
    """Checks shared by LSTM and GRU: one layer, one direction; Keras' activations fixed to PyTorch's."""

    def _check_supported(self, k, t):
        if int(t.config.get("num_layers", 1)) != 1 or t.config.get("bidirectional") \
                or int(t.config.get("proj_size", 0) or 0) != 0:
            raise ConversionError(k, t, f"a single-layer, one-direction torch {t.cls} without projection, got "
                                        f"num_layers={t.config.get('num_layers')}, bidirectional="
                                        f"{t.config.get('bidirectional')}, proj_size={t.config.get('proj_size', 0)}",
                                  f"pair each Keras {k.cls} with one torch {t.cls}(num_layers=1)")
        for field, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            if k.config.get(field, want) != want:
                raise ConversionError(k, t, f"{field}='{want}' (PyTorch's {t.cls} has no other), got "
                                            f"{k.config.get(field)!r}", f"build the Keras layer with {field}='{want}'")

    def differences(self, k, t, ctx=None):
        self._check_supported(k, t)
        diffs = use_bias_difference(k, t)
        if not t.config.get("batch_first", False):
            diffs.append(Difference("batch_first", True, False, True,
                                    "Keras reads (batch, time, features): build torch with batch_first=True"))
        if k.config.get("go_backwards"):
            diffs.append(Difference("go_backwards", True, False, True, "flip the torch input along time"))
        for field in ("dropout", "recurrent_dropout"):
            if float(k.config.get(field, 0.0) or 0.0) > 0:
                diffs.append(Difference(field, k.config[field], 0.0, True,
                                        f"a single-layer torch {t.cls} applies no {field} while training"))
        return diffs


class LSTMConverter(_RecurrentConverter):
    """LSTM <-> LSTM(batch_first=True, num_layers=1): kernel (in, 4H) <-> weight_ih_l0 (4H, in), recurrent_kernel
    <-> weight_hh_l0, gates i, f, c, o == i, f, g, o; bias -> bias_ih_l0 with bias_hh_l0 = 0, and back
    bias = bias_ih_l0 + bias_hh_l0 (so PyTorch -> Keras -> PyTorch keeps the biases' sum, not their split)."""

    name = "lstm"
    kind = Kind.LSTM
    keras_classes = ("LSTM",)
    torch_classes = ("LSTM",)
    gates = 4

    def _gate_order(self, a: np.ndarray, axis: int) -> np.ndarray:
        """Keras gate blocks -> PyTorch's (an involution). LSTM: the same order."""
        return a

    def _to_torch(self, k, t, ctx):
        self._check_supported(k, t)
        out = {"weight_ih_l0": self._gate_order(k.weights["kernel"], 1).T,
               "weight_hh_l0": self._gate_order(k.weights["recurrent_kernel"], 1).T}
        if "bias_ih_l0" in t.weights:
            zero = fill_like(t.weights["bias_ih_l0"], 0.0)
            out["bias_ih_l0"] = self._gate_order(k.weights["bias"], 0) if "bias" in k.weights else zero
            out["bias_hh_l0"] = zero
        elif "bias" in k.weights:
            require_fill(k.weights["bias"], 0.0, k, t, "Keras bias", "build the torch LSTM with bias=True")
        return out

    def _to_keras(self, t, k, ctx, bias_of=lambda w: w["bias_ih_l0"] + w["bias_hh_l0"]):
        self._check_supported(k, t)
        out = {"kernel": self._gate_order(t.weights["weight_ih_l0"].T, 1),
               "recurrent_kernel": self._gate_order(t.weights["weight_hh_l0"].T, 1)}
        if "bias" in k.weights:
            out["bias"] = self._gate_order(bias_of(t.weights), 0) if "bias_ih_l0" in t.weights \
                else fill_like(k.weights["bias"], 0.0)
        elif "bias_ih_l0" in t.weights:
            require_fill(bias_of(t.weights), 0.0, k, t, "torch bias_ih_l0 + bias_hh_l0",
                          "build the Keras LSTM with use_bias=True")
        return out

    def grads_to_keras(self, torch_grads, k, t, ctx=None):
        """The two torch biases enter the gates as a sum, so each has the gradient of that sum, which is the
        gradient of Keras' one bias: take bias_ih_l0's (adding both would double it)."""
        grads = replace(t, weights=OrderedDict((name, np.asarray(g)) for name, g in torch_grads.items()))
        return _conform(self._to_keras(grads, k, ctx or Context(), bias_of=lambda w: w["bias_ih_l0"]), k, k, t)


class GRUConverter(_RecurrentConverter):
    """GRU(reset_after=True) <-> GRU(batch_first=True, num_layers=1): kernel (in, 3H) <-> weight_ih_l0 (3H, in),
    recurrent_kernel <-> weight_hh_l0, bias (2, 3H) rows <-> bias_ih_l0, bias_hh_l0; Keras' gate blocks z, r, h
    are reordered to PyTorch's r, z, n. Exact both ways. reset_after=False has no PyTorch counterpart."""

    name = "gru"
    kind = Kind.GRU
    keras_classes = ("GRU",)
    torch_classes = ("GRU",)

    @staticmethod
    def _gate_order(a: np.ndarray, axis: int) -> np.ndarray:
        z, r, h = np.split(a, 3, axis=axis)
        return np.concatenate([r, z, h], axis=axis)

    def _check_supported(self, k, t):
        super()._check_supported(k, t)
        if not k.config.get("reset_after", True):
            raise ConversionError(k, t, "reset_after=True (PyTorch's GRU applies the reset gate after the recurrent "
                                        "matmul, and has no reset_after=False variant)",
                                  "build the Keras GRU with reset_after=True (the Keras 3 default)")

    def _to_torch(self, k, t, ctx):
        self._check_supported(k, t)
        out = {"weight_ih_l0": self._gate_order(k.weights["kernel"], 1).T,
               "weight_hh_l0": self._gate_order(k.weights["recurrent_kernel"], 1).T}
        if "bias_ih_l0" in t.weights:
            bias = k.weights["bias"] if "bias" in k.weights else np.zeros((2,) + t.weights["bias_ih_l0"].shape,
                                                                          t.weights["bias_ih_l0"].dtype)
            out["bias_ih_l0"], out["bias_hh_l0"] = self._gate_order(bias[0], 0), self._gate_order(bias[1], 0)
        elif "bias" in k.weights:
            require_fill(k.weights["bias"], 0.0, k, t, "Keras bias", "build the torch GRU with bias=True")
        return out

    def _to_keras(self, t, k, ctx):
        self._check_supported(k, t)
        out = {"kernel": self._gate_order(t.weights["weight_ih_l0"].T, 1),
               "recurrent_kernel": self._gate_order(t.weights["weight_hh_l0"].T, 1)}
        if "bias" in k.weights:
            out["bias"] = np.stack([self._gate_order(t.weights["bias_ih_l0"], 0),
                                    self._gate_order(t.weights["bias_hh_l0"], 0)]) if "bias_ih_l0" in t.weights \
                else fill_like(k.weights["bias"], 0.0)
        elif "bias_ih_l0" in t.weights:
            for name in ("bias_ih_l0", "bias_hh_l0"):
                require_fill(t.weights[name], 0.0, k, t, f"torch {name}", "build the Keras GRU with use_bias=True")
        return out
