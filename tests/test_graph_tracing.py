"""Both tracers on graphs that are not chains, end to end with shared weights: every compared output agrees in
Keras' layout, through an in-place ReLU, a shortcut run in another order, a squeeze-excitation product, a channel
concatenation, adaptive pooling and permutes before a flatten; Keras' ZeroPadding2D is folded into the conv's
padding, and a real asymmetric-vs-symmetric padding is still named."""
from __future__ import annotations

import numpy as np
import pytest

from tests import graph_pairs as G
from tfpt.checks import pairs as P

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def _forward(pair, direction="tf->torch"):
    pm = P.shared(pair, direction)
    return pm, P.compare_forward(pm, pair.input.batch(4, 0))


@pytest.mark.parametrize("direction", P.DIRECTIONS)
def test_a_batchnorm_output_is_recorded_before_an_inplace_relu_rewrites_it(direction):
    pm, result = _forward(G.INPLACE, direction)
    assert result.ok, result.message()
    assert [r.name for r in result.rows] == ["conv", "bn", "relu", "gap", "fc"]
    _, values = P.adapter("torch").trace(pm.torch_model, G.IMAGE.to_torch_layout(G.IMAGE.batch(4, 0)))
    assert values[1].min() < 0 <= values[2].min()  # the control: BatchNorm's own output keeps its negatives


def test_a_shortcut_run_last_a_gate_and_a_concatenation_match_and_agree():
    pm, result = _forward(G.RESIDUAL)
    assert {k.name: t.name for k, t, _ in pm.match.params}["shortcut"] == "shortcut"
    assert {"add", "se_mul", "cat", "gap"} <= {r.name for r in result.rows}
    assert result.ok, result.message()


@pytest.mark.parametrize("pair", [G.TORCH_PERMUTES, G.KERAS_PERMUTES, G.PLAIN_FLATTEN, G.VGG_TAIL],
                         ids=lambda p: p.name)
def test_a_flatten_after_a_permute_or_an_adaptive_pool_is_an_equivalent_port(pair):
    _, result = _forward(pair)
    assert result.ok, result.message()


def test_the_wrong_flatten_order_is_caught():
    """The control: the Keras-permutes model beside a PyTorch model that permutes too flattens in other orders."""
    from tfpt import ModelPair
    crossed = ModelPair("crossed", G.KERAS_PERMUTES.keras, G.TORCH_PERMUTES.torch, G.IMAGE, formats=())
    pm = P.shared(crossed)
    k, t = P.model_outputs(pm, G.IMAGE.batch(4, 0))
    assert np.max(np.abs(k - t)) > 1e-3


def test_zero_padding_before_a_valid_conv_is_the_torch_conv_padding():
    assert not [d for _, d in P.config_differences(P.build(G.SYMMETRIC_PAD)) if d.field == "padding"]
    _, result = _forward(G.SYMMETRIC_PAD)
    assert result.ok, result.message()


def test_asymmetric_zero_padding_against_symmetric_padding_is_named():
    diffs = [d for _, d in P.config_differences(P.build(G.ASYMMETRIC_PAD)) if d.field == "padding"]
    assert len(diffs) == 1 and "asymmetric in Keras, symmetric in PyTorch" in diffs[0].note, diffs
    assert "((0, 1), (0, 1))" in diffs[0].keras and "((1, 1), (1, 1))" in diffs[0].torch


def test_a_failing_output_is_explained_by_the_setting_that_differs():
    from tfpt.testing import sessions as S
    assert "Keras conv (Conv2D) vs PyTorch 0 (Conv2d): Conv2D stride (2, 2) vs (1, 1)" in \
        S.explain(G.STRIDE_DIFFERS, "gap")
    assert S.explain(G.INPLACE, "fc") == ""  # the control: nothing differs, nothing is claimed


def test_a_module_a_converter_claims_is_recorded_whole():
    """nn.MultiheadAttention is not a leaf: without the claim its F.linear calls were parameter-free steps and
    Keras' MultiHeadAttention had no counterpart."""
    pm, result = _forward(G.ATTENTION)
    assert [(k.name, t.name) for k, t, _ in pm.match.params] == [("mha", "mha"), ("fc", "fc")]
    assert result.ok and [r.name for r in result.rows] == ["mha", "fc"], result.message()
