"""Differences a porter reads, in words: activation variants named by function (GELU's erf form against its tanh
approximation, ReLU against ReLU6, softmax against log_softmax heads; hard sigmoid, hard swish and SiLU/swish are
the same functions in Keras 3 and PyTorch), a preprocessing layer on one side only with its constants and the fix,
and identical differences across many layers grouped into one short sentence with one fix."""
from __future__ import annotations

import pytest

from tests.layout_pairs import pair
from tfpt import differences
from tfpt.convert.functions import keras_function, torch_function
from tfpt.convert.named import PairDifference, unaccepted_message


@pytest.mark.parametrize("keras_name, torch_name, same", [
    ("gelu", ("GELU", "none"), True), ("gelu", ("GELU", "tanh"), False), ("gelu", ("gelu", "tanh"), False),
    ("swish", ("SiLU", None), True), ("hard_sigmoid", ("Hardsigmoid", None), True),
    ("hard_swish", ("Hardswish", None), True), ("relu", ("ReLU6", None), False),
    ("relu6", ("ReLU6", None), True), ("softmax", ("log_softmax", None), False)])
def test_activation_variants_are_named_by_function(keras_name, torch_name, same):
    assert (keras_function(keras_name) == torch_function(*torch_name)) is same


def test_keras_relu_layer_capped_at_6_is_relu6():
    assert keras_function("relu", max_value=6.0) == "relu6" and keras_function("relu", negative_slope=0.1) != "relu"


def mlp(name, keras_act, torch_act):
    return pair(name, lambda L: [L.Dense(32, activation=keras_act), L.Dense(10)],
                lambda nn: [nn.Linear(16, 32), torch_act(nn), nn.Linear(32, 10)], shape=(16,), head=False)


@pytest.mark.tf
@pytest.mark.torch
def test_gelu_erf_against_tanh_is_a_material_difference_in_words():
    (d,) = differences(mlp("gelu-tanh", "gelu", lambda nn: nn.GELU(approximate="tanh")))
    assert (d.keras_layer, d.field, d.material) == ("dense", "activation", True)
    assert "GELU, exact (erf) in Keras vs GELU, tanh approximation in PyTorch" in str(d)
    assert "nn.GELU() (approximate='none')" in d.fix


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("keras_act, torch_act", [("gelu", lambda nn: nn.GELU()), ("swish", lambda nn: nn.SiLU()),
                                                  ("hard_sigmoid", lambda nn: nn.Hardsigmoid())])
def test_the_same_function_under_two_names_is_no_difference(keras_act, torch_act):
    assert differences(mlp(f"same-{keras_act}", keras_act, torch_act)) == []


@pytest.mark.tf
@pytest.mark.torch
def test_softmax_against_log_softmax_head_names_both_functions():
    p = pair("heads", lambda L: [L.Dense(10), L.Activation("softmax")],
             lambda nn: [nn.Linear(16, 10), nn.LogSoftmax(dim=1)], shape=(16,), head=False)
    (d,) = differences(p)
    assert (d.keras, d.torch) == ("softmax", "log_softmax") and "nn.Softmax(dim=-1)" in d.fix


@pytest.mark.tf
@pytest.mark.torch
def test_a_keras_activation_with_nothing_after_the_torch_layer_is_named():
    (d,) = differences(pair("no-act", lambda L: [L.Dense(10, activation="relu")], lambda nn: [nn.Linear(16, 10)],
                            shape=(16,), head=False))
    assert (d.torch, d.material) == ("nothing", True) and d.fix == "apply nn.ReLU() after PyTorch 0"


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("cls, layer, words, fix", [
    ("Rescaling", lambda L: L.Rescaling(1 / 255), "Rescaling(scale=0.00392157, offset=0)",
     "feed PyTorch x * 0.00392157 + 0"),
    ("Normalization", lambda L: L.Normalization(mean=[0.5, 0.25, 0.0], variance=[0.04, 0.01, 1.0]),
     "Normalization(mean=[0.5, 0.25, 0], variance=[0.04, 0.01, 1])",
     "Normalize(mean=[0.5, 0.25, 0], std=[0.2, 0.1, 1])")])
def test_a_preprocessing_layer_on_one_side_is_named_with_its_constants(cls, layer, words, fix):
    p = pair("pre", lambda L: [layer(L), L.Conv2D(4, 3)], lambda nn: [nn.Conv2d(3, 4, 3)], width=144)
    (d,) = differences(p)  # a Normalization's constants are weights: it was an unmatched layer before
    assert str(d).startswith(f"Keras {d.keras_layer} ({cls}): {words} in Keras only") and d.material
    assert fix in d.fix


def bn_epsilon(i: int, torch_eps: float = 1e-5) -> PairDifference:
    return PairDifference(f"conv{i}/bn", f"features.norm{i}", "BatchNormalization", "BatchNorm2d", "epsilon",
                          1.001e-5, torch_eps, True, "build the torch module with eps=1.001e-05", of=121)


def test_identical_differences_in_many_layers_read_as_one_short_sentence():
    message = unaccepted_message("densenet121", [bn_epsilon(i) for i in range(121)], [])
    assert message.startswith("densenet121: BatchNorm epsilon 1.001e-05 vs 1e-05 in all 121 BatchNorm layers "
                              "(conv0/bn <-> features.norm0, conv1/bn <-> features.norm1, ... 119 more); fix: "
                              "build the torch module with eps=1.001e-05")
    assert len(message) < 300 and message.count("fix:") == 1


def test_differences_with_other_values_stay_apart():
    message = unaccepted_message("p", [bn_epsilon(0), bn_epsilon(1), bn_epsilon(2, torch_eps=1e-3)], [])
    assert "in 2 BatchNorm layers" in message and "Keras conv2/bn (BatchNormalization) vs PyTorch" in message


def test_an_unadapted_normalization_is_named_but_changes_nothing():
    """EfficientNetB0 built without weights holds Normalization(mean 0, variance 1): the identity as it stands."""
    import numpy as np

    from tfpt.convert.named import preprocessing_difference
    unit = {"mean": np.zeros(3, np.float32), "variance": np.ones(3, np.float32)}
    assert not preprocessing_difference("keras", "normalization", "Normalization", {}, unit).material
    assert preprocessing_difference("keras", "normalization", "Normalization", {}, {**unit, "mean": unit["variance"]}
                                    ).material
