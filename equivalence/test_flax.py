"""Flax NNX's spec CNN against Keras', from Keras' weights (Flax's layout is Keras': nothing transposed): every
layer's output, the loss's gradients and one Adam step at the study's settings, each with a negative control that
fails, and its jax.export artifact reloaded by the deployer. Flax runs in its worker process (tfpt.frameworks.flax):
arrays go in, arrays come back."""
import pytest

from tfpt import frameworks
from tfpt.arrays import flat
from tfpt.compare import compare
from tfpt.settings import STUDY
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.skipif(not frameworks.installed("flax"),
                                                 reason=frameworks.missing_reason("flax"))]


@pytest.fixture(scope="module")
def keras_side(mnist, mnist_batch):
    """Keras' spec CNN (seed 0), its weights, and a real batch with its labels."""
    from tfpt.frameworks.keras import cnn
    model = cnn.build(seed=0)
    return model, flat(cnn.get_weights(model)), mnist_batch, mnist.y_test[:len(mnist_batch)]


@pytest.fixture(scope="module")
def flax():
    from tfpt.frameworks.flax import worker
    return worker()


def _hw_swapped(weights, name):
    """A conversion defect: one conv kernel with its two spatial axes swapped (HWIO read as WHIO)."""
    return {**weights, name: weights[name].transpose(1, 0, 2, 3)}


@pytest.mark.parametrize("defect", [None, "conv1.kernel"])
def test_every_layer_matches_keras(keras_side, flax, defect):
    from tfpt.frameworks.keras import cnn
    model, weights, x, _ = keras_side
    sent = weights if defect is None else _hw_swapped(weights, defect)
    r = compare(cnn.layer_outputs(model, x), flax.request("forward", sent, x), tol("forward"))
    assert r.ok is (defect is None), r.message()
    assert defect is None or r.first_divergent.name == "conv1", r.message()


@pytest.mark.parametrize("defect", [None, "conv2.kernel"])
def test_gradients_match_keras(keras_side, flax, defect):
    from tfpt.frameworks.keras.steps import loss_and_grads as keras_loss_and_grads
    model, weights, x, y = keras_side
    loss, grads = keras_loss_and_grads(model, x, y)
    got = flax.request("grads", weights if defect is None else _hw_swapped(weights, defect), x, y)
    flax_loss = float(got.pop("loss"))
    assert defect or abs(flax_loss - loss) <= 1e-5 * abs(loss), (flax_loss, loss)
    r = compare(grads, got, tol("gradient"))
    assert r.ok is (defect is None), r.message("gradient")


# Keras' Adam; the negative controls: a wrong epsilon, and optax.adam's own placement (epsilon 1e-8 added after the
# bias correction, torch's: 9.9 % of conv1's kernel beyond the bound after one step, measured)
@pytest.mark.parametrize("adam, same", [(STUDY.keras_adam, True), (STUDY.changed(epsilon=1e-3).keras_adam, False),
                                        (STUDY.torch_adam, False)], ids=["keras", "epsilon-1e-3", "optax-default"])
def test_one_adam_step_matches_keras(keras_side, flax, adam, same):
    from tfpt.frameworks.keras import cnn
    from tfpt.frameworks.keras.steps import steps as keras_steps
    from tfpt.frameworks.keras.train import make_optimizer
    model, weights, x, y = keras_side
    twin = cnn.set_weights(cnn.build(seed=0), cnn.get_weights(model))
    after = keras_steps(twin, make_optimizer(STUDY), [(x, y)])
    r = compare(after, flax.request("step", weights, x, y, adam=adam), tol("adam_matched"))
    assert r.ok is same, r.message("weight")


def test_the_study_model_as_written_matches_keras(keras_side, flax):
    """The study's softmax-headed CNN, written out in nnx, gives Keras' probabilities from Keras' weights."""
    from tfpt.frameworks.keras import cnn
    from tfpt.spec import STUDY_KERAS
    _, _, x, _ = keras_side
    study = cnn.build(STUDY_KERAS, seed=0)
    got = flax.request("forward", flat(cnn.get_weights(study)), x, pair="study")
    r = compare({"dense2": cnn.predict(study, x)}, got, tol("probabilities"))
    assert r.ok, r.message()


def test_the_jax_export_reloads_in_a_fresh_process_and_matches_keras(keras_side, flax, tmp_path):
    """The spec CNN from Keras' weights, exported by the Flax worker (jax.export, symbolic batch) and reloaded by the
    deployer's own code path in a process that imports jax alone, gives Keras' outputs at batch 1 and 7. Negative
    controls: an export of a planted conv1 defect fails the comparison; a truncated artifact is one error line,
    exit 3."""
    import json
    import subprocess
    import sys

    import numpy as np

    from tfpt.cli.exitcodes import BAD_INPUT
    from tfpt.frameworks.formats import table
    from tfpt.frameworks.keras import cnn
    from tfpt.procs import child_env
    for module in table()["jax-export"].needs:
        pytest.importorskip(module, reason=f"{module} is not installed: jax.export cannot serialize")
    model, weights, x, _ = keras_side
    x = x[:7]
    good = flax.export(weights, "jax-export", tmp_path / "good", x)
    planted = flax.export(_hw_swapped(weights, "conv1.kernel"), "jax-export", tmp_path / "planted", x)
    (tmp_path / "truncated").write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    np.save(tmp_path / "in.npy", x)
    jobs = [["jax-export", str(a), str(tmp_path / "in.npy"), str(tmp_path / f"{i}.npz"), "1,7"]
            for i, a in enumerate((good, planted, tmp_path / "truncated"))]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run([sys.executable, "-m", "tfpt.testing.deploy_many", str(tmp_path / "jobs.json")],
                          capture_output=True, text=True, timeout=300, env=child_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    (same, differs, broken), expected = doc["results"], cnn.predict(model, x)
    assert doc["loaded"] == [table()["jax-export"].runtime] and same["code"] == differs["code"] == 0, doc
    for i, ok in ((0, True), (1, False)):
        got = np.load(tmp_path / f"{i}.npz")
        r = compare({f"b{n}": expected[:n] for n in (1, 7)}, {f"b{n}": got[f"b{n}"] for n in (1, 7)}, tol("forward"))
        assert r.ok is ok, r.message()
    said = broken["stderr"].strip().splitlines()
    assert broken["code"] == BAD_INPUT and len(said) == 1 and said[0].startswith("error: artifact "), broken
