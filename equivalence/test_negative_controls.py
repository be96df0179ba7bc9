"""Negative controls: known defects make the generic forward comparison fail at the right layer: a defective
converter registered for the test, or a pair whose PyTorch model lost a ReLU."""
import dataclasses

import pytest

import models.pairs as pairs
from equivalence import defects
from tfpt.checks import pairs as P

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.parametrize("defect, first_bad", [
    (defects.ForgetsFlattenPermutation, "dense1"),
    (defects.TransposesConv1Wrong, "conv1"),
], ids=["flatten-permutation-forgotten", "conv-kernel-transposed"])
def test_defective_converter_is_caught_at_its_layer(defect, first_bad, mnist_batch):
    with defects.installed(defect()):
        pm = P.shared(pairs.SPEC, "tf->torch")
    result = P.compare_forward(pm, mnist_batch)
    assert not result.ok
    assert result.first_divergent.name == first_bad
    assert f"first divergent layer: {first_bad}: max |Δ|" in result.message()


def test_missing_relu_on_one_side_is_caught_at_its_layer(mnist_batch):
    """The matcher compares only outputs both models expose: Keras' conv2 (ReLU fused) has no PyTorch
    counterpart once the ReLU is gone, so the failure shows at pool2, the first compared point after it."""
    pair = dataclasses.replace(pairs.SPEC, name="spec-torch-without-conv2-relu",
                               torch=defects.torch_without_conv2_relu)
    result = P.compare_forward(P.shared(pair, "tf->torch"), mnist_batch)
    names = [r.name for r in result.rows]
    assert "conv2" not in names and [r.name for r in result.rows if not r.ok][:1] == ["pool2"]
    assert all(r.ok for r in result.rows[:names.index("pool2")])  # conv1, pool1 agree: placed, not smeared
