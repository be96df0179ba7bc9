"""Configuration differences between a pair's matched layers as records a porter reads: which layer on each side,
what differs, both values, and the fix ("BatchNorm epsilon 1.001e-05 vs 1e-05", "bias present in Keras, absent
in PyTorch"), and a pair's declared, accepted ones (`ModelPair(accept=...)`) matched against them. Pure Python.

An accept key is "field" (every layer with that difference) or "layer:field" (one Keras layer's); `PairDifference
.key` is the second form, so `tfpt.differences(pair)` shows what to write.
"""
from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def key(self) -> str:
        return f"{self.keras_layer}:{self.field}"

    @property
    def what(self) -> str:
        """The difference in a porter's words, without the layers."""
        if self.field == "use_bias":
            return "bias present in Keras, absent in PyTorch" if self.keras else "bias absent in Keras, present in " \
                                                                                   "PyTorch"
        family = _FAMILY.get(self.keras_class, self.keras_class)
        return f"{family} {self.field} {_value(self.keras)} vs {_value(self.torch)}"

    def __str__(self) -> str:
        head = f"Keras {self.keras_layer} ({self.keras_class}) vs PyTorch {self.torch_layer} ({self.torch_class}): " \
               f"{self.what}"
        tail = f" (accepted: {self.accepted})" if self.accepted else (f"; fix: {self.fix}" if self.fix else "")
        return head + tail


def record(keras_layer: str, torch_layer: str, keras_class: str, torch_class: str, d: Difference) -> PairDifference:
    return PairDifference(keras_layer, torch_layer, keras_class, torch_class, d.field, d.keras, d.torch, d.material,
                          d.note)


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


def unaccepted_message(pair_name: str, diffs: list[PairDifference], unused: list[str]) -> str:
    """One sentence per material difference not accepted and per accept key that matched nothing, or ''."""
    parts = [str(d) for d in diffs if d.material and not d.accepted]
    if unused:
        known = ", ".join(sorted({d.key for d in diffs} | {d.field for d in diffs})) or "none"
        parts.append(f"accept names {', '.join(map(repr, unused))}, which matches no difference of this pair (its "
                     f"differences: {known}); fix: remove it or use one of those keys")
    if not parts:
        return ""
    return f"{pair_name}: " + "; ".join(parts)
