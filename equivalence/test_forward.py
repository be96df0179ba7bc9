"""The study's two pairs with shared weights predict the same class for every one of the 10,000 MNIST test
images (the per-layer comparison on a batch is one of the generic checks, equivalence/test_pairs.py)."""
import numpy as np
import pytest

from tfpt.checks import pairs as P
from tfpt.data.datasets import as_float
from tfpt.frameworks import get
from tfpt.pair import get as pair_named

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.long
@pytest.mark.parametrize("name", ["spec", "study"])
def test_predictions_agree_on_the_full_test_set(name, mnist):
    pair = pair_named(name)
    pm = P.shared(pair)
    x = as_float(mnist.x_test)
    keras_classes = get("tf").module("adapter").predict(pm.keras_model, x).argmax(1)
    torch_classes = get("torch").module("adapter").predict(pm.torch_model, pair.input.to_torch_layout(x)).argmax(1)
    np.testing.assert_array_equal(keras_classes, torch_classes)
