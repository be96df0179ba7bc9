"""Forward equivalence at every layer, with weights transferred both ways, on 256 real MNIST test images."""
import numpy as np
import pytest

from tfpt.checks.pairing import DIRECTIONS, assert_forward_equal, shared_pair, weights_equal
from models.adapters import PAIRS, adapter

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.parametrize("direction", DIRECTIONS, ids=["tf2torch", "torch2tf"])
@pytest.mark.parametrize("pair", PAIRS)
def test_every_layer_agrees(pair, direction, mnist_batch, measurements):
    keras_model, torch_model = shared_pair(pair, direction)
    result = assert_forward_equal(keras_model, torch_model, mnist_batch)
    measurements[f"forward max |Δ| {pair} {direction}"] = {r.name: r.max_abs for r in result.rows}


@pytest.mark.parametrize("pair", PAIRS)
def test_round_trip_is_bitwise(pair):
    tfa, tha = adapter("tf"), adapter("torch")
    keras_model = tfa.build(PAIRS[pair]["tf"])
    original = tfa.get_weights(keras_model)
    torch_model = tha.set_weights(tha.build(PAIRS[pair]["torch"]), original)
    back = tfa.set_weights(tfa.build(PAIRS[pair]["tf"]), tha.get_weights(torch_model))
    assert weights_equal(tfa.get_weights(back), original)


@pytest.mark.parametrize("pair", PAIRS)
def test_predictions_agree_on_the_full_test_set(pair, mnist):
    from tfpt.data.datasets import as_float
    keras_model, torch_model = shared_pair(pair)
    x = as_float(mnist.x_test)
    np.testing.assert_array_equal(adapter("tf").predict(keras_model, x).argmax(1),
                                  adapter("torch").predict(torch_model, x).argmax(1))
