"""The matcher's layout rules, from traces written by hand (no framework needed): every kind the rules name is one
the kind tables emit, and a PyTorch global pool's channels-first output is brought into Keras' layout."""
from __future__ import annotations

import json

import numpy as np

from tfpt import match as M
from tfpt.convert import Kind, kind_of
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
