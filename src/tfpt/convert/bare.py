"""Bare parameters as units: a parameter held directly by a PyTorch module that is not a unit (torchvision's CNBlock
holds `layer_scale` and computes `self.layer_scale * result`) is traced as a step of its own, named
`<owner>.<parameter>` ("features.1.0.layer_scale"), whose class says what the op does with it (`bare_class`), and
converted by the converter claiming that class: a multiplied-in parameter is a layer scale (Keras' LayerScale).
Numpy only, like every converter.
"""
from __future__ import annotations

from tfpt.convert.norms import LayerScaleConverter

SCALE = "ScaleParameter"  # the class of a bare parameter multiplied into a tensor
SCALE_OPS = ("mul", "mul_", "multiply", "__mul__", "__rmul__", "__imul__")


def bare_class(op: str) -> str:
    """The class a bare parameter's step is recorded as, from the functional op that reads it: `ScaleParameter`
    for a product, else `Parameter(<op>)` (no converter claims it: the matcher names it unmatched with its op)."""
    return SCALE if op in SCALE_OPS else f"Parameter({op})"


class BareScaleConverter(LayerScaleConverter):
    """Keras' LayerScale (one weight of shape (C,)) <-> a bare parameter multiplied in (torchvision's ConvNeXt
    `layer_scale` of shape (C, 1, 1), applied to a channels-first tensor): a reshape, exact both ways."""

    name = "bare_scale"
    torch_classes = (SCALE,)  # type: ignore[assignment]  # the base annotates none: mypy infers its 2-tuple
