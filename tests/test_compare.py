"""The comparator and tolerance table on known inputs, including the defects it must catch."""
import numpy as np
import pytest

from tfpt.compare import assert_close, compare
from tfpt.tolerances import TOLERANCES, Tol, tol

T = Tol(atol=1e-5, rtol=1e-5)


def layers(**over):
    base = {"a": np.zeros((2, 3), np.float32), "b": np.ones((2, 3), np.float32), "c": np.full((2,), 2.0, np.float32)}
    base.update(over)
    return base


def test_equal_inputs_pass_with_zero_error():
    assert compare(layers(), layers(), T).ok and compare(layers(), layers(), T).max_abs == 0


def test_names_first_divergent_layer_with_errors():
    bad_b = np.ones((2, 3), np.float32)
    bad_b[1, 2] = 1.5
    bad_c = np.full((2,), 9.0, np.float32)
    with pytest.raises(AssertionError, match=r"first divergent layer: b: max \|Δ\| 0.5 .*max relative 0.5 "
                                             r".*at index \(1, 2\); agreeing before it: a"):
        assert_close(layers(), layers(b=bad_b, c=bad_c), T)


def test_structure_checked_before_values():
    assert "names differ" in compare(layers(), {"a": layers()["a"]}, T).message()
    assert "shape (3, 2)" in compare(layers(), layers(a=np.zeros((3, 2), np.float32)), T).message()
    assert "dtype float64" in compare(layers(), layers(a=np.zeros((2, 3))), T).message()


def test_nan_aware():
    nan = np.array([np.nan, 1.0], np.float32)
    assert compare({"x": nan}, {"x": nan.copy()}, T).ok
    assert not compare({"x": nan}, {"x": np.array([0.0, 1.0], np.float32)}, T).ok


def test_tolerance_boundary():
    expected = {"x": np.array([1.0], np.float64)}
    assert compare(expected, {"x": np.array([1.0 + 1.9e-5])}, T).ok
    assert not compare(expected, {"x": np.array([1.0 + 2.1e-5])}, T).ok


def test_every_tolerance_is_justified_and_overridable():
    assert all(t.why for table in TOLERANCES.values() for t in table.values())
    assert tol("forward", atol=1.0).atol == 1.0 and tol("forward").rtol == TOLERANCES["float32"]["forward"].rtol
    with pytest.raises(KeyError, match="no tolerance for 'nope'"):
        tol("nope")
