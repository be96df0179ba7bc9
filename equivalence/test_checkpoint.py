"""Weights saved by one framework in its own format, loaded into the other through the converters, give the
same outputs as the model that saved them (the registered study pairs, through the generic pair path)."""
import dataclasses

import pytest

from tfpt.checks import pairs as P
from tfpt.pair import get

pytestmark = [pytest.mark.tf, pytest.mark.torch]
PAIRS = ["spec", "study"]


@pytest.mark.parametrize("pair", PAIRS)
def test_keras_weights_file_into_torch(pair, tmp_path, mnist_batch):
    saved = P.build(get(pair), seed=0)
    path = tmp_path / "model.weights.h5"
    saved.keras_model.save_weights(str(path))
    reloaded = P.build(get(pair), seed=1)  # another seed: only the file makes the two agree
    reloaded.keras_model.load_weights(str(path))
    P.to_torch(reloaded)
    P.assert_forward_equal(dataclasses.replace(reloaded, keras_model=saved.keras_model), mnist_batch)


@pytest.mark.parametrize("pair", PAIRS)
def test_torch_state_dict_into_keras(pair, tmp_path, mnist_batch):
    import torch
    saved = P.build(get(pair), seed=0)
    torch.save(saved.torch_model.state_dict(), tmp_path / "model.pt")
    reloaded = P.build(get(pair), seed=1)
    reloaded.torch_model.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    P.to_keras(reloaded)
    P.assert_forward_equal(dataclasses.replace(reloaded, torch_model=saved.torch_model), mnist_batch)


def test_a_different_seed_does_not_agree(mnist_batch):
    """Control: without the file, the other seed's model differs (so the checks above can fail)."""
    a, b = P.build(get("spec"), seed=0), P.build(get("spec"), seed=1)
    P.to_torch(b)
    assert not P.compare_forward(dataclasses.replace(b, keras_model=a.keras_model), mnist_batch).ok
