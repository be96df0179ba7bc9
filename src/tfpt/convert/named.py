"""Configuration differences between a pair's matched layers as records a porter reads: which layer on each side,
what differs, both values, and the fix ("BatchNorm epsilon 1.001e-05 vs 1e-05", "bias present in Keras, absent
in PyTorch"), and a pair's declared, accepted ones (`ModelPair(accept=...)`) matched against them. Pure Python.

An accept key is "field" (every layer with that difference) or "layer:field" (one Keras layer's); `PairDifference
.key` is the second form, so `tfpt.differences(pair)` shows what to write.

Beyond the converters' per-layer settings: activation functions compared step by step and named in words (GELU's
exact erf form against its tanh approximation, ReLU against ReLU6, softmax against log_softmax;
tfpt.convert.functions), a Keras layer's fused activation with nothing applying it on the PyTorch side, and a
preprocessing layer (Rescaling, Normalization) on one side only, with its constants. A failure message groups
identical differences: "BatchNorm epsilon 0.001 vs 1e-05 in all 121 BatchNorm layers", one fix per group.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from tfpt.convert import functions
from tfpt.convert.base import Difference

# A porter's name for a class where the class name alone reads oddly in a sentence.
_FAMILY = {"BatchNormalization": "BatchNorm", "LayerNormalization": "LayerNorm", "GroupNormalization": "GroupNorm",
           "MultiHeadAttention": "attention"}


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class PairDifference:
    keras_layer: str
    torch_layer: str
    keras_class: str
    torch_class: str
    field: str
    keras: object
    torch: object
    material: bool  # changes the outputs or the training
    fix: str
    accepted: str = ""  # the pair's reason where it declares this difference accepted
    of: int = 0  # matched layers of this Keras class in the pair (0: not counted), for "in all N ... layers"

    @property
    def key(self) -> str:
        return f"{self.keras_layer}:{self.field}"

    @property
    def what(self) -> str:
        """The difference in a porter's words, without the layers."""
        if self.field == "use_bias":
            return "bias present in Keras, absent in PyTorch" if self.keras else "bias absent in Keras, present in " \
                                                                                   "PyTorch"
        if self.field == "activation":
            return f"activation {self.keras} in Keras vs {self.torch} in PyTorch"
        if self.field == "preprocessing":
            return f"preprocessing {self.keras} in Keras vs {self.torch} in PyTorch"
        family = _FAMILY.get(self.keras_class, self.keras_class)
        return f"{family} {self.field} {_value(self.keras)} vs {_value(self.torch)}"

    def __str__(self) -> str:
        if "-" in (self.keras_layer, self.torch_layer):  # a layer on one side only
            keras = self.keras_layer != "-"
            layer, cls = (self.keras_layer, self.keras_class) if keras else (self.torch_layer, self.torch_class)
            head = f"{'Keras' if keras else 'PyTorch'} {layer} ({cls}): {self.keras if keras else self.torch} in " \
                   f"{'Keras' if keras else 'PyTorch'} only"
        else:
            head = f"Keras {self.keras_layer} ({self.keras_class}) vs PyTorch {self.torch_layer} " \
                   f"({self.torch_class}): {self.what}"
        tail = f" (accepted: {self.accepted})" if self.accepted else (f"; fix: {self.fix}" if self.fix else "")
        return head + tail


def record(keras_layer: str, torch_layer: str, keras_class: str, torch_class: str, d: Difference) -> PairDifference:
    return PairDifference(keras_layer, torch_layer, keras_class, torch_class, d.field, d.keras, d.torch, d.material,
                          d.note)


def activation_difference(keras_layer: str, torch_layer: str, keras_class: str, torch_class: str, keras_fn: str,
                          torch_fn: str | None) -> PairDifference | None:
    """Two matched activation steps (or a Keras layer's fused activation with nothing after its PyTorch
    counterpart: `torch_fn` None) in words, or None where they apply one function."""
    if keras_fn == torch_fn:
        return None
    if torch_fn is None:
        fix = f"apply {functions.IN_TORCH.get(keras_fn, keras_fn)} after PyTorch {torch_layer}"
        return PairDifference(keras_layer, torch_layer, keras_class, torch_class, "activation",
                              functions.in_words(keras_fn), "nothing", True, fix)
    return PairDifference(keras_layer, torch_layer, keras_class, torch_class, "activation",
                          functions.in_words(keras_fn), functions.in_words(torch_fn), True,
                          functions.fix(keras_fn, torch_fn))


