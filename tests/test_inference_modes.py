"""The tuned inference path computes what the as-written one does: same model, same weights, outputs within the
forward tolerance (the benchmarks time both; a faster path that changed the math would be worthless)."""
import numpy as np
import pytest

from tfpt import frameworks
from tfpt.compare import assert_close
from tfpt.tolerances import tol

FRAMEWORKS = [pytest.param("tf", marks=pytest.mark.tf), pytest.param("torch", marks=pytest.mark.torch)]


def _outputs(fw, mnist, mode, options=None, batch=7):
    return np.asarray(frameworks.get(fw).part("bench").infer(mnist, "cpu", 3, batch, mode, options)())


@pytest.mark.parametrize("batch", [1, 7])  # TensorFlow's tuned call compiles with XLA at batch 1 only
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_tuned_inference_matches_as_written(fw, batch, mnist, measurements):
    plain, tuned = _outputs(fw, mnist, "as-written", batch=batch), _outputs(fw, mnist, "tuned", batch=batch)
    result = assert_close({"output": plain}, {"output": tuned}, tol("forward"), what="tuned inference")
    measurements[f"tuned inference {fw} batch {batch} max |Δ|"] = result.max_abs


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_tuned_inference_check_catches_other_weights(fw, mnist):
    """Negative control: a model built from another seed is far outside the tolerance."""
    plain = _outputs(fw, mnist, "as-written")
    other = np.asarray(frameworks.get(fw).part("bench").infer(mnist, "cpu", 4, 7, "tuned")())
    assert np.abs(plain - other).max() > 100 * tol("forward").atol
