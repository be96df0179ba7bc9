"""Acceptance of the real ports (models/zoo_ports.py): keras.applications DenseNet121, EfficientNetB0 and
ConvNeXtTiny beside torchvision's, random weights, 32x32. As published, each pair's differences are named in
words (and nothing else); made equivalent by the builders alone, the pair matches every layer with parameters,
names no unaccepted difference, and every compared output and both models' own outputs agree under the default
forward tolerance (judged as the generic checks judge them: tfpt.checks.pairs.agree). Each test builds both
models once or twice: 15-45 s on 2 cores, so `long`. The full generic checks of each made-equivalent pair
(`pytest --pair models.zoo_ports:CONVNEXT_TINY`, 2.5-4 min each) are measured in
docs/measurements/2026-12-05-zoo-ports.md."""
from __future__ import annotations

from collections import Counter

import pytest

from models import zoo_ports as Z
from tfpt import differences
from tfpt.checks import pairs as P
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.long]


def named(pair) -> Counter:
    """{(Keras class, field, material): how many layers} of the pair's differences."""
    return Counter((d.keras_class, d.field, d.material) for d in differences(pair))


def test_densenet121_as_published_names_epsilon_and_momentum_in_all_121_batchnorms():
    found = {(d.keras_layer, d.field): d for d in differences(Z.DENSENET121_AS_PUBLISHED)}
    eps = found[("conv1_bn", "epsilon")]
    assert (eps.torch_layer, eps.keras, eps.torch) == ("features.norm0", pytest.approx(1.001e-5), 1e-5)
    assert Counter((f, d.material) for (_, f), d in found.items()) == {
        ("epsilon", True): 121, ("momentum", True): 121, ("activation", False): 1}  # softmax head, declared


def test_efficientnet_b0_as_published_names_padding_epsilon_momentum_and_preprocessing():
    found = named(Z.EFFICIENTNET_B0_AS_PUBLISHED)
    assert found == {("Conv2D", "padding", True): 1, ("DepthwiseConv2D", "padding", True): 4,
                     ("BatchNormalization", "epsilon", True): 49, ("BatchNormalization", "momentum", True): 49,
                     ("Rescaling", "preprocessing", True): 1,
                     ("Normalization", "preprocessing", False): 1,  # unadapted: mean 0, variance 1
                     ("Dense", "activation", False): 1}


def test_convnext_tiny_as_published_names_keras_imagenet_normalization_only():
    """torchvision's bare layer_scale parameters are matched to Keras' LayerScale (they were 'PyTorch: none');
    both models' LayerNorm epsilons are 1e-6 and their GELUs exact: what differs is Keras' PreStem."""
    diffs = [d for d in differences(Z.CONVNEXT_TINY_AS_PUBLISHED) if d.material]
    assert [(d.keras_class, d.field) for d in diffs] == [("Normalization", "preprocessing")]
    assert "mean=[123.675, 116.28, 103.53]" in diffs[0].what


@pytest.mark.parametrize("pair", Z.EQUIVALENT, ids=lambda p: p.name)
def test_a_made_equivalent_port_agrees_under_the_default_tolerance(pair):
    pm = P.shared(pair)
    assert not [d for d in differences(pair) if d.material and not d.accepted]
    x = pair.input.batch(Z.BATCH, 0)
    k, t = P.outputs(pm, x)
    layers = P.agree(k, t, tol("forward"), lambda: P.own_outputs(pm, x))
    assert layers.ok and len(layers.result.rows) > 100, layers.message()
    k, t = P.model_outputs(pm, x)
    whole = P.agree({"output": k}, {"output": t}, tol("forward"),
                    lambda: tuple({"output": o} for o in P.own_model_outputs(pm, x)))
    assert whole.ok, whole.message("model output")
