"""Negative controls: known defects make the forward comparison fail at the right layer."""
import pytest

from equivalence import defects
from tfpt.adapters.study import adapter
from tfpt.checks.pairing import compare_forward, shared_pair

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.parametrize("defect, first_bad", [
    (defects.forgets_flatten_permutation, "dense1"),
    (defects.transposes_conv1_wrong, "conv1"),
], ids=["flatten-permutation-forgotten", "conv-kernel-transposed"])
def test_defective_transfer_is_caught_at_its_layer(defect, first_bad, mnist_batch):
    keras_model, torch_model = shared_pair("spec", transfer=defect)
    result = compare_forward(keras_model, torch_model, mnist_batch)
    assert not result.ok
    assert result.first_divergent.name == first_bad
    assert f"first divergent layer: {first_bad}: max |Δ|" in result.message()


def test_missing_relu_on_one_side_is_caught_at_its_layer(mnist_batch):
    tfa, tha = adapter("tf"), adapter("torch")
    keras_model = tfa.build(defects.CNN)
    torch_model = tha.set_weights(tha.build(defects.CNN_WITHOUT_CONV2_RELU), tfa.get_weights(keras_model))
    result = compare_forward(keras_model, torch_model, mnist_batch)
    assert [r.name for r in result.rows if not r.ok][:1] == ["conv2"]
    assert result.rows[0].ok  # conv1 still agrees: the failure is placed, not smeared
