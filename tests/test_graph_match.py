"""The matcher follows the dataflow graph, not call order: branches run in another order still match, and each
output is brought to Keras' layout through merges, global pools, permutes and flattens (hand-written traces)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.graph_cases import converter_for, keras_block, torch_block
from tfpt import match as M
from tfpt.convert import Kind


def test_a_shortcut_run_in_another_order_is_matched_to_its_counterpart():
    found = M.match(keras_block(), torch_block(), converter_for, input_cf=True)
    pairs = {k.name: t.name for k, t, _ in found.params}
    assert pairs == {"stem": "stem", "c1": "c1", "c2": "c2", "bn2": "bn2", "sc_conv": "down.0", "sc_bn": "down.1",
                     "fc": "fc"}


def test_call_order_alone_cannot_pair_the_shortcut():
    """The control: the same traces with the graph dropped (each event reading the one before) leave a
    BatchNorm of each side unmatched, as call-order alignment did on ResNet50."""
    chain = [M.Event(e.name, e.kind, e.cls, e.param_count, e.shape, e.label) for e in keras_block()]
    with pytest.raises(M.MatchError, match="unmatched — Keras: sc_bn"):
        M.match(chain, torch_block(), converter_for, input_cf=True)


def test_a_commutative_merge_visits_its_deeper_input_first():
    order = M.canonical_order(keras_block())
    assert order.index(6) < order.index(1) < order.index(7)  # bn2 (main branch) before sc_conv, both before add


def test_an_adaptive_pool_and_its_flatten_compare_in_keras_layout():
    found = M.match(keras_block(), torch_block(), converter_for, input_cf=True)
    layouts = {label: lay for label, _, _, lay in found.points}
    assert layouts["gap"].how == "squeeze" and layouts["add"].how == "cf"
    pooled = np.arange(16.0).reshape(2, 8, 1, 1)
    assert layouts["gap"].apply(pooled).shape == (2, 8)
    fc_ctx = next(ctx for k, _, ctx in found.params if k.name == "fc")
    assert fc_ctx.flatten_source == (8, 1, 1)  # a permutation over 1x1 spatial: the identity


def _flatten_trace(torch_side: bool, permute: tuple | None) -> list[M.Event]:
    shape = (2, 4, 3, 3) if torch_side else (2, 3, 3, 4)
    events = [M.Event("conv", Kind.CONV, "Conv2d" if torch_side else "Conv2D", 40, shape, "conv", inputs=())]
    if permute:
        out = (2, 3, 3, 4) if torch_side else (2, 4, 3, 3)
        events.append(M.Event("permute", Kind.RESHAPE, "permute", 0, out, "permute", inputs=(0,),
                              detail=("dims", *permute)))
    events.append(M.Event("flatten", Kind.FLATTEN, "flatten", 0, (2, 36), "flatten", inputs=(len(events) - 1,)))
    events.append(M.Event("fc", Kind.DENSE, "Linear", 370, (2, 10), "fc", inputs=(len(events) - 1,)))
    return events


@pytest.mark.parametrize("keras_permute, torch_permute, expected", [
    (None, None, ("flatten-cf", (4, 3, 3))),  # the usual port: Keras flattens channels-last
    (None, (0, 2, 3, 1), ("identity", None)),  # PyTorch permutes to channels-last before flattening
    ((0, 3, 1, 2), None, ("identity", None)),  # Keras' Permute((3, 1, 2)) before Flatten
])
def test_a_permute_before_flatten_is_followed_on_either_side(keras_permute, torch_permute, expected):
    found = M.match(_flatten_trace(False, keras_permute), _flatten_trace(True, torch_permute), converter_for, True)
    flat = next(lay for label, _, _, lay in found.points if label == "flatten")
    fc_ctx = next(ctx for k, _, ctx in found.params if k.name == "fc")
    assert (flat.how, fc_ctx.flatten_source) == expected


def test_a_channel_concatenation_keeps_the_channels_first_layout():
    torch_side = [M.Event("a", Kind.CONV, "Conv2d", 40, (2, 4, 3, 3), inputs=()),
                  M.Event("b", Kind.CONV, "Conv2d", 40, (2, 4, 3, 3), inputs=()),
                  M.Event("cat_0", Kind.CONCAT, "cat", 0, (2, 8, 3, 3), inputs=(0, 1), detail=("dim", 1))]
    states = M.layout_states(torch_side, torch_side=True, input_cf=True)
    assert [s.how for s in states] == ["cf", "cf", "cf"]
    x = np.arange(2 * 8 * 9.0).reshape(2, 8, 3, 3)
    assert np.array_equal(M._fix(states[2], M.State("cl"), x.shape, (2, 3, 3, 8)).apply(x), np.moveaxis(x, 1, -1))
