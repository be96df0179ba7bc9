"""Each framework computes the same forward pass on every device it has (GPU vs CPU, TF32 off)."""
import numpy as np
import pytest

from fixtures.params import fw_device_params
from tfpt import frameworks
from tfpt.compare import assert_close
from tfpt.spec import CNN
from tfpt.tolerances import tol


@pytest.mark.parametrize("fw, device", fw_device_params())
def test_forward_on_device_matches_cpu(fw, device, mnist_batch, measurements):
    fwa = frameworks.get(fw).module("cnn")
    model = fwa.build(CNN)
    reference = fwa.layer_outputs(model, mnist_batch)
    outputs = fwa.layer_outputs_on(model, mnist_batch, device)
    if device == "cpu":  # the CPU case runs the same path on the same kernels: it must be bit-identical
        for name in reference:
            np.testing.assert_array_equal(outputs[name], reference[name], err_msg=f"{fw} cpu {name}")
    else:
        result = assert_close(reference, outputs, tol("device"))
        measurements[f"device {fw}-{device} vs cpu max |Δ|"] = result.max_abs
        assert np.isfinite(result.max_abs)