def _numbers(values) -> str:
    flat = [float(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
    return f"[{', '.join(f'{v:.6g}' for v in flat)}]" if len(flat) > 1 else f"{flat[0]:.6g}"


def preprocessing_difference(side: str, layer: str, cls: str, config: dict, weights: dict) -> PairDifference:
    """A preprocessing layer (Keras Rescaling or Normalization; torchvision's Normalize module) on `side` only,
    with its constants and the fix. `weights`: its constants as arrays (a Normalization's mean and variance)."""
    if cls == "Rescaling":
        scale, offset = config.get("scale", 1.0), config.get("offset", 0.0)
        what = f"Rescaling(scale={_numbers(scale)}, offset={_numbers(offset)})"
        fix = f"feed PyTorch x * {_numbers(scale)} + {_numbers(offset)}, or take the Rescaling out of the Keras model"
    elif cls == "Normalization":
        mean = [float(v) for v in weights["mean"].ravel()] if "mean" in weights else config.get("mean")
        var = [float(v) for v in weights["variance"].ravel()] if "variance" in weights else config.get("variance")
        std = [math.sqrt(v) for v in (var if isinstance(var, (list, tuple)) else [var])] if var is not None else None
        what = f"Normalization(mean={_numbers(mean) if mean is not None else '?'}, variance=" \
               f"{_numbers(var) if var is not None else '?'})"
        fix = (f"normalise PyTorch's input the same way (torchvision.transforms.Normalize(mean="
               f"{_numbers(mean) if mean is not None else '?'}, std={_numbers(std) if std else '?'})), or build the "
               f"Keras model without it (keras.applications: include_preprocessing=False)")
    else:
        mean, std = config.get("mean"), config.get("std")
        shown = {k: _numbers(v) if v is not None else "?" for k, v in (("mean", mean), ("std", std))}
        what = f"{cls}(mean={shown['mean']}, std={shown['std']})"
        fix = "normalise Keras' input the same way (keras.layers.Normalization(mean, variance=std**2)), or take it " \
              "out of the PyTorch model"
    # the identity as it stands is named but not material: an unadapted Normalization (mean 0, variance 1:
    # keras.applications.EfficientNetB0 built without weights), a Rescaling by 1
    if cls == "Rescaling":
        identity = _flat(config.get("scale", 1.0)) == [1.0] and not any(_flat(config.get("offset", 0.0)))
    else:
        identity = cls == "Normalization" and "mean" in weights and "variance" in weights and \
            not weights["mean"].any() and bool((weights["variance"] == 1).all())
    if side == "keras":
        return PairDifference(layer, "-", cls, "-", "preprocessing", what, "none", not identity, fix)
    return PairDifference("-", layer, "-", cls, "preprocessing", "none", what, True, fix)


def _flat(value) -> list[float]:
    if value is None:
        return []
    return [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def with_accepted(diffs: list[PairDifference], accept: dict) -> tuple[list[PairDifference], list[str]]:
    """The records with each accepted one's reason set, and the accept keys that matched no difference."""
    out, used = [], set()
    for d in diffs:
        key = d.key if d.key in accept else d.field if d.field in accept else None
        if key is not None:
            used.add(key)
            d = PairDifference(**{**d.__dict__, "accepted": accept[key]})
        out.append(d)
    return out, [k for k in accept if k not in used]


def grouped(diffs: list[PairDifference], shown: int = 2) -> list[str]:
    """One sentence per group of identical differences (same class, field, values and fix): a single one as it
    is; several as "BatchNorm epsilon 0.001 vs 1e-05 in all 121 BatchNorm layers (conv1/bn <-> features.norm0,
    ... 120 more); fix: ...", so a model with a hundred identical layers gives one short line, not a hundred."""
    groups: dict = {}
    for d in diffs:
        groups.setdefault((_FAMILY.get(d.keras_class, d.keras_class), d.field, _value(d.keras), _value(d.torch),
                           d.fix), []).append(d)
    out = []
    for (family, *_), ds in groups.items():
        if len(ds) == 1:
            out.append(str(ds[0]))
            continue
        first = ds[0]
        layers = ", ".join(f"{d.keras_layer} <-> {d.torch_layer}" for d in ds[:shown])
        more = f", ... {len(ds) - shown} more" if len(ds) > shown else ""
        every = "all " if first.of == len(ds) else ""
        out.append(f"{first.what} in {every}{len(ds)} {family} layers ({layers}{more})" +
                   (f"; fix: {first.fix}" if first.fix else "") + f" (or accept={{'{first.field}': '<why>'}})")
    return out


def unaccepted_message(pair_name: str, diffs: list[PairDifference], unused: list[str]) -> str:
    """One sentence per material difference not accepted (identical ones grouped: `grouped`) and per accept key
    that matched nothing, or ''."""
    parts = grouped([d for d in diffs if d.material and not d.accepted])
    if unused:
        known = sorted({d.key for d in diffs} | {d.field for d in diffs})
        shown = ", ".join(known[:20]) + (f", ... {len(known) - 20} more" if len(known) > 20 else "") or "none"
        parts.append(f"accept names {', '.join(map(repr, unused))}, which matches no difference of this pair (its "
                     f"differences: {shown}); fix: remove it or use one of those keys")
    if not parts:
        return ""
    return f"{pair_name}: " + "; ".join(parts)
