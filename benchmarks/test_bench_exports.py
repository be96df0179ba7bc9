"""Every export format's runtime timed like the in-memory models: latency at batch 1 and throughput at batch
1,024 of the study's CNN (untrained, seeded), each artifact loaded through the deployer's own loader
(`tfpt.deploy.load`: onnxruntime, LiteRT, SavedModel, Keras, TorchScript, ExportedProgram). The in-memory models'
figures are the `latency` and `throughput` groups; the report sets them side by side."""
import numpy as np
import pytest

from tfpt import deploy, exports
from tfpt.bench import workloads

pytestmark = pytest.mark.benchmark
QUANTITIES = {"export-latency": (workloads.LATENCY_BATCH, 200, workloads.LATENCY_SETTLE),
              "export-throughput": (workloads.THROUGHPUT_BATCH, 10, 0)}
FORMATS = [pytest.param(f, marks=getattr(pytest.mark, exports.framework_of(f))) for f in exports.FORMATS]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """One artifact per format, exported once for both quantities."""
    made = {}

    def get(fmt: str, seed: int):
        if fmt not in made:
            for module in exports.NEEDS.get(fmt, ()):
                pytest.importorskip(module, reason=f"{module} is not installed: the {fmt} runtime cannot be timed")
            fw = exports.framework_of(fmt)
            model, example = exports.build_for_export(fw, seed)
            made[fmt] = exports.export(fw, model, fmt, tmp_path_factory.mktemp(fmt), example)
        return made[fmt]
    return get


@pytest.mark.parametrize("quantity", list(QUANTITIES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_runtime(fmt, quantity, artifacts, timed, describe, mnist, seed, benchmark):
    batch, rounds, settle = QUANTITIES[quantity]
    artifact = artifacts(fmt, seed)
    run, declared = deploy.load(fmt, artifact.path, deploy.read_sidecar(artifact.path))
    x = exports.to_layout(workloads.test_batch(mnist.x_test, batch), artifact.layout)
    x = np.ascontiguousarray(x, dtype=declared.dtype)
    out = run(x)  # first call: the runtime's own set-up
    benchmark.group = quantity
    timed(lambda: run(x), rounds=rounds, warmup_rounds=2, settle=settle)
    describe(exports.framework_of(fmt), "cpu", quantity, workloads.flops("latency", batch), batch=batch,
             format=fmt, runtime=deploy.RUNTIME_OF[fmt], size_bytes=artifact.size_bytes)
    assert np.asarray(out).shape == (batch, 10) and np.isfinite(out).all()
