"""Each framework computes the same forward pass on every device it has (GPU vs CPU, TF32 off)."""
import numpy as np
import pytest

from fixtures.params import fw_device_params
from tfpt.adapters import devices
from tfpt.adapters.study import adapter
from tfpt.compare import assert_close
from tfpt.study.spec import CNN, input_shape_of
from tfpt.tolerances import tol


@pytest.mark.parametrize("fw, device", fw_device_params())
def test_forward_on_device_matches_cpu(fw, device, mnist_batch, measurements):
    fwa = adapter(fw)
    model = fwa.build(CNN)
    reference = fwa.layer_outputs(model, mnist_batch)
    if fw == "torch":
        import torch
        with torch.no_grad():
            on_device = model.to(devices.torch_device(device))
            x = torch.from_numpy(mnist_batch.transpose(0, 3, 1, 2).copy()).to(devices.torch_device(device))
            taps = fwa.module.raw_taps(on_device.eval(), x)
        outputs = {n: fwa.module.to_channels_last(CNN.layer(n).kind, t,
                                                  input_shape_of(CNN, n) if n == "flatten" else None)
                   for n, t in taps.items()}
    else:
        with fwa.module.tf.device(devices.tf_device(device)):
            outputs = fwa.layer_outputs(model, mnist_batch)
    if device == "cpu":  # the CPU case runs the same path on the same kernels: it must be bit-identical
        for name in reference:
            np.testing.assert_array_equal(outputs[name], reference[name], err_msg=f"{fw} cpu {name}")
    else:
        result = assert_close(reference, outputs, tol("device"))
        measurements[f"device {fw}-{device} vs cpu max |Δ|"] = result.max_abs
        assert np.isfinite(result.max_abs)
