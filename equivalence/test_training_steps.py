"""From identical weights on identical real MNIST batches, optimizer steps leave the weights equal.

Plain SGD must agree to the table's tolerance after 10 steps. Adam is measured with each framework's defaults
(epsilon 1e-7 'epsilon hat' vs 1e-8 after bias correction) and with matched settings (torch's eps set per step
to Keras' epsilon / sqrt(1 - beta_2^t), which is Keras' placement). The matched 10-step drift is asserted; the
default drift must fail that bound (it is the 'adam_epsilon' difference of models.differences). After 100 steps
both are recorded only: Adam's sign-like steps amplify rounding where ReLU inputs sit near 0, and both settings
drift to ~1e-2 (see tfpt.tolerances).
"""
import pytest

from tfpt.checks import pairs as P
from tfpt.compare import assert_close, compare
from tfpt.frameworks.keras.steps import steps as keras_steps
from tfpt.frameworks.torch.steps import keras_epsilon_hat, steps as torch_steps
from tfpt.pair import get
from tfpt.settings import STUDY
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def batches(mnist, n, size=STUDY.batch_size):
    x, y = STUDY.scale_inputs(mnist.x_train[:n * size]), mnist.y_train[:n * size]
    return [(x[i:i + size], y[i:i + size]) for i in range(0, n * size, size)]


def run_both(mnist, steps, optimizers, matched=False):
    """Weights after `steps` steps in each framework from one shared start: (keras, torch)."""
    keras_opt, torch_opt = optimizers
    pm = P.shared(get("spec"), "tf->torch")
    keras_model, torch_model = pm.keras_model, pm.torch_model
    k = keras_steps(keras_model, keras_opt(), batches(mnist, steps))
    t = torch_steps(torch_model, torch_opt(torch_model.parameters()), batches(mnist, steps),
                    keras_epsilon_hat(STUDY.keras_adam.epsilon, STUDY.keras_adam.beta_2) if matched else None)
    return k, t


def sgd():
    import torch

    from tfpt.frameworks.keras.cnn import keras
    return lambda: keras.optimizers.SGD(learning_rate=0.01), lambda p: torch.optim.SGD(p, lr=0.01)


def adam():
    """The study's Adam in each framework, from the one declaration of its settings."""
    from tfpt.frameworks.keras import train as keras_train
    from tfpt.frameworks.torch import train as torch_train
    return lambda: keras_train.make_optimizer(STUDY), lambda p: torch_train.make_optimizer(STUDY, p)


def test_sgd_10_steps_agree(mnist, measurements):
    k, t = run_both(mnist, 10, sgd())
    result = assert_close(k, t, tol("sgd_steps"), what="parameter")
    measurements["SGD 10 steps max |Δ| weights"] = result.max_abs


def test_adam_10_steps_matched_agree_defaults_do_not(mnist, measurements):
    matched = compare(*run_both(mnist, 10, adam(), matched=True), tol("adam_matched"))
    default = compare(*run_both(mnist, 10, adam()), tol("adam_matched"))
    measurements["Adam 10 steps max |Δ| weights"] = {"defaults": default.max_abs, "matched": matched.max_abs}
    assert matched.ok, matched.message("parameter")
    assert not default.ok, "default Adam settings unexpectedly agree: has a framework changed its epsilon?"


@pytest.mark.long
def test_adam_100_steps_drift_is_recorded(mnist, measurements):
    matched = compare(*run_both(mnist, 100, adam(), matched=True), tol("adam_matched"))
    default = compare(*run_both(mnist, 100, adam()), tol("adam_matched"))
    measurements["Adam 100 steps max |Δ| weights"] = {"defaults": default.max_abs, "matched": matched.max_abs}
    assert 0 < matched.max_abs < 0.1 and 0 < default.max_abs < 0.1  # drift, not divergence (lr 1e-3 x 100 steps)
