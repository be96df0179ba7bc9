"""With shared weights and one real MNIST batch, the loss and every parameter's gradient agree."""
import pytest

from tfpt.checks.pairing import shared_pair
from tfpt.adapters.steps import keras_loss_and_grads, relative_errors, torch_loss_and_grads
from tfpt.tolerances import tol
from models.adapters import PAIRS

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.parametrize("pair", PAIRS)
def test_loss_and_gradients_agree(pair, mnist, measurements):
    from tfpt.settings import STUDY
    x, y = STUDY.scale_inputs(mnist.x_train[:256]), mnist.y_train[:256]
    keras_model, torch_model = shared_pair(pair)
    k_loss, k_grads = keras_loss_and_grads(keras_model, x, y)
    t_loss, t_grads = torch_loss_and_grads(torch_model, x, y)
    rel = relative_errors(t_grads, k_grads)
    measurements[f"gradient relative error {pair}"] = {"loss_tf": k_loss, "loss_torch": t_loss, **rel}
    assert abs(k_loss - t_loss) <= tol("forward").atol + tol("forward").rtol * abs(t_loss)
    worst = max(rel, key=rel.get)
    assert rel[worst] <= tol("gradient").rtol, f"{worst}: relative error {rel[worst]:.3g}"
