"""The shared numpy helpers (tfpt.arrays): softmax, flattened weights, relative errors at a zero norm."""
from __future__ import annotations

import numpy as np
import pytest

from tfpt.arrays import flat, relative_errors, softmax


def test_softmax_sums_to_one_in_the_input_dtype_and_survives_large_logits():
    z = np.array([[1000.0, 1000.0, 0.0], [0.0, np.log(3.0), 0.0]], np.float32)
    p = softmax(z)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]], atol=1e-7)


def test_flat_reads_both_weight_forms_in_order():
    k, b = np.ones((2, 3)), np.zeros(3)
    by_name = flat({"d1": {"kernel": k, "bias": b}, "d2": {"gamma": b}})
    assert list(by_name) == ["d1.kernel", "d1.bias", "d2.gamma"]
    assert list(flat({"d1": (k, b)})) == ["d1.kernel", "d1.bias"]
    with pytest.raises(ValueError, match="zip"):
        flat({"d1": (k,)})  # a (kernel, bias) pair missing its bias is an error, not a silent drop


def test_relative_errors_at_a_zero_norm():
    zero, g = np.zeros(4, np.float32), np.full(4, 0.5, np.float32)
    errors = relative_errors({"same": g, "both zero": zero, "zero expected": zero},
                             {"same": g * 1.01, "both zero": zero, "zero expected": g})
    assert errors["same"] == pytest.approx(0.01) and errors["both zero"] == 0.0
    assert errors["zero expected"] == pytest.approx(1.0)  # ||a|| where ||e|| is 0: finite, and not 0
