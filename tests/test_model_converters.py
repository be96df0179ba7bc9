"""The converters real models need, each on a real Keras layer and its PyTorch module: forward agreement within
the 'forward' tolerance, bit-for-bit round trips both ways, gradients in Keras' layout within the 'gradient'
tolerance, and negative controls (a wrong geometry, group count, gate order or bias) that must fail and say why."""
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import pytest

from tests.model_converter_cases import BY_ID, CASES, build, load_torch, outputs, relative_gradient_errors, torch_random
from tfpt.compare import assert_close
from tfpt.convert import ConversionError, LayerRecord, find
from tfpt.convert.attention import MultiHeadAttentionConverter
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.torch]
ids = [case.id for case in CASES]


@pytest.fixture
def rng(seed):
    return np.random.default_rng(seed)


def bitwise_equal(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(a[n].dtype == b[n].dtype and np.array_equal(a[n], b[n]) for n in a)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_keras_to_torch_forward_agrees(case, rng, measurements):
    b = build(case, rng)
    assert b.converter is not None, f"no converter for {b.k.cls} <-> {b.t.cls}"
    assert [d for d in b.converter.differences(b.k, b.t) if d.material] == []
    load_torch(b)
    result = assert_close(*outputs(b), tol("forward"))
    measurements[f"converter {case.id}"] = result.max_abs


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_round_trips_are_bitwise_both_ways(case, rng):
    from tfpt.frameworks.torch.layers import torch_record
    b = build(case, rng)
    load_torch(b)
    back = b.converter.to_keras(torch_record(case.id, b.module), b.k)  # through the module's own tensors
    assert bitwise_equal(dict(b.k.weights), dict(back))
    t = torch_random(b, rng)
    keras_w = b.converter.to_keras(t, b.k)
    assert bitwise_equal(dict(t.weights), dict(b.converter.to_torch(replace(b.k, weights=keras_w), t)))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_gradients_in_keras_layout_agree(case, rng, measurements):
    b = build(case, rng)
    load_torch(b)
    rel = relative_gradient_errors(b, rng)
    measurements[f"converter gradient relative error {case.id}"] = rel
    assert max(rel.values()) <= tol("gradient").rtol, f"{b.k.name}: relative gradient errors {rel}"


def test_transpose_same_odd_kernel_stride2_is_named_and_fails(rng):
    """Keras 'same' with kernel 3, stride 2 keeps the full output's first 2n values; torch's padding=1,
    output_padding=1 (what Keras' own torch backend uses) keeps values 1..2n: a one-pixel shift."""
    from tfpt.frameworks import import_torch
    case = replace(BY_ID["conv2d-transpose-same-s1"], keras=lambda k: k.layers.Conv2DTranspose(
        4, 3, strides=2, padding="same"))
    b = build(case, rng, import_torch().nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1))
    (diff,) = [d for d in b.converter.differences(b.k, b.t) if d.material]
    assert diff.field == "padding" and "no single torch ConvTranspose matches" in diff.note
    load_torch(b)
    with pytest.raises(AssertionError, match=r"first divergent layer: conv2d_transpose.* <-> conv2d-transpose"):
        assert_close(*outputs(b), tol("forward"))


def test_transpose_wrong_padding_names_the_torch_arguments(rng):
    from tfpt.frameworks import import_torch
    b = build(BY_ID["conv2d-transpose-valid-s2-output-padding"], rng,
              import_torch().nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1))
    (diff,) = [d for d in b.converter.differences(b.k, b.t) if d.material]
    assert "padding=(0, 0), output_padding=(1, 1)" in diff.note


def test_groupnorm_with_other_groups_is_named_and_fails(rng):
    from tfpt.frameworks import import_torch
    b = build(BY_ID["groupnorm"], rng, import_torch().nn.GroupNorm(3, 6, eps=1e-5))
    assert [(d.field, d.keras, d.torch) for d in b.converter.differences(b.k, b.t)] == [("groups", 2, 3)]
    load_torch(b)
    with pytest.raises(AssertionError, match=r"first divergent layer: group_normalization.* <-> groupnorm"):
        assert_close(*outputs(b), tol("forward"))


class SwappedQueryKey(MultiHeadAttentionConverter):
    """A defective converter for the negative control: it packs Keras' key kernel where the query goes."""

    def _keras(self, k, part, leaf, required=True):
        return super()._keras(k, {"query": "key", "key": "query"}.get(part, part), leaf, required)


def test_attention_with_query_and_key_swapped_fails_and_names_the_layer(rng):
    from tfpt.frameworks.torch.layers import set_torch_weights
    b = build(BY_ID["mha-packed"], rng)
    set_torch_weights(b.module, SwappedQueryKey().to_torch(b.k, b.t))
    with pytest.raises(AssertionError, match=r"first divergent layer: multi_head_attention.* <-> mha-packed"):
        assert_close(*outputs(b), tol("forward"))


def test_attention_head_width_torch_cannot_split_is_named(rng):
    from tfpt.frameworks import import_torch
    case = replace(BY_ID["mha-packed"], keras=lambda k: k.layers.MultiHeadAttention(2, 3))
    b = build(case, rng, import_torch().nn.MultiheadAttention(8, 2, batch_first=True))
    diffs = {d.field: d for d in b.converter.differences(b.k, b.t)}
    assert diffs["key_dim"].material and "key_dim=4" in diffs["key_dim"].note
    with pytest.raises(ConversionError, match=r"torch in_proj_weight of shape \(24, 8\), converted \(18, 8\)"):
        b.converter.to_torch(b.k, b.t)


def test_separable_torch_depthwise_bias_must_be_zero(rng):
    b = build(BY_ID["separable-same"], rng)
    t = torch_random(b, rng)
    t = replace(t, weights=OrderedDict(t.weights, **{"depthwise.bias": np.ones(6, np.float32)}))
    with pytest.raises(ConversionError, match=r"torch depthwise.bias == 0 everywhere .*no depthwise bias"):
        b.converter.to_keras(t, b.k)


def test_conv_bias_present_in_keras_absent_in_torch_is_named_and_refused():
    f32 = np.float32
    k = LayerRecord("tf", "conv", "Conv2D", {"kernel_size": (1, 1), "use_bias": True},
                    OrderedDict(kernel=np.zeros((1, 1, 2, 3), f32), bias=np.full(3, 0.5, f32)))
    t = LayerRecord("torch", "c", "Conv2d", {"kernel_size": (1, 1), "padding": 0, "use_bias": False},
                    OrderedDict(weight=np.zeros((3, 2, 1, 1), f32)))
    conv = find("Conv2D", "Conv2d")
    (diff,) = conv.differences(k, t)
    assert diff.material and "bias present in Keras, absent in PyTorch" in diff.note
    with pytest.raises(ConversionError, match=r"Keras bias == 0 everywhere.*fix: build the torch conv with bias=True"):
        conv.to_torch(k, t)
    zero = replace(k, weights=OrderedDict(k.weights, bias=np.zeros(3, f32)))
    assert list(conv.to_torch(zero, t)) == ["weight"]  # a zero bias drops exactly
