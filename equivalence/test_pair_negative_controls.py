"""Negative controls of the generic checks on whole pairs: each known defect must fail the check that exists to
catch it, and the message must name the layer."""
import dataclasses

import pytest

import models.pairs as pairs
from tfpt.checks import pairs as P
from tfpt.compare import compare
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def bn_cnn_with_torch_default_epsilon():
    nn = pairs._torch().nn
    model = pairs.bn_cnn_torch()
    model[1] = nn.BatchNorm2d(16, momentum=0.01)  # PyTorch's default epsilon 1e-5; Keras' is 1e-3
    return model


def test_batchnorm_epsilon_mismatch_is_named():
    pair = dataclasses.replace(pairs.BN_CNN, name="bn-cnn-eps", torch=bn_cnn_with_torch_default_epsilon)
    pm = P.shared(pair)
    diffs = [(layer, d.field) for layer, d in P.config_differences(pm) if d.material]
    assert diffs == [("bn1", "epsilon")]
    result = P.compare_forward(pm, pair.input.batch(16))
    assert not result.ok and result.first_divergent.name == "bn1", result.message()


def test_unfrozen_second_lstm_bias_trains_differently():
    """PyTorch's LSTM has two biases; left trainable, the effective bias learns at twice Keras' rate."""
    pair = dataclasses.replace(pairs.TEXT_LSTM, name="text-lstm-two-biases",
                               torch=lambda: pairs._text_torch("lstm", keras_bias=False))
    pm = P.shared(pair)
    x, y = pair.input.batch(40), P.labels(pair, 40, 0)
    keras_after, torch_after = P.sgd_steps(pm, [(x[i:i + 8], y[i:i + 8]) for i in range(0, 40, 8)])
    result = compare(keras_after, torch_after, tol("sgd_steps"))
    diverged = {r.name for r in result.rows if not r.ok}
    assert "rnn.bias" in diverged and "embed.embeddings" not in diverged, result.message("weight")


@pytest.mark.exports  # exports and deploys a whole pair: the default run
def test_export_check_fails_when_an_exporter_ships_other_weights(monkeypatch, tmp_path):
    """The batched deploy check (one deployer process per framework) against a known defect: PyTorch's exporter
    given a model whose first weight is 5 % off. Its outputs must fail the export tolerance; a TF format, exported
    correctly in the same batch, must still pass."""
    import numpy as np

    from tfpt import exports, frameworks
    from tfpt.testing import sessions as S
    torch_export = frameworks.get("torch").part("export")
    real = torch_export.export

    def wrong(model, fmt, folder, example):
        import copy

        import torch
        off = copy.deepcopy(model)
        with torch.no_grad():
            next(off.parameters()).mul_(1.05)
        return real(off, fmt, folder, example)

    monkeypatch.setattr(torch_export, "export", wrong)
    done = S.deployed.__wrapped__(pairs.SPEC, str(tmp_path))  # not the session's cached (correct) batch
    pm = S.models(pairs.SPEC)
    for fmt, model, fails in (("torchscript", pm.torch_model, True), ("keras", pm.keras_model, False)):
        fw = exports.framework_of(fmt)
        _, x, result, _, out = done[fmt]
        assert result["code"] == 0, result["stderr"][-2000:]
        expected = frameworks.get(fw).module("adapter").predict(model, x)
        ok = compare({"b7": expected}, {"b7": np.load(out)["b7"]}, tol("export")).ok
        assert ok != fails, f"{fmt}: the export check {'passed' if ok else 'failed'}"


def spec_torch_with_log_softmax():
    """The spec CNN's PyTorch model with F.log_softmax after its logits (as pytorch/examples' MNIST Net ends)."""
    torch = pairs._torch()

    class LogSoftmaxed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = pairs.spec_torch()

        def forward(self, x):
            return torch.nn.functional.log_softmax(self.net(x), dim=-1)
    return LogSoftmaxed()


def test_a_head_after_the_last_compared_layer_fails_the_model_output_check():
    """Both sides declare logits; PyTorch's ends in log_softmax. Every compared layer agrees (the extra step is
    parameter-free on one side), the models' own outputs must not."""
    from tfpt.compare import assert_close
    pair = dataclasses.replace(pairs.SPEC, name="spec-log-softmax", torch=spec_torch_with_log_softmax)
    pm, x = P.shared(pair), pair.input.batch(16)
    assert P.compare_forward(pm, x).ok
    k, t = P.model_outputs(pm, x)
    with pytest.raises(AssertionError, match="model output"):
        assert_close({"output": k}, {"output": t}, tol("forward"), what="model output")
    k, t = P.model_outputs(P.shared(pairs.SPEC), x)  # the control's own control: the pair as registered agrees
    assert compare({"output": k}, {"output": t}, tol("forward")).ok
