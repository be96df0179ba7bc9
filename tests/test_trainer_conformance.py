"""Each framework's real training path (tfpt.frameworks.<folder>.train.train, what the comparison runs) against the
NumPy reference of the declared settings (tfpt.settings.STUDY, tfpt.training.reference): 5 steps on 160 real
MNIST training images, order shared, from shared weights. Weights after each step, loss per step, the batches
fed and the optimizer/loss the trainer built must match; a trainer run with one setting changed must be caught
with a message naming it. The tolerance tightness check of the plugin has its own negative controls here.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fixtures.params import FRAMEWORKS
from tfpt.compare import assert_close
from tfpt.settings import STUDY
from tfpt.tolerances import TOLERANCES, loose_entries, tightness_table, tol
from tfpt.training.conformance import check_trainer

STEPS = 5

# (framework, model): the spec CNN in both, and the study's two models as written.
CASES = [pytest.param("tf", "spec", marks=pytest.mark.tf, id="tf-spec"),
         pytest.param("torch", "spec", marks=pytest.mark.torch, id="torch-spec"),
         pytest.param("tf", "study", marks=pytest.mark.tf, id="tf-study-softmax-head"),
         pytest.param("torch", "study", marks=pytest.mark.torch, id="torch-study-extra-relu")]


def start(fw: str, pair: str, seed: int):
    """(spec, initial canonical weights) of `fw`'s model of `pair`, built with `seed`."""
    from tfpt.frameworks import get
    from tfpt.spec import model_spec
    spec = model_spec(pair, fw)
    cnn = get(fw).module("cnn")
    return spec, cnn.get_weights(cnn.build(spec, seed=seed))


@pytest.mark.parametrize("fw, pair", CASES)
def test_trainer_matches_reference(fw, pair, mnist, seed, measurements):
    spec, weights = start(fw, pair, seed)
    report = check_trainer(fw, mnist, weights, steps=STEPS, seed=seed % 1000, spec=spec)
    measurements[f"trainer vs reference {fw} {pair}"] = {
        "weights max |Δ| per step": [s.weights_max_abs for s in report.steps],
        "loss |Δ| per step": [abs(s.loss_trainer - s.loss_reference) for s in report.steps],
        "loss per step": [s.loss_trainer for s in report.steps]}
    assert not report.findings, f"{fw} trainer ({pair}) vs the reference of the study's settings:\n" + \
        "\n".join(report.findings)
    assert len(report.steps) == STEPS
    for s in report.steps:  # recorded per tolerance entry for the plugin's tightness check
        assert_close(s.reference, s.trainer, tol("trainer_reference"), what="parameter")
        assert_close({"loss": np.array(s.loss_reference)}, {"loss": np.array(s.loss_trainer)}, tol("trainer_loss"),
                     what="loss")


# One setting changed in the trainer's settings; the message the check must give for it.
CONTROLS = {
    "learning_rate": (dict(learning_rate=2e-3), "learning rate: trainer 0.002, settings 0.001"),
    "epsilon": (dict(epsilon=1e-5), "epsilon: trainer 1e-05, settings {eps:g}"),
    "batch_size": (dict(batch_size=16), "batch size: trainer 16, settings 32"),
    "input_scaling": (dict(input_divisor=1.0), "input scaling: step 1 inputs differ from x/255 float32"),
    "loss_form": (dict(loss_form="probabilities"), "loss form: trainer probabilities, settings logits"),
}


@pytest.mark.parametrize("setting", CONTROLS)
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_one_changed_setting_is_caught(fw, setting, mnist, seed):
    change, message = CONTROLS[setting]
    message = message.format(eps=STUDY.adam(fw).epsilon)
    _, weights = start(fw, "spec", seed)
    report = check_trainer(fw, mnist, weights, steps=2, seed=seed % 1000, trainer_settings=STUDY.changed(fw, **change))
    assert any(f.startswith(message) for f in report.findings), \
        f"expected a finding starting {message!r}; got {report.findings}"
    # and the numbers show it, not only the configuration: the loss or the weights of step 1 differ
    assert any(f.startswith(("step 1 weights differ", "step 1 loss")) for f in report.findings), report.findings


def test_loose_tolerance_is_reported():
    forward = TOLERANCES["float32"]["forward"]
    loose = {("forward", "float32"): forward.atol / 1000}
    tight = {("forward", "float32"): forward.atol / 10}
    lines = loose_entries(loose)
    assert len(lines) == 1 and "float32/forward is loose: atol 1e-05 is 1e+03x" in lines[0], lines
    assert loose_entries(tight) == []
    row = tightness_table(tight)[0]
    assert row["tolerance"] == "float32/forward" and row["ratio"] == pytest.approx(10)
    # atol 0: rtol is the bound
    gradient = TOLERANCES["float32"]["gradient"]
    assert gradient.atol == 0 and "rtol" in loose_entries({("gradient", "float32"): gradient.rtol / 1000})[0]


@pytest.mark.cli  # two whole pytest sessions in child processes
def test_loose_tolerance_fails_the_pytest_run(tmp_path):
    """A whole pytest session (its own process, frameworks hidden: none is needed) whose one assert_close passes
    with a figure 1000x below the entry's atol: the test passes, the run exits 1 with the error line."""
    (tmp_path / "test_loose.py").write_text(textwrap.dedent("""
        import numpy as np
        from tfpt.compare import assert_close
        from tfpt.tolerances import tol

        def test_passes_by_far():
            assert_close({"a": np.zeros(4, np.float32)}, {"a": np.full(4, 1e-8, np.float32)}, tol("forward"))
    """))
    env = {**os.environ, "TFPT_HIDE_FRAMEWORKS": "tf,torch"}

    def run(gate: str):
        (tmp_path / "pytest.ini").write_text(f"[pytest]\ntestpaths = .\ntfpt_tolerance_gate = {gate}\n")
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    proc = run("true")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 passed" in out and "ERROR tolerance float32/forward is loose" in out, out
    assert run("false").returncode == 0  # a project that does not ask for the gate (a user's) is not failed
