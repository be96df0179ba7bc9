"""PyTorch side of a model pair: build it seeded, trace one forward pass into events and outputs (leaf modules
through forward hooks, functional ops such as F.relu, torch.flatten and Tensor.view through a
TorchFunctionMode), read and write weights per module, loss and gradients, plain gradient steps."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.adapters.torch_layers import set_torch_weights, torch_record
from tfpt.convert import kind_of
from tfpt.frameworks import import_torch
from tfpt.match import Event
from tfpt.pair import ModelPair

torch = import_torch()
from torch.overrides import TorchFunctionMode  # noqa: E402

NAME = "torch"


def build(pair: ModelPair, seed: int = 0):
    torch.manual_seed(seed)
    model = pair.torch()
    pair.check_built("torch", model, torch.nn.Module)
    return model.eval()


def _first_tensor(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def _leaves(model):
    return OrderedDict((name, mod) for name, mod in model.named_modules() if name and not list(mod.children()))


class _Recorder(TorchFunctionMode):
    """Records functional ops of known kinds called outside any leaf module (inside one they are the module's
    own implementation: F.conv2d inside nn.Conv2d)."""

    def __init__(self, on_op, depth):
        super().__init__()
        self.on_op, self.depth = on_op, depth

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if self.depth[0] == 0:
            self.on_op(getattr(func, "__name__", ""), out)
        return out


def _padding(module):
    """A zero-padding module's padding per spatial dimension, ((before, after), ...) from the first dimension;
    PyTorch lists it last dimension first: ZeroPad2d((left, right, top, bottom))."""
    pad = getattr(module, "padding", None)
    if not type(module).__name__.startswith(("ZeroPad", "ConstantPad")) or pad is None:
        return None
    pad = tuple(pad) if not isinstance(pad, int) else (pad,) * 2 * int(type(module).__name__[-2])
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    return tuple(reversed(pairs))


def trace(model, x: np.ndarray) -> tuple[list[Event], list]:
    events, values, depth, counts = [], [], [0], {}

    def record(name, cls, kind, n_params, out, pad=None):
        t = _first_tensor(out)
        if not isinstance(t, torch.Tensor):
            return
        value = t.detach().cpu().numpy()
        events.append(Event(name, kind, cls, n_params, value.shape, None, pad))
        values.append(value)

    def on_op(op, out):
        kind = kind_of("torch", op)
        if kind is not None:
            i = counts[op] = counts.get(op, -1) + 1
            record(f"{op}_{i}", op, kind, 0, out)

    handles = []
    for name, mod in _leaves(model).items():
        def pre(_m, _i):
            depth[0] += 1

        def post(m, _i, out, name=name):
            depth[0] -= 1
            cls = type(m).__name__
            record(name, cls, kind_of("torch", cls), sum(p.numel() for p in m.parameters(recurse=False)), out,
                   _padding(m))
        handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(post)]
    try:
        model.eval()
        with torch.no_grad(), _Recorder(on_op, depth):
            model(torch.from_numpy(x))
    finally:
        for h in handles:
            h.remove()
    return events, values


def records(model, names) -> "OrderedDict[str, object]":
    mods = dict(model.named_modules())
    return OrderedDict((n, torch_record(n, mods[n])) for n in names)


def set_weights(model, weights: dict) -> None:
    mods = dict(model.named_modules())
    for name, w in weights.items():
        set_torch_weights(mods[name], w)


def predict(model, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    model.eval()
    with torch.inference_mode():
        return np.concatenate([model(torch.from_numpy(x[i:i + batch])).numpy() for i in range(0, len(x), batch)])


def _loss(out, y, head: str):
    target = torch.from_numpy(y.astype(np.int64))
    if head == "logits":
        return torch.nn.functional.cross_entropy(out, target)
    return torch.nn.functional.nll_loss(torch.log(out), target)


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, head: str, names) -> tuple[float, dict]:
    """Mean cross-entropy in eval mode and the gradient of every parameter of the named modules."""
    model.eval()
    model.zero_grad()
    loss = _loss(model(torch.from_numpy(x)), y, head)
    loss.backward()
    mods = dict(model.named_modules())
    out = {n: OrderedDict((k, p.grad.detach().numpy().copy()) for k, p in mods[n].named_parameters(recurse=False)
                          if p.grad is not None)  # a frozen parameter has no gradient
           for n in names}
    return float(loss.detach()), out


def sgd_steps(model, batches, head: str, lr: float) -> None:
    model.eval()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for x, y in batches:
        opt.zero_grad()
        _loss(model(torch.from_numpy(x)), y, head).backward()
        opt.step()


def step_fn(model, x: np.ndarray, y: np.ndarray, head: str):
    """One training step (Adam with PyTorch's defaults, train mode), for the benchmarks."""
    model.train()
    opt = torch.optim.Adam(model.parameters())
    xt = torch.from_numpy(x)

    def step():
        opt.zero_grad()
        loss = _loss(model(xt), y, head)
        loss.backward()
        opt.step()
        return loss
    return step


def infer_fn(model, x: np.ndarray):
    model.eval()
    xt = torch.from_numpy(x)

    def infer():
        with torch.inference_mode():
            return model(xt)
    return infer
