"""PyTorch's loss, gradients and optimizer steps in the canonical (Keras) layout, for the numeric tests (the same
functions as tfpt.frameworks.keras.steps), channels-last numpy batches in.

The loss is the model's own, built from the training settings (tfpt.settings.STUDY unless told otherwise) by the
trainer's own `make_loss`. `forward_backward` back-propagates a loss derivative given from outside (the NumPy
reference of tfpt.training.reference) through the network. `float64_twin` gives any pair's PyTorch module a float64
twin holding the same weights (PyTorch computes in its tensors' dtype, so `float64` changes nothing).
`keras_epsilon_hat` makes torch's Adam place epsilon as Keras does.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from tfpt.arrays import flat
from tfpt.settings import STUDY, TrainSettings
from tfpt.spec import param_layers


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, settings: TrainSettings = STUDY) -> tuple[float, OrderedDict]:
    from tfpt.frameworks.torch import cnn as tha
    from tfpt.frameworks.torch.train import make_loss
    torch = tha.torch
    spec = tha.spec_of(model)
    model.train()
    model.zero_grad()
    loss = make_loss(settings, spec.head)(model(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))),
                                          torch.from_numpy(y.astype(np.int64)))
    loss.backward()
    return float(loss.detach()), _grads(model)


def _grads(model) -> OrderedDict:
    from tfpt.frameworks.torch import cnn as tha
    spec = tha.spec_of(model)
    out = OrderedDict()
    for layer in param_layers(spec):
        mod = tha.param_module(model, layer.name)
        out[layer.name + ".kernel"] = tha.torch_to_keras(spec, layer, mod.weight.grad.numpy())
        out[layer.name + ".bias"] = mod.bias.grad.numpy().copy()
    return out


def forward_backward(model, x: np.ndarray, loss_and_grad) -> tuple[float, OrderedDict]:
    """As tfpt.frameworks.keras.steps.forward_backward, for a PyTorch model (channels-last numpy input)."""
    from tfpt.frameworks.torch import cnn as tha
    torch = tha.torch
    model.train()
    model.zero_grad()
    out = model(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
    loss, dout = loss_and_grad(out.detach().numpy())
    out.backward(torch.from_numpy(dout.astype(np.float32)))
    return loss, _grads(model)


def steps(model, optimizer, batches, before_step=None, settings: TrainSettings = STUDY) -> OrderedDict:
    """Train on each (x, y) batch in order, as Keras' steps do; `before_step(optimizer, t)` may adjust the
    optimizer at step t (1-based)."""
    from tfpt.frameworks.torch import cnn as tha
    from tfpt.frameworks.torch.train import make_loss
    torch = tha.torch
    loss_fn = make_loss(settings, tha.spec_of(model).head)
    model.train()
    for t, (x, y) in enumerate(batches, 1):
        optimizer.zero_grad()
        out = model(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
        loss_fn(out, torch.from_numpy(y.astype(np.int64))).backward()
        if before_step:
            before_step(optimizer, t)
        optimizer.step()
    return flat(tha.get_weights(model))


def keras_epsilon_hat(keras_epsilon: float, beta_2: float):
    """A `before_step` that makes torch's Adam use Keras' epsilon placement: Keras adds eps to sqrt(v) before
    bias correction, which equals torch's eps_t = eps / sqrt(1 - beta_2**t) added after it."""
    def adjust(optimizer, t):
        for group in optimizer.param_groups:
            group["eps"] = keras_epsilon / np.sqrt(1.0 - beta_2 ** t)
    return adjust


@contextmanager
def float64() -> Iterator[None]:
    """Nothing to switch: PyTorch computes in its tensors' dtype already."""
    yield


def float64_twin(pair, model, seed: int = 0):
    """`model` (a pair's PyTorch module) copied in float64, or None where the pair's builder fixes a dtype of its
    own (its twin would not be float64: no own error can be measured)."""
    twin = copy.deepcopy(model).double()
    floats = [p.dtype for p in twin.parameters() if p.dtype.is_floating_point]
    return twin if all(str(d) == "torch.float64" for d in floats) else None
