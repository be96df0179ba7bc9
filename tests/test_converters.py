"""The weight-converter registry: each built-in converter on a real Keras layer and its PyTorch module (forward
agreement within the 'forward' tolerance, bit-for-bit round trips, gradients in Keras' layout), the config
differences it reports, and negative controls that must fail and name the layer."""
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import pytest

from tfpt import convert
from tfpt.compare import assert_close, compare
from tfpt.convert import Context, ConversionError, Converter, LayerRecord, find, kind_of
from tfpt.tolerances import tol
from tests.layer_cases import BY_ID, CASES, SwappedGatesLSTM, build, load_torch, outputs, torch_random

both = [pytest.mark.tf, pytest.mark.torch]
ids = [case.id for case in CASES]


@pytest.fixture
def rng(seed):
    return np.random.default_rng(seed)


def bitwise_equal(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(a[n].dtype == b[n].dtype and np.array_equal(a[n], b[n]) for n in a)


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.tf
@pytest.mark.torch
def test_keras_to_torch_forward_agrees(case, rng, measurements):
    b = build(case, rng)
    assert b.converter is not None, f"no converter for {b.k.cls} <-> {b.t.cls}"
    assert [d for d in b.converter.differences(b.k, b.t, case.ctx) if d.material] == []
    load_torch(b)
    result = assert_close(*outputs(b), tol("forward"))
    measurements[f"converter {case.id}"] = result.max_abs


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.tf
@pytest.mark.torch
def test_keras_torch_keras_round_trip_is_bitwise(case, rng):
    from tfpt.adapters.torch_layers import torch_record
    b = build(case, rng)
    load_torch(b)
    back = b.converter.to_keras(torch_record(case.id, b.module), b.k, case.ctx)  # through the module's tensors
    assert bitwise_equal(dict(b.k.weights), dict(back))


# LSTM: two torch biases, one Keras bias (tested below); no-scale BN: torch's weight must be all ones (below).
EXACT_BACK = [c for c in CASES if c.id not in ("lstm", "batchnorm1d-noscale")]


@pytest.mark.parametrize("case", EXACT_BACK, ids=[c.id for c in EXACT_BACK])
@pytest.mark.tf
@pytest.mark.torch
def test_torch_keras_torch_round_trip_is_bitwise(case, rng):
    b = build(case, rng)
    t = torch_random(b, rng)
    keras_w = b.converter.to_keras(t, b.k, case.ctx)
    assert bitwise_equal(dict(t.weights), dict(b.converter.to_torch(replace(b.k, weights=keras_w), t, case.ctx)))


@pytest.mark.tf
@pytest.mark.torch
def test_lstm_torch_keras_torch_keeps_the_bias_sum_and_the_outputs(rng):
    """Keras has one bias where torch has two: the way back gives (b_ih + b_hh, 0), which computes the same."""
    from tfpt.adapters.keras_layers import keras_record, set_keras_weights
    from tfpt.adapters.torch_layers import set_torch_weights
    b = build(BY_ID["lstm"], rng)
    t = torch_random(b, rng)
    set_torch_weights(b.module, t.weights)
    set_keras_weights(b.layer, b.converter.to_keras(t, b.k))
    back = b.converter.to_torch(keras_record(b.layer), t)
    assert np.array_equal(back["bias_ih_l0"], t.weights["bias_ih_l0"] + t.weights["bias_hh_l0"])
    assert not back["bias_hh_l0"].any()
    assert bitwise_equal({n: t.weights[n] for n in ("weight_ih_l0", "weight_hh_l0")},
                         {n: back[n] for n in ("weight_ih_l0", "weight_hh_l0")})
    assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_batchnorm_without_scale_takes_only_a_unit_torch_weight(rng):
    b = build(BY_ID["batchnorm1d-noscale"], rng)
    t = torch_random(b, rng)
    with pytest.raises(ConversionError, match=r"BatchNormalization 'batch_normalization.*' <-> BatchNorm1d "
                                              r"'batchnorm1d-noscale': torch weight == 1 everywhere.*fix: "):
        b.converter.to_keras(t, b.k)
    t = replace(t, weights=OrderedDict(t.weights, weight=np.ones_like(t.weights["weight"])))
    keras_w = b.converter.to_keras(t, b.k)
    assert list(keras_w) == ["beta", "moving_mean", "moving_variance"]
    assert bitwise_equal(dict(t.weights), dict(b.converter.to_torch(replace(b.k, weights=keras_w), t)))


@pytest.mark.parametrize("case_id", ["conv2d-stride2-same", "depthwise", "dense-after-flatten-chw", "layernorm",
                                     "lstm", "gru"])
@pytest.mark.tf
@pytest.mark.torch
def test_gradients_in_keras_layout_agree(case_id, rng):
    import tensorflow as tf
    import torch
    from tests.layer_cases import run_keras, torch_input
    case = BY_ID[case_id]
    b = build(case, rng)
    load_torch(b)
    y = run_keras(b)
    w = rng.standard_normal(y.shape).astype(np.float32)  # the loss sum(y * w), in Keras' layout
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(b.layer(b.x.reshape(b.x.shape[0], -1) if case.layout == "flatten" else b.x) * w)
    keras_g = {v.path.split("/")[-1]: g.numpy() for v, g in zip(b.layer.trainable_weights,
                                                                 tape.gradient(loss, b.layer.trainable_weights))}
    out = b.module(torch_input(case, b.x))
    out = out[0] if case.layout == "rnn" else out
    out = out.permute(0, *range(2, out.ndim), 1) if case.layout == "channels_last" else out
    (out * torch.from_numpy(w)).sum().backward()
    torch_g = {n: p.grad.numpy() for n, p in b.module.named_parameters()}
    converted = b.converter.grads_to_keras(torch_g, b.k, b.t, case.ctx)
    for name, g in keras_g.items():
        rel = np.linalg.norm(converted[name] - g) / np.linalg.norm(g)
        assert rel <= tol("gradient").rtol, f"{b.k.name}.{name}: relative gradient error {rel:.3g}"


@pytest.mark.tf
@pytest.mark.torch
def test_dense_without_flatten_permutation_fails_and_names_the_layer(rng):
    b = build(BY_ID["dense-after-flatten-chw"], rng)
    load_torch(b, ctx=Context())  # the defect: the Flatten permutation forgotten
    with pytest.raises(AssertionError, match=r"first divergent layer: dense.* <-> dense-after-flatten-chw"):
        assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_batchnorm_epsilon_mismatch_is_material_and_fails(rng):
    b = build(BY_ID["batchnorm2d"], rng, keras_overrides={"epsilon": 1e-3})
    diffs = {d.field: d for d in b.converter.differences(b.k, b.t)}
    assert diffs["epsilon"].material and (diffs["epsilon"].keras, diffs["epsilon"].torch) == (1e-3, 1e-5)
    load_torch(b)
    with pytest.raises(AssertionError, match=r"first divergent layer: batch_normalization.* <-> batchnorm2d"):
        assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_lstm_with_swapped_gates_fails_and_names_the_layer(rng):
    b = build(BY_ID["lstm"], rng)
    load_torch(b, converter=SwappedGatesLSTM())
    with pytest.raises(AssertionError, match=r"first divergent layer: lstm.* <-> lstm"):
        assert_close(*outputs(b), tol("forward"))
