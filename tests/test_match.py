"""The matcher's layout rules, from traces written by hand (no framework needed): every kind the rules name is one
the kind tables emit, every built-in converter's classes are of its kind (or the matcher could never pair them), and
a PyTorch global pool's channels-first output is brought into Keras' layout."""
from __future__ import annotations

import json

import numpy as np

from tfpt import match as M
from tfpt.convert import Converter, Kind, converters, kind_of
from tfpt.convert.kinds import _KERAS_KINDS, _TORCH_KINDS


def test_every_kind_the_matcher_names_is_one_the_tables_emit():
    emitted = set(_KERAS_KINDS) | set(_TORCH_KINDS)
    named = M.SPATIAL | M.ELEMENTWISE | M.FLATTENS | M.SEQUENCE
    assert named <= emitted, f"kinds no table emits: {sorted(named - emitted)}"
    assert "globalpool" not in emitted  # the control: a misspelt kind would be caught above


def test_a_kind_is_its_plain_name():
    kind = kind_of("torch", "AdaptiveAvgPool2d")
    assert kind is Kind.GLOBALAVGPOOL and kind == "globalavgpool" and kind in {"globalavgpool"}
    assert f"{kind}" == str(kind) == "globalavgpool" and json.dumps([kind]) == '["globalavgpool"]'


def test_a_torch_global_pool_output_is_channels_first():
    events = [M.Event("conv", Kind.CONV, "Conv2d", 80, (2, 8, 5, 5)),
              M.Event("pool", Kind.GLOBALAVGPOOL, "AdaptiveAvgPool2d", 0, (2, 8, 1, 1)),
              M.Event("flatten", Kind.FLATTEN, "Flatten", 0, (2, 8)),
              M.Event("fc", Kind.DENSE, "Linear", 90, (2, 10))]
    layouts, contexts = M.torch_layouts(events, input_cf=True)
    assert [lay.how for lay in layouts] == ["cf", "cf", "flatten-cf", "identity"]
    assert contexts[3].flatten_source == (8, 1, 1)
    pooled = np.arange(16.0).reshape(2, 8, 1, 1)
    assert layouts[1].apply(pooled).shape == (2, 1, 1, 8)  # Keras' GlobalAveragePooling2D(keepdims=True)


def off_kind(converter: Converter) -> list[str]:
    """The converter's classes whose kind, as the tracers name it, is not the converter's own."""
    return [f"{fw} {cls}: {kind_of(fw, cls)}" for fw, classes in (("tf", converter.keras_classes),
                                                                  ("torch", converter.torch_classes))
            for cls in classes if kind_of(fw, cls) != converter.kind]


def test_every_converter_converts_classes_of_its_own_kind():
    built_in = [c for c in converters() if type(c).__module__ == "tfpt.convert.layers"]
    assert len(built_in) == 8 and all(c.kind is not None for c in built_in)
    assert {c.name: off_kind(c) for c in built_in if off_kind(c)} == {}
    stray = type("Stray", (Converter,), {"name": "x", "kind": Kind.CONV, "keras_classes": ("MyConv",),
                                         "torch_classes": ("Conv2d",)})()
    assert off_kind(stray) == ["tf MyConv: None"]  # the control: a class the tables do not know is named
