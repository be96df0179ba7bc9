"""Norms and scales beyond batch and layer norm: GroupNormalization <-> GroupNorm, LayerNormalization over the
channels of a channels-first model (ConvNeXt's LayerNorm2d), and layer scale (a learned per-channel gamma).
Numpy only; every conversion is a copy or a reshape, exact both ways.

Group order: Keras and PyTorch both put channel c in group c // (C / groups), so gamma/beta copy as they are.
"""
from __future__ import annotations

import numpy as np

from tfpt.convert.base import ConversionError, Converter, Difference
from tfpt.convert.common import AffineNorm, epsilon_difference
from tfpt.convert.kinds import Kind
from tfpt.convert.layers import LayerNormConverter


def _axes(k) -> list[int]:
    axis = k.config.get("axis", -1)
    return sorted(int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis]))


class GroupNormConverter(AffineNorm):
    """GroupNormalization(axis=-1) <-> GroupNorm: gamma/beta <-> weight/bias; groups and epsilon compared."""

    name = "groupnorm"
    kind = "groupnorm"  # its own kind: a LayerNorm with the same parameter shapes is not its counterpart
    torch_layout = "input"
    keras_classes = ("GroupNormalization",)
    torch_classes = ("GroupNorm",)

    def differences(self, k, t, ctx=None):
        diffs = epsilon_difference(k, t)
        kg, tg = k.config.get("groups"), t.config.get("num_groups")
        if kg != tg:
            diffs.append(Difference("groups", kg, tg, True, f"build the torch GroupNorm with num_groups={kg}"))
        if _axes(k) != [-1]:
            diffs.append(Difference("axis", _axes(k), "channels", True,
                                    "Keras must group the channels axis (-1 in Keras' channels-last layout)"))
        return diffs


class LayerNorm2dConverter(LayerNormConverter):
    """LayerNormalization(axis=-1) on a channels-last tensor <-> a channels-first model's LayerNorm2d (ConvNeXt's:
    an nn.LayerNorm over the channel axis, applied by permuting to channels-last and back): gamma/beta <->
    weight/bias of shape (C,)."""

    name = "layernorm2d"
    kind = Kind.LAYERNORM
    torch_layout = "input"  # channels-first in, channels-first out
    keras_classes = ("LayerNormalization",)
    torch_classes = ("LayerNorm2d",)

    def differences(self, k, t, ctx=None):
        if k.config.get("rms_scaling"):
            raise ConversionError(k, t, "rms_scaling=False (LayerNorm2d subtracts the mean)",
                                  "pair a Keras rms_scaling layer with an RMS norm and its own converter")
        diffs = epsilon_difference(k, t)
        if _axes(k) not in ([-1], [3]) or len(t.config.get("normalized_shape", (1,))) != 1:
            diffs.append(Difference("axis", _axes(k), "channels", True,
                                    "LayerNorm2d normalises the channels only: LayerNormalization(axis=-1)"))
        return diffs


class LayerScaleConverter(Converter):
    """A learned per-channel scale: Keras' LayerScale (keras.applications.convnext; one weight of shape (C,)) <->
    a torch LayerScale / LayerScale2d module (timm's: `gamma` of shape (C,), or (C, 1, 1) for channels-first
    tensors). The one weight is reshaped, so any C-element shape on either side converts exactly."""

    name = "layer_scale"
    kind = "layer_scale"  # a learned elementwise product: its own kind
    torch_layout = "input"
    keras_classes = ("LayerScale",)
    torch_classes = ("LayerScale", "LayerScale2d")

    @staticmethod
    def _one(record, k, t) -> str:
        if len(record.weights) != 1:
            raise ConversionError(k, t, f"one scale weight in {record.framework} {record.name}, found "
                                        f"{list(record.weights)}", "pair a layer scale with a layer scale")
        return next(iter(record.weights))

    def differences(self, k, t, ctx=None):
        kn, tn = self._one(k, k, t), self._one(t, k, t)
        ks, ts = k.weights[kn].shape, t.weights[tn].shape
        if int(np.prod(ks)) != int(np.prod(ts)):
            return [Difference("channels", ks, ts, True, "build both with the same number of channels")]
        return []

    def _to_torch(self, k, t, ctx):
        tn = self._one(t, k, t)
        return {tn: k.weights[self._one(k, k, t)].reshape(t.weights[tn].shape)}

    def _to_keras(self, t, k, ctx):
        kn = self._one(k, k, t)
        return {kn: t.weights[self._one(t, k, t)].reshape(k.weights[kn].shape)}
