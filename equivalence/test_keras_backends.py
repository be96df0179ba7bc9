"""Keras on torch and on JAX for every registered pair: every layer against Keras on TensorFlow (same layout, same
weights) and against native PyTorch through the converters, the first divergent layer named
(tfpt.checks.backends)."""
import pytest

from tests.keras_backend_params import backend_params, skip_unless_tf
from tfpt import frameworks
from tfpt.checks.backends import check_pair
from tfpt.pair import get, registered

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("pair, fw", backend_params([p.name for p in registered()]))
def test_keras_backend_matches_tf_and_torch(pair, fw, measurements):
    skip_unless_tf()
    r = check_pair(get(pair), fw)
    # the version table's rows for this backend (tfpt.report.tables.version_table)
    measurements[f"keras backend {fw} pair {pair} forward max |Δ|"] = {
        "vs Keras on TensorFlow": r.same_layout.max_abs, "vs PyTorch": r.vs_torch.max_abs, "versions": r.versions}
    assert r.same_layout.ok, f"{fw} vs Keras on TensorFlow ({r.versions}): {r.same_layout.message()}"
    assert r.vs_torch.ok, f"{fw} vs PyTorch ({r.versions}): {r.vs_torch.message()}"
    assert len(r.vs_torch.rows) >= 2 and len(r.same_layout.rows) >= len(r.vs_torch.rows)


def _nudged_conv2(keras_model):
    """A copy of the model whose conv2 kernel is off by 1e-3: what the backend receives in the control."""
    keras = frameworks.import_keras()
    copy = keras.models.clone_model(keras_model)
    copy.set_weights(keras_model.get_weights())
    layer = copy.get_layer("conv2")
    layer.kernel.assign(layer.kernel.numpy() + 1e-3)
    return copy


@pytest.mark.parametrize("pair, fw", backend_params(["spec"]))
def test_a_defective_weight_is_named_per_backend(pair, fw):
    """Negative control: conv2 nudged on the backend's side is the first divergent layer of both comparisons."""
    skip_unless_tf()
    r = check_pair(get(pair), fw, defect=_nudged_conv2)
    assert r.same_layout.first_divergent.name == "conv2", r.same_layout.message()
    assert r.vs_torch.first_divergent.name == "conv2", r.vs_torch.message()
