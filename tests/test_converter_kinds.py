"""A user's converter reaches the tracers: its classes are recorded whole (`claims`) and of its kind
(`kind_for`), the kind taken from the kind table where the class is known, else one of its own."""
from __future__ import annotations

from tfpt.convert import Converter, Kind, claims, kind_for, register, unregister


class _MyAttention(Converter):
    name = "my-attention"
    keras_classes = ("MyAttention",)
    torch_classes = ("MyTorchAttention",)


class _MyConv(Converter):
    name = "my-conv"
    keras_classes = ("Conv2D",)
    torch_classes = ("MyConv",)


def test_a_registered_converter_claims_its_classes_with_a_kind_of_its_own():
    conv = _MyAttention()
    assert not claims("torch", "MyTorchAttention") and kind_for("torch", "MyTorchAttention") is None
    register(conv)
    try:
        assert claims("torch", "MyTorchAttention") and claims("tf", "MyAttention")
        assert kind_for("tf", "MyAttention") == kind_for("torch", "MyTorchAttention") == "converter:my-attention"
    finally:
        unregister(conv)
    assert not claims("tf", "MyAttention")


def test_a_converter_for_a_known_class_takes_that_class_kind():
    conv = _MyConv()
    register(conv)
    try:
        assert conv.kind is Kind.CONV and kind_for("torch", "MyConv") is Kind.CONV
    finally:
        unregister(conv)
