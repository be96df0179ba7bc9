"""The transformer encoder block pair (models/transformer.py): no configuration difference, and negative controls
a porter meets: PyTorch's tanh GELU is caught at the GELU step, another LayerNorm epsilon is named in words."""
from dataclasses import replace

import pytest

import tfpt
from models.transformer import TRANSFORMER, transformer_torch
from tfpt.checks import pairs as P

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def variant(name: str, change) -> tfpt.ModelPair:
    def torch_model():
        model = transformer_torch()
        change(model)
        return model
    return replace(TRANSFORMER, name=name, torch=torch_model)


def test_the_block_has_no_configuration_difference():
    assert tfpt.differences(TRANSFORMER) == []


def test_tanh_gelu_in_pytorch_is_caught_at_the_gelu_step():
    from tfpt.frameworks import import_torch
    pair = variant("transformer-tanh-gelu", lambda m: setattr(m, "gelu", import_torch().nn.GELU(approximate="tanh")))
    result = P.compare_forward(P.shared(pair), pair.input.batch(16, 0))
    assert not result.ok and result.first_divergent.name == "gelu", result.message()


def test_another_layernorm_epsilon_is_named_in_words():
    pair = variant("transformer-eps", lambda m: setattr(m.norm1, "eps", 1e-3))
    (diff,) = tfpt.differences(pair)
    assert (diff.keras_layer, diff.torch_layer, diff.what) == ("norm1", "norm1", "LayerNorm epsilon 1e-05 vs 0.001")
    assert "fix: build the torch module with eps=1e-05" in str(diff)
