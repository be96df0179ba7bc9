"""Weights saved by one framework in its own format, loaded into the other through the converter, give the
same outputs as the model that saved them."""
import pytest

from tfpt.adapters.study import PAIRS, adapter
from tfpt.checks.pairing import assert_forward_equal

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.parametrize("pair", PAIRS)
def test_keras_weights_file_into_torch(pair, tmp_path, mnist_batch):
    tfa, tha = adapter("tf"), adapter("torch")
    saved = tfa.build(PAIRS[pair]["tf"])
    path = tmp_path / "model.weights.h5"
    saved.save_weights(str(path))
    reloaded = tfa.build(PAIRS[pair]["tf"])
    reloaded.load_weights(str(path))
    torch_model = tha.set_weights(tha.build(PAIRS[pair]["torch"]), tfa.get_weights(reloaded))
    assert_forward_equal(saved, torch_model, mnist_batch)


@pytest.mark.parametrize("pair", PAIRS)
def test_torch_state_dict_into_keras(pair, tmp_path, mnist_batch):
    import torch
    tfa, tha = adapter("tf"), adapter("torch")
    saved = tha.build(PAIRS[pair]["torch"])
    torch.save(saved.state_dict(), tmp_path / "model.pt")
    reloaded = tha.build(PAIRS[pair]["torch"])
    reloaded.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    keras_model = tfa.set_weights(tfa.build(PAIRS[pair]["tf"]), tha.get_weights(reloaded))
    assert_forward_equal(keras_model, saved, mnist_batch)
