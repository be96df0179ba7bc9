"""Proofs of the differences table's classifications, on real MNIST test images (models.differences)."""
import numpy as np
import pytest

from models.differences import DIFFERENCES
from tfpt.arrays import softmax
from tfpt.checks import pairs as P
from tfpt.compare import assert_close
from tfpt.frameworks import get as framework
from tfpt.pair import get
from tfpt.spec import MODELS, model_spec
from tfpt.tolerances import tol


def cnn(fw: str):
    """The study's CNN builders of framework `fw` (its record's "cnn" module)."""
    return framework(fw).module("cnn")


PROOFS = {}


def proves(ident):
    def mark(fn):
        PROOFS[ident] = fn.__name__
        return fn
    return mark


@pytest.fixture
def study_pair():
    """The study's two models with the Keras model's weights copied into the PyTorch one (the converters)."""
    pm = P.shared(get("study"), "tf->torch")
    return pm.keras_model, pm.torch_model


@proves("extra_relu")
@pytest.mark.torch
def test_extra_relu_changes_nothing(mnist_batch):
    outs = cnn("torch").layer_outputs(cnn("torch").build(model_spec("study", "torch")), mnist_batch)
    assert outs["pool2"].min() >= 0
    np.testing.assert_array_equal(outs["relu_extra"], outs["pool2"])


@proves("softmax_head")
@pytest.mark.tf
@pytest.mark.torch
def test_softmax_of_torch_logits_is_the_keras_output(study_pair, mnist_batch):
    keras_model, torch_model = study_pair
    probs = cnn("tf").predict(keras_model, mnist_batch)
    logits = cnn("torch").predict(torch_model, mnist_batch)
    assert_close({"dense2": probs}, {"dense2": softmax(logits)}, tol("probabilities"))
    np.testing.assert_array_equal(probs.argmax(1), logits.argmax(1))


@proves("flatten_order")
@pytest.mark.tf
@pytest.mark.torch
def test_flatten_outputs_are_a_permutation(study_pair, mnist_batch):
    """Raw (untransposed) flatten outputs hold the same values per image, in another order."""
    import torch
    keras_model, torch_model = study_pair
    flat_keras = cnn("tf").layer_outputs(keras_model, mnist_batch)["flatten"]
    taps = cnn("torch").raw_taps(torch_model, torch.from_numpy(mnist_batch.transpose(0, 3, 1, 2).copy()))
    flat_torch = taps["flatten"].detach().numpy()
    np.testing.assert_allclose(np.sort(flat_keras, 1), np.sort(flat_torch, 1), atol=tol("forward").atol)
    assert np.abs(flat_keras - flat_torch).max() > 0.1  # the orders really differ


def initial_conv1(fw, pair):
    """(kernel, bias) of conv1 as `fw` initializes its model of `pair`."""
    return cnn(fw).get_weights(cnn(fw).build(model_spec(pair, fw)))["conv1"]


@proves("kernel_init")
@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("pair", MODELS)
def test_initial_kernels_follow_different_bounds(pair):
    keras_w, torch_w = initial_conv1("tf", pair)[0], initial_conv1("torch", pair)[0]
    glorot, kaiming = np.sqrt(6 / (25 * 1 + 25 * 32)), 1 / np.sqrt(25 * 1)
    assert np.abs(keras_w).max() <= glorot < np.abs(torch_w).max() <= kaiming


@proves("bias_init")
@pytest.mark.tf
@pytest.mark.torch
def test_initial_biases_differ():
    keras_b, torch_b = initial_conv1("tf", "spec")[1], initial_conv1("torch", "spec")[1]
    assert not keras_b.any() and np.count_nonzero(torch_b) == torch_b.size


@proves("adam_epsilon")
@pytest.mark.tf
@pytest.mark.torch
def test_adam_default_epsilons_differ():
    from tfpt.checks.defaults import defaults_table
    table = defaults_table()
    assert table["tf"]["adam.epsilon"] == 1e-7 and table["torch"]["adam.epsilon"] == 1e-8


@proves("shuffle_rng")
@pytest.mark.tf
@pytest.mark.torch
def test_native_shuffles_differ():
    from tfpt import frameworks
    tf_order, torch_order = frameworks.get("tf").part("order"), frameworks.get("torch").part("order")
    assert not np.array_equal(tf_order.first_batch(seed=0), torch_order.first_batch(seed=0))


def test_every_difference_has_a_proof():
    assert {d.id for d in DIFFERENCES} == set(PROOFS)
    assert all(d.effect in ("inert", "material") and d.why for d in DIFFERENCES)
