"""Layouts in real ports: a PyTorch output is brought into Keras' channels-last layout by what it is, not by its
module's class. A channels-first LayerNorm2d, GroupNorm or layer scale keeps its input's layout; a flatten of the
model input itself keeps the C-major permutation; a converter may declare its module's output layout; a module
holding only buffers has weights as Keras counts them; a 0-d parameter copies. Each with a negative control: a
model that differs where the layout would hide it still fails. Small models, 1-2 s each."""
from __future__ import annotations

import numpy as np
import pytest

from tests.layout_pairs import keras_layer_scale, pair, torch, torch_blocks
from tfpt.checks import pairs as P
from tfpt.convert import register, unregister
from tfpt.convert.layers import ConvConverter

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def forward(p):
    return P.compare_forward(P.shared(p), p.input.batch(8, 0))


CHANNELS_FIRST = {
    "layernorm2d": (lambda L: [L.Conv2D(4, 1), L.LayerNormalization(epsilon=1e-6)],
                    lambda nn: [nn.Conv2d(3, 4, 1), torch_blocks().LayerNorm2d(4, eps=1e-6)]),
    "groupnorm": (lambda L: [L.Conv2D(4, 1), L.GroupNormalization(2, epsilon=1e-5)],
                  lambda nn: [nn.Conv2d(3, 4, 1), nn.GroupNorm(2, 4)]),
    "layerscale-cf": (lambda L: [L.Conv2D(4, 1), keras_layer_scale(0.5, 4)],
                      lambda nn: [nn.Conv2d(3, 4, 1), torch_blocks().LayerScale(4, 0.5, channels_first=True)]),
}


@pytest.mark.parametrize("case", list(CHANNELS_FIRST))
def test_a_channels_first_norm_or_scale_is_compared_in_keras_layout(case):
    result = forward(pair(case, *CHANNELS_FIRST[case]))
    assert result.ok and len(result.rows) >= 4, result.message()


def test_a_norm_over_the_wrong_axis_still_fails_when_the_shape_is_square():
    """Negative control: (N, 4, 4, 4) activations, torch's LayerNorm over W instead of C: same shape, other math."""
    result = forward(pair("ln-wrong-axis", lambda L: [L.Conv2D(4, 1), L.LayerNormalization()],
                          lambda nn: [nn.Conv2d(3, 4, 1), nn.LayerNorm(4)], shape=(4, 4, 3), width=64))
    assert not result.ok and "first divergent layer: layer_normalization" in result.message()


def test_a_flatten_of_the_input_itself_keeps_the_permutation():
    result = forward(pair("flatten-input", lambda L: [L.Flatten(), L.Dense(10)],
                          lambda nn: [nn.Flatten(), nn.Linear(192, 10)], head=False))
    assert result.ok and result.rows[0].name == "flatten", result.message()


def test_a_flatten_in_another_order_still_fails():
    """Negative control: W before H is not Keras' order, whatever the permutation."""
    class Swap(torch().nn.Module):
        def forward(self, x):
            return x.transpose(2, 3).flatten(1)
    p = pair("flatten-swapped", lambda L: [L.Flatten(), L.Dense(10)], lambda nn: [Swap(), nn.Linear(192, 10)],
             head=False)
    assert not forward(p).ok


def declared(layout):
    class MyConvConverter(ConvConverter):
        name, kind, torch_classes, torch_layout = f"myconv-{layout}", "myconv", ("MyConv",), layout
        keras_classes = ("Conv2D",)
    return MyConvConverter()


@pytest.mark.parametrize("layout, ok", [("channels_first", True), (None, False)])
def test_a_converter_declares_its_modules_output_layout(layout, ok):
    """A user's conv class no kind table knows, with (N, 4, 4, 4) outputs: only the declaration tells
    channels-first from channels-last; without it (the negative control) the check fails."""
    MyConv = type("MyConv", (torch().nn.Conv2d,), {})
    conv = register(declared(layout))
    try:
        p = pair(f"myconv-{layout}", lambda L: [L.Conv2D(4, 1, use_bias=False)],
                 lambda nn: [MyConv(3, 4, 1, bias=False), nn.Identity()], shape=(4, 4, 3), width=64)
        assert forward(p).ok is ok
    finally:
        unregister(conv)


def test_a_bad_declared_layout_is_refused():
    with pytest.raises(ValueError, match=r"torch_layout='nchw': expected one of channels_first, channels_last"):
        register(declared("nchw"))


def test_a_module_holding_only_buffers_has_weights_as_keras_counts_them():
    """BatchNorm without gamma/beta: Keras counts its moving statistics; torch's affine=False module holds them as
    buffers. Both are matched (it was 'PyTorch: none') and the statistics move."""
    p = pair("bn-no-affine", lambda L: [L.Conv2D(4, 1), L.BatchNormalization(center=False, scale=False)],
             lambda nn: [nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4, affine=False, eps=1e-3, momentum=0.01)])
    pm = P.shared(p)
    assert [(k.cls, t.cls) for k, t, _ in pm.match.params][1] == ("BatchNormalization", "BatchNorm2d")
    assert P.compare_forward(pm, p.input.batch(8, 0)).ok


def test_a_zero_dimensional_parameter_is_copied():
    from tfpt.frameworks.torch.layers import set_torch_weights, torch_record
    t = torch()
    module = t.nn.Module()
    module.scale = t.nn.Parameter(t.tensor(2.0))
    set_torch_weights(module, {"scale": np.array(3.0, np.float32)})
    assert torch_record("m", module).weights["scale"].shape == () and float(module.scale.detach()) == 3.0
