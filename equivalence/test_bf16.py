"""bfloat16 mixed precision, the dtype axis beside float32: Keras' mixed_bfloat16 policy and torch.autocast(bf16)
compute the spec CNN's logits from one set of float32 weights; the two agree within the table's bfloat16 entry.
Each framework's bf16 logits against its own float32 ones are recorded beside (the size of bf16 rounding)."""
import numpy as np
import pytest

from tfpt.compare import assert_close, compare
from tfpt.frameworks.registry import TF, TORCH
from tfpt.spec import CNN
from tfpt.tolerances import tol

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def logits(mnist_batch, seed=0, perturb=0.0):
    """{framework: {precision: logits}} from one seeded set of weights (optionally perturbed on PyTorch's side)."""
    import torch
    tfa, pta = TF.module("cnn"), TORCH.module("cnn")
    with tfa.precision("bfloat16"):
        k16 = tfa.build(CNN, seed)
    k32, tm = tfa.build(CNN, seed), pta.build(CNN, seed)
    weights = tfa.get_weights(k32)
    tfa.set_weights(k16, weights)
    pta.set_weights(tm, {n: (w[0] * (1 + perturb), *w[1:]) if n == "dense2" else w for n, w in weights.items()})
    x = mnist_batch[:256]
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    with torch.no_grad():
        t32 = tm(xt).numpy()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            t16 = tm(xt).float().numpy()
    as32 = lambda m: np.asarray(m(x, training=False), np.float32)  # noqa: E731
    return {TF.id: {"float32": as32(k32), "bfloat16": as32(k16)}, TORCH.id: {"float32": t32, "bfloat16": t16}}


def test_bf16_logits_agree_between_frameworks(mnist_batch, measurements):
    out = logits(mnist_batch)
    result = assert_close({"logits": out[TF.id]["bfloat16"]}, {"logits": out[TORCH.id]["bfloat16"]},
                          tol("forward", "bfloat16"), what="bf16 output")
    measurements["bf16 forward max |Δ| tf vs torch"] = result.max_abs
    for fw in (TF.id, TORCH.id):
        measurements[f"bf16 vs float32 max |Δ| {fw}"] = float(np.abs(out[fw]["bfloat16"] - out[fw]["float32"]).max())
    assert result.max_abs > 0  # really computed in bf16 (float32 paths agree to 1e-6, see the float32 entry)


def test_bf16_check_catches_a_5_percent_weight_error(mnist_batch):
    out = logits(mnist_batch, perturb=0.05)
    assert not compare({"logits": out[TF.id]["bfloat16"]}, {"logits": out[TORCH.id]["bfloat16"]},
                       tol("forward", "bfloat16")).ok
