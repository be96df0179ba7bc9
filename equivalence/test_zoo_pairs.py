"""The zoo pairs (models/zoo.py): keras.applications ResNet50 and MobileNetV2 beside torchvision's, random
weights, 32x32. With torchvision's models moved to Keras' settings every compared output and the models' own
outputs agree (17-21 s each on 2 cores); torchvision's models as they ship have their differences named in words:
ResNet v1 vs v1.5 stride placement, conv biases, BatchNorm epsilon, MobileNetV2's asymmetric padding (4-8 s).
All `long`: in the default run, not the quick tier. The full generic checks: `pytest equivalence/test_pairs.py
--pair models.zoo:RESNET50` (or MOBILENET_V2)."""
from __future__ import annotations

import numpy as np
import pytest

from models import zoo
from tfpt import differences
from tfpt.checks import pairs as P

pytestmark = [pytest.mark.tf, pytest.mark.torch]


@pytest.mark.long
@pytest.mark.parametrize("pair", [zoo.RESNET50, zoo.MOBILENET_V2], ids=lambda p: p.name)
def test_a_zoo_pair_agrees_at_every_compared_output(pair):
    pm = P.shared(pair)
    x = pair.input.batch(8, 0)
    result = P.compare_forward(pm, x)
    assert result.ok and len(result.rows) > 150, result.message()
    k, t = P.model_outputs(pm, x)
    assert np.max(np.abs(k - t)) < 1e-4
    assert {d.field for d in differences(pair) if not d.accepted} == set()  # only momentum, accepted


@pytest.mark.long
def test_torchvision_resnet50_as_shipped_is_named_v1_5():
    found = {(d.keras_layer, d.field): d for d in differences(zoo.RESNET50_AS_PUBLISHED)}
    stride = found[("conv3_block1_1_conv", "stride")]
    assert (stride.torch_layer, stride.keras, stride.torch) == ("layer2.0.conv1", (2, 2), (1, 1))
    assert found[("conv3_block1_2_conv", "stride")].torch == (2, 2)
    assert ("conv1_conv", "use_bias") in found and found[("conv1_bn", "epsilon")].keras == pytest.approx(1.001e-5)
    assert ("conv1_conv", "padding") not in found  # ZeroPadding2D(3) + 'valid' is padding=3


@pytest.mark.long
def test_torchvision_mobilenet_v2_as_shipped_names_the_asymmetric_padding():
    found = {(d.keras_layer, d.field): d for d in differences(zoo.MOBILENET_V2_AS_PUBLISHED)}
    pad = found[("block_1_depthwise", "padding")]
    assert "asymmetric in Keras" in pad.fix and found[("bn_Conv1", "epsilon")].keras == pytest.approx(1e-3)
