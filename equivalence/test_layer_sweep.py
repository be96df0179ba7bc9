"""The layer sweep: each case on every Keras backend from the same weights and inputs as Keras on TensorFlow,
within the tolerance table's "forward" entry (tfpt.checks.layer_sweep)."""
import numpy as np
import pytest

from tests.keras_backend_params import backend_params, skip_unless_tf
from tfpt import frameworks
from tfpt.checks import layer_sweep as S
from tfpt.frameworks.keras_backend import worker

CASES = {c.id: c for c in S.CASES}


@pytest.mark.parametrize("case, fw", backend_params(CASES))
def test_layer_agrees_across_backends(case, fw):
    skip_unless_tf()
    w = worker(frameworks.get(fw).keras_backend)
    result = S.run(frameworks.import_keras(), CASES[case], w)
    assert result.ok, f"{case} on {fw} ({w.versions}): {result.message('output')}"


class ShiftedWorker:
    """A defective backend: every output moved one pixel along its first spatial axis (the kind of shift
    keras-team/keras#22876 reported for Conv2DTranspose on torch), its shape unchanged."""

    def __init__(self, real):
        self.real = real

    def layer_outputs(self, model, x, training=False):
        return {k: np.roll(v, 1, axis=1) for k, v in self.real.layer_outputs(model, x, training).items()}


@pytest.mark.parametrize("case, fw", backend_params(["conv2d-transpose-same-s2"]))
def test_sweep_catches_a_one_pixel_shift(case, fw):
    """Negative control: the same case through a worker that shifts its output must fail, shapes equal."""
    skip_unless_tf()
    result = S.run(frameworks.import_keras(), CASES[case], ShiftedWorker(worker(frameworks.get(fw).keras_backend)))
    assert result.structure_error is None and not result.ok and result.max_abs > 1e-2, result.message("output")
