"""Parametrize axes over the Keras backends the registry lists (tfpt.frameworks.registry), each skipped with its
reason where its backend is not installed. The JAX worker compiles every new op on first use (≈ 45 s for the whole
layer sweep against ≈ 5 s on torch), so its cases beyond QUICK_ON_JAX run under `slow`."""
import pytest

from tfpt import frameworks

QUICK_ON_JAX = {"conv2d-transpose-same-s2", "avgpool-same-s2", "batchnorm-training", "gelu-tanh",
                "multi-head-attention", "spec"}


def backend_params(ids):
    """[(id, framework id)] as params with ids like `conv2d-valid-keras-torch`."""
    out = []
    for fw in frameworks.keras_backends():
        for case in ids:
            marks = [] if frameworks.installed(fw.id) else [pytest.mark.skip(reason=frameworks.missing_reason(fw.id))]
            if fw.keras_backend == "jax" and case not in QUICK_ON_JAX:
                marks.append(pytest.mark.slow)
            out.append(pytest.param(case, fw.id, id=f"{case}-{fw.id}", marks=marks))
    return out


def skip_unless_tf():
    if not frameworks.installed("tf"):
        pytest.skip(frameworks.missing_reason("tf"))
