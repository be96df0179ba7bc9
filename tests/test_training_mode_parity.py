"""Training-mode parity (tfpt.checks.training_mode): Adam steps with batch statistics, compared weight by weight,
running statistics and Adam moments. Matched pairs agree (bn-cnn, with Dropout; a small MLP with Dropout); a
BatchNorm momentum difference fails named; declared accepted, the check skips with the pair's reason; each
framework's Adam defaults fail, named as the epsilon difference."""
from __future__ import annotations

import numpy as np
import pytest

from models.pairs import BN_CNN, MNIST, bn_cnn_keras
from tfpt import ModelPair
from tfpt.checks import training_mode as T

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def mlp_keras():
    from tfpt.frameworks import import_keras as keras
    L = keras().layers
    return keras().Sequential([keras().Input((28, 28, 1)), L.Flatten(), L.Dense(32, activation="relu", name="fc"),
                               L.Dropout(0.5), L.Dense(10, name="head")])


def mlp_torch():
    from tfpt.frameworks import import_torch
    nn = import_torch().nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))


def bn_cnn_torch_default_momentum():
    """bn-cnn's PyTorch side with BatchNorm2d's default momentum=0.1 (Keras 0.9) against Keras' default 0.99."""
    model = BN_CNN.torch()
    for i in (1, 5):
        model[i].momentum = 0.1
    return model


MLP_DROPOUT = ModelPair("mlp-dropout", mlp_keras, mlp_torch, MNIST, formats=())
MOMENTUM = ModelPair("bn-momentum", bn_cnn_keras, bn_cnn_torch_default_momentum, MNIST, formats=())
ACCEPTED = ModelPair("bn-momentum-accepted", bn_cnn_keras, bn_cnn_torch_default_momentum, MNIST, formats=(),
                     accept={"momentum": "inference only"})


@pytest.mark.parametrize("pair", [BN_CNN, MLP_DROPOUT], ids=lambda p: p.name)
def test_matched_pairs_agree_in_training_mode(pair):
    assert T.skip_reason(pair) is None
    result = T.check(pair)
    assert result.ok, result.message()
    assert result.moments.rows and (pair is not BN_CNN or len(result.statistics.rows) == 4)


def test_a_momentum_difference_fails_named():
    result = T.check(MOMENTUM)
    assert not result.ok and not result.statistics.ok and result.weights.ok
    message = result.message()
    assert "BatchNorm momentum 0.99 (Keras) vs 0.9 (PyTorch momentum=0.1) in 2 layers" in message, message
    assert "running statistics after 5 training steps differ by" in message and "momentum=0.01" in message


def test_an_accepted_momentum_skips_with_its_reason():
    assert "inference only" in T.skip_reason(ACCEPTED) and "momentum" in T.skip_reason(ACCEPTED)


def test_each_frameworks_adam_defaults_are_named_as_the_epsilon_difference():
    result = T.check(MLP_DROPOUT, "defaults")
    assert not result.ok and "Adam epsilon 1e-07 (Keras, added to sqrt(v) before bias correction) vs 1e-08" \
        in result.message(), result.message()


def test_pytorch_running_var_is_brought_to_keras_biased_convention():
    """PyTorch adds momentum * var * n / (n - 1) per step, Keras momentum' * var: after the conversion, equal."""
    rng = np.random.default_rng(0)
    start, keras_m, n = rng.uniform(0.5, 1.5, 4), 0.9, 6
    keras_rv, torch_rv = start.copy(), start.copy()
    for _ in range(3):
        var = rng.uniform(0.5, 1.5, 4)
        keras_rv = keras_m * keras_rv + (1 - keras_m) * var
        torch_rv = keras_m * torch_rv + (1 - keras_m) * var * n / (n - 1)
    np.testing.assert_allclose(T._biased(torch_rv, start, 1 - keras_m, 3, n), keras_rv, rtol=1e-12)
