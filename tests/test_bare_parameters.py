"""A bare parameter (one a non-unit module holds and uses in a functional op, as torchvision's ConvNeXt block
computes `self.layer_scale * result`) is a unit of its own: traced as `<owner>.<parameter>` with its parameter
count, matched to Keras' LayerScale by the bare-scale converter, read and written through records()/set_weights()
and given its gradient. Small hand-written blocks, 1-3 s each."""
from __future__ import annotations

import numpy as np
import pytest

from tests.layout_pairs import keras_layer_scale, pair, torch
from tfpt.checks import pairs as P
from tfpt.frameworks import get
from tfpt.match import MatchError

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def scaled_conv(nn, op="mul"):
    """A conv then its output times (or plus) a bare (4, 1, 1) parameter, as torchvision's CNBlock holds it."""
    class ScaledConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)
            self.gamma = nn.Parameter(torch().full((4, 1, 1), 0.5))

        def forward(self, x):
            y = self.conv(x)
            return self.gamma * y if op == "mul" else y + self.gamma
    return ScaledConv()


def bare_pair(op="mul"):
    return pair(f"bare-{op}", lambda L: [L.Conv2D(4, 1), keras_layer_scale(0.5, 4)],
                lambda nn: [scaled_conv(nn, op)])


def test_a_bare_scale_parameter_is_traced_and_matched_to_keras_layer_scale():
    pm = P.shared(bare_pair())
    scale = [(k, t) for k, t, _ in pm.match.params if t.name == "0.gamma"]
    assert [(k.cls, t.cls, t.param_count) for k, t in scale] == [("LayerScale", "ScaleParameter", 4)]
    result = P.compare_forward(pm, pm.pair.input.batch(8, 0))
    assert result.ok and len(result.rows) == 4, result.message()


def test_records_and_set_weights_read_and_write_the_models_own_parameter():
    pm = P.build(bare_pair())
    torch_side = get("torch").module("adapter")
    torch_side.set_weights(pm.torch_model, {"0.gamma": {"gamma": np.arange(4, dtype=np.float32).reshape(4, 1, 1)}})
    record = torch_side.records(pm.torch_model, ["0.gamma"])["0.gamma"]
    assert record.cls == "ScaleParameter" and record.weights["gamma"].ravel().tolist() == [0, 1, 2, 3]
    assert pm.torch_model[0].gamma.detach().numpy().ravel().tolist() == [0, 1, 2, 3]


def test_a_bare_parameters_gradient_and_round_trip_agree():
    pm = P.shared(bare_pair(), "torch->tf")
    x = pm.pair.input.batch(8, 0)
    _, kg, tg = P.gradients(pm, x, P.labels(pm.pair, 8, 0))
    name = next(n for n in kg if n.startswith("layer_scale"))
    np.testing.assert_allclose(tg[name], kg[name], rtol=1e-5, atol=1e-7)
    kw, tw = P.parameters(pm)
    assert all(np.array_equal(kw[n], tw[n]) for n in kw)  # the round trip is a reshape: exact


def test_negative_control_a_moved_bare_scale_fails_at_the_layer_scale():
    pm = P.shared(bare_pair())
    with torch().no_grad():
        pm.torch_model[0].gamma[0] += 1e-3
    result = P.compare_forward(pm, pm.pair.input.batch(8, 0))
    assert not result.ok and "layer_scale" in result.message()


def test_negative_control_a_bare_parameter_no_converter_takes_is_named_unmatched():
    with pytest.raises(MatchError, match=r"0\.gamma \(Parameter\(add\), 4 params\)"):
        P.build(bare_pair("add"))
