"""The converter registry's types: LayerRecord, Context, Difference, ConversionError, and the Converter base class
with the check every conversion's result goes through (`_conform`). Numpy only."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from tfpt.convert.kinds import Kind

TORCH_LAYOUTS = ("channels_first", "channels_last", "input")


@dataclass(frozen=True)
class LayerRecord:
    framework: str  # "tf" | "torch"
    name: str  # Keras layer name, or the PyTorch module's qualified name ("features.0")
    cls: str  # class name: "Conv2D", "Conv2d", "LSTM", ...
    config: dict = field(default_factory=dict)  # plain values (kernel_size, strides, padding, epsilon, ...)
    weights: "OrderedDict[str, np.ndarray]" = field(default_factory=OrderedDict)  # short names, framework order


@dataclass(frozen=True)
class Context:
    """What a converter may need beyond the two layers. `flatten_source`: the channels-first shape (C, H, W) or
    (C, L) of the PyTorch tensor that was flattened into this Dense/Linear's input, when a flatten feeds it
    directly (Keras flattens the same values channels-last, so the kernel's input rows need a permutation).

    `pad_before`: explicit zero padding the PyTorch model applies directly before this conv (an nn.ZeroPad2d or
    F.pad), per spatial dimension as (before, after), e.g. ((0, 1), (0, 1)) for nn.ZeroPad2d((0, 1, 0, 1)).
    `input_spatial`: the conv's spatial input size (H, W) or (L,), when known; Keras' 'same' padding with a
    stride > 1 depends on it (without it the size is assumed divisible by the stride, as 28, 32 or 224 are).
    `keras_pad_before`: the same for the Keras side: a ZeroPadding2D right before the Keras conv, folded into its
    padding when configurations are compared (ZeroPadding2D(3) + 'valid' is padding=3)."""
    flatten_source: tuple | None = None
    pad_before: tuple | None = None
    input_spatial: tuple | None = None
    keras_pad_before: tuple | None = None


@dataclass(frozen=True)
class Difference:
    field: str
    keras: object
    torch: object
    material: bool  # True: changes the outputs or the training (e.g. epsilon); False: informational
    note: str = ""  # what it means or how to match it, one line


class ConversionError(ValueError):
    """A pair that cannot be converted: names the pair, what was expected, and the fix, on one line."""

    def __init__(self, k: LayerRecord | None, t: LayerRecord | None, expected: str, fix: str):
        pair = f"{_label(k)} <-> {_label(t)}"
        super().__init__(f"{pair}: {expected}; fix: {fix}")
        self.pair, self.expected, self.fix = pair, expected, fix


def _label(r: LayerRecord | None) -> str:
    return "?" if r is None else f"{r.cls} {r.name!r}"


class Converter:
    """Converts one Keras layer kind's weights to one PyTorch module kind's and back, exactly.

    Subclasses implement `_to_torch(k, t, ctx)` and `_to_keras(t, k, ctx)` returning {name: array}; the public
    `to_torch` / `to_keras` check the result holds every entry of the target record with its shape, and cast to
    its dtype (float32 to float32 is a no-op: the conversion stays bit for bit)."""

    name: str = ""
    # The layer kind both sides' classes are (tfpt.convert.kinds): what the matcher pairs. Left None, `register`
    # sets it from the kind table (tfpt.convert.registry.default_kind), or "converter:<name>" for new classes.
    kind: "Kind | str | None" = None
    keras_classes: tuple[str, ...] = ()
    torch_classes: tuple[str, ...] = ()
    # The layout of the PyTorch module's output, for comparing it with the Keras layer's (always channels-last):
    # "channels_first" ((N, C, ...), as a conv's), "channels_last", or "input" (its input's, as a norm or a scale
    # keeps). None: the kind table decides (a conv's kind is channels-first), else the output itself (a
    # shape-preserving module keeps its input's layout; otherwise the layout that gives Keras' shape).
    torch_layout: str | None = None

    def differences(self, k: LayerRecord, t: LayerRecord, ctx: Context | None = None) -> list[Difference]:
        """Config differences between the pair; `material=True` where outputs or training change. Raises
        ConversionError for a pair PyTorch cannot express at all."""
        return []

    def to_torch(self, k: LayerRecord, t: LayerRecord, ctx: Context | None = None) -> dict[str, np.ndarray]:
        return _conform(self._to_torch(k, t, ctx or Context()), t, k, t)

    def to_keras(self, t: LayerRecord, k: LayerRecord, ctx: Context | None = None) -> dict[str, np.ndarray]:
        return _conform(self._to_keras(t, k, ctx or Context()), k, k, t)

    def grads_to_keras(self, torch_grads: dict, k: LayerRecord, t: LayerRecord,
                       ctx: Context | None = None) -> dict[str, np.ndarray]:
        """Gradients of the PyTorch parameters, in Keras' layout, to compare with Keras' own gradients. The
        layout maps are linear, so by default this is `to_keras` applied to the gradients."""
        return self.to_keras(replace(t, weights=OrderedDict(torch_grads)), k, ctx)

    def _to_torch(self, k: LayerRecord, t: LayerRecord, ctx: Context) -> dict[str, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _to_torch")

    def _to_keras(self, t: LayerRecord, k: LayerRecord, ctx: Context) -> dict[str, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _to_keras")

    def __repr__(self) -> str:
        return f"<Converter {self.name}: {'/'.join(self.keras_classes)} <-> {'/'.join(self.torch_classes)}>"


def _conform(out: dict, target: LayerRecord, k: LayerRecord, t: LayerRecord) -> "OrderedDict[str, np.ndarray]":
    """`out` in `target`'s names and order, each with the target's shape and dtype, or a ConversionError."""
    missing = [n for n in target.weights if n not in out]
    extra = [n for n in out if n not in target.weights]
    if missing or extra:
        raise ConversionError(k, t, f"{target.framework} weights {list(target.weights)}, converter produced "
                                    f"{list(out)}", "the converter must return exactly the target's weights")
    result = OrderedDict()
    for name, ref in target.weights.items():
        value = np.asarray(out[name])
        if value.shape != ref.shape:
            raise ConversionError(k, t, f"{target.framework} {name} of shape {ref.shape}, converted {value.shape}",
                                  "build both layers with the same sizes (units, channels, kernel size)")
        result[name] = value.astype(ref.dtype, copy=True)
    return result
