"""Several named inputs (tfpt.pair.Inputs: a dict to Keras, keyword arguments to PyTorch) and several named outputs
(ModelPair.outputs), on a small pair needing no extra: a 2-input Keras functional model with two outputs against a
torch module taking two keyword tensors and returning a dict."""
import numpy as np
import pytest

from tfpt import InputSpec, ModelPair
from tfpt.pair import Batch, Inputs, PairError

pytestmark = [pytest.mark.tf, pytest.mark.torch]
INPUTS = Inputs({"ids": InputSpec((6,), "int32", 0, 20, torch_layout="same"),
                 "extra": InputSpec((3,), "float32", -1.0, 1.0, torch_layout="same")},
                torch_names={"ids": "tokens", "extra": "features"})


def keras_two():
    from tfpt.frameworks import import_keras as keras
    k = keras()
    ids, extra = k.Input((6,), dtype="int32", name="ids"), k.Input((3,), name="extra")
    h = k.layers.Flatten(name="flat")(k.layers.Embedding(20, 4, name="embed")(ids))
    both = k.layers.Concatenate(name="cat")([h, extra])
    return k.Model({"ids": ids, "extra": extra}, {"wide": k.layers.Dense(8, name="wide")(both),
                                                  "head": k.layers.Dense(5, name="head")(both)})


def torch_two():
    from tfpt.frameworks import import_torch
    torch = import_torch()

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.wide, self.head = torch.nn.Embedding(20, 4), torch.nn.Linear(27, 8), torch.nn.Linear(27, 5)

        def forward(self, tokens, features):
            both = torch.cat([torch.flatten(self.embed(tokens), 1), features], dim=1)
            logits = self.head(both)  # called first, as Keras orders its layers (the matcher aligns in call order)
            return {"w": self.wide(both), "logits": logits}
    return Two()


PAIR = ModelPair("two-in-two-out", keras_two, torch_two, INPUTS, num_classes=5, batch=16, formats=(),
                 outputs={"wide": "w", "head": "logits"})


def test_inputs_make_a_named_batch_that_slices_like_an_array():
    x = INPUTS.batch(10, 0)
    assert isinstance(x, Batch) and len(x) == 10 and len(x[:4]) == 4 and x["ids"].dtype == np.int32
    assert x["ids"].min() >= 0 and x["ids"].max() < 20 and set(INPUTS.to_torch_layout(x)) == {"tokens", "features"}
    with pytest.raises(PairError, match="torch_names"):
        Inputs({"ids": InputSpec((6,), "int32", 0, 20)}, torch_names={"nope": "tokens"})


def test_two_inputs_and_two_outputs_each_compared_by_name():
    from tfpt.checks import pairs as P
    pm = P.shared(PAIR)
    x, y = PAIR.input.batch(16, 0), P.labels(PAIR, 16, 0)
    k, t = P.model_outputs(pm, x)
    assert set(k) == set(t) == {"wide", "head"} and k["wide"].shape == (16, 8)
    assert all(np.abs(k[n] - t[n]).max() < 1e-5 for n in k)
    (lk, lt), kg, tg = P.gradients(pm, x, y)  # the loss reads the last declared output, "head"
    assert abs(lk - lt) < 1e-5 and all(np.abs(kg[n] - tg[n]).max() < 1e-5 for n in kg)


def test_a_swapped_output_name_is_caught():
    """Negative control: the outputs map pointing "head" at the 8-wide output fails the comparison (shapes)."""
    from dataclasses import replace

    from tfpt.checks import pairs as P
    wrong = replace(PAIR, name="two-swapped", outputs={"wide": "logits", "head": "w"})
    k, t = P.model_outputs(P.shared(wrong), wrong.input.batch(4, 0))
    assert k["head"].shape != t["head"].shape
