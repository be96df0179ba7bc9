"""PyTorch side of a model pair: build it seeded, trace one forward pass into events and outputs (leaf modules
through forward hooks, functional ops such as F.relu, torch.flatten and Tensor.view through a
TorchFunctionMode), read and write weights per module, loss and gradients, plain gradient steps."""
from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np

from tfpt.convert import claims, kind_for, kind_of
from tfpt.convert.bare import bare_class
from tfpt.convert.functions import torch_function
from tfpt.convert.registry import torch_layout_for
from tfpt.frameworks import import_torch
from tfpt.frameworks.torch.layers import bare_parameter, set_torch_weights, torch_record, weight_count
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


def call(model, x):
    """The model called on a batch: an array, or {keyword: array} passed as keyword arguments (several named
    inputs, tfpt.pair.Inputs)."""
    if isinstance(x, dict):
        return model(**{k: torch.from_numpy(v) for k, v in x.items()})
    return model(torch.from_numpy(x))


def pick(out, key=None):
    """One output of a model's result: the named one (a key or attribute: a Hugging Face ModelOutput's
    'pooler_output'; an index for a tuple); without a key the one output, or several outputs' values side by side,
    flattened per sample (one array to compare)."""
    if key is not None:
        if isinstance(out, (tuple, list)) or str(key).isdigit() and not isinstance(out, dict):
            return out[int(key)]
        return out[key] if isinstance(out, dict) and key in out else getattr(out, str(key))
    if isinstance(out, dict):  # a ModelOutput is an OrderedDict
        out = [v for v in out.values() if isinstance(v, torch.Tensor)]
    if isinstance(out, (tuple, list)):
        return out[0] if len(out) == 1 else torch.cat([o.reshape(o.shape[0], -1) for o in out], dim=1)
    return out


def _rows(x, start: int, stop: int):
    return {k: v[start:stop] for k, v in x.items()} if isinstance(x, dict) else x[start:stop]


def _first_tensor(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def _tensors(obj) -> list:
    """The tensors among a call's arguments, nested lists included (torch.cat takes a list)."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def units(model) -> "OrderedDict[str, object]":
    """The modules recorded as one step each: leaf modules, and modules whose class a registered converter
    claims (nn.MultiheadAttention is not a leaf: its F.linear calls would be traced as parameter-free ops).
    Nothing inside a unit is a unit."""
    out: OrderedDict = OrderedDict()
    inside: list[str] = []
    for name, mod in model.named_modules():
        if not name or any(name.startswith(p + ".") for p in inside):
            continue
        if claims("torch", type(mod)) or not list(mod.children()):
            out[name] = mod
            inside.append(name)
    return out


def bare_parameters(model, unit_names) -> dict:
    """Parameters held directly by a module with children that is not a unit nor inside one, {id: (name,
    parameter)} with name `<owner>.<parameter>`: a functional op that reads one (torchvision's CNBlock:
    `self.layer_scale * result`) is traced as that parameter's own step (tfpt.convert.bare)."""
    out: dict = {}
    for name, mod in model.named_modules():
        if name in unit_names or any(name.startswith(u + ".") for u in unit_names) or not list(mod.children()):
            continue
        for pname, p in mod.named_parameters(recurse=False):
            out[id(p)] = (f"{name}.{pname}" if name else pname, p)
    return out


# The class each traced model's bare parameters were recorded as (the op decides it), for records().
_BARE_CLASSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _module(model, name: str, mods: dict):
    """A unit by its traced name: a module, or a bare parameter held as a module of its own."""
    return mods[name] if name in mods else bare_parameter(model, name)


class _Recorder(TorchFunctionMode):
    """Sees every functional op called outside any unit (inside one they are the module's own implementation:
    F.conv2d inside nn.Conv2d) and hands it to `on_op` with its arguments and result."""

    def __init__(self, on_op, depth):
        super().__init__()
        self.on_op, self.depth = on_op, depth

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.depth[0] == 0:
            before = self.on_op.inputs(args, kwargs)  # before the call: an in-place op rewrites its input
            out = func(*args, **kwargs)
            self.on_op(getattr(func, "__name__", ""), args, kwargs, out, before)
            return out
        return func(*args, **kwargs)


def _padding(module):
    """A zero-padding module's padding per spatial dimension, ((before, after), ...) from the first dimension;
    PyTorch lists it last dimension first: ZeroPad2d((left, right, top, bottom))."""
    pad = getattr(module, "padding", None)
    if not type(module).__name__.startswith(("ZeroPad", "ConstantPad")) or pad is None:
        return None
    pad = tuple(pad) if not isinstance(pad, int) else (pad,) * 2 * int(type(module).__name__[-2])
    return _pairs(pad)


def _pairs(pad) -> tuple:
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
    return tuple(reversed(pairs))


def _detail(op: str, args, kwargs, out) -> tuple | None:
    """What the layout rules need of a functional op: permute's order, cat's dim, F.pad's padding."""
    rest = [a for a in args[1:]] if args else []
    if op == "permute":
        dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        return ("dims", *(int(d) for d in dims))
    if op in ("cat", "concat"):
        return ("dim", int(kwargs.get("dim", rest[0] if rest else 0)))
    if op == "transpose" and len(rest) >= 2:
        return ("swap", int(rest[0]), int(rest[1]))
    fn = torch_function(op, kwargs.get("approximate", rest[0] if op == "gelu" and rest else None))
    return ("fn", fn) if fn else None


def _module_detail(module) -> tuple | None:
    """A module's counterpart of `_detail`: torchvision's Permute module's order, an activation's function."""
    cls = type(module).__name__
    if cls == "Permute" and hasattr(module, "dims"):
        return ("dims", *(int(d) for d in module.dims))
    fn = torch_function(cls, getattr(module, "approximate", None), getattr(module, "min_val", None),
                        getattr(module, "max_val", None))
    return ("fn", fn) if fn else None


class _Graph:
    """Which recorded event produced each live tensor. A tensor made by an op the tables do not know (x.mean,
    a slice) passes its inputs' producers on, so the graph stays connected through it."""

    def __init__(self):
        self.producers: dict[int, tuple] = {}
        self.alive: list = []  # keeps every seen tensor alive, so no id() is reused during the trace

    def inputs(self, args, kwargs=None) -> tuple:
        seen: list[int] = []
        for t in _tensors(args) + _tensors(kwargs or {}):
            for p in self.producers.get(id(t), ()):
                if p not in seen:
                    seen.append(p)
        return tuple(seen)

    def produced(self, out, by: tuple) -> None:
        for t in _tensors(out):
            self.producers[id(t)] = by
            self.alive.append(t)


def trace(model, x: np.ndarray) -> tuple[list[Event], list]:
    """Every unit's and known functional op's output (copied when produced: a later in-place op such as
    ReLU(inplace=True) or `out += identity` cannot rewrite it), in call order, each event naming the events
    whose outputs it read (`inputs`): the dataflow graph the matcher follows."""
    events: list[Event] = []
    values: list = []
    depth, counts, graph, pending = [0], {}, _Graph(), []
    found = units(model)
    bares, bare_seen = bare_parameters(model, set(found)), {}

    def record(name, cls, kind, n_params, out, inputs, pad=None, detail=None, layout=None):
        t = _first_tensor(out)
        if not isinstance(t, torch.Tensor):
            graph.produced(out, inputs)
            return
        value = t.detach().cpu().numpy().copy()
        graph.produced(out, (len(events),))
        events.append(Event(name, kind, cls, n_params, value.shape, None, pad, inputs, detail, layout))
        values.append(value)

    class OnOp:
        inputs = staticmethod(graph.inputs)

        def __call__(self, op, args, kwargs, out, before):
            bare = next((bares[id(t)] for t in _tensors(args) + _tensors(kwargs) if id(t) in bares
                         and bares[id(t)][0] not in bare_seen), None)
            if bare is not None:  # the first op reading a bare parameter is that parameter's step
                name, cls = bare[0], bare_class(op)
                bare_seen[name] = cls
                record(name, cls, kind_for("torch", cls), bare[1].numel(), out, before, None, None,
                       torch_layout_for(cls))
                return
            kind = kind_of("torch", op)
            if kind is None:
                graph.produced(out, before)  # not a step of its own: the graph passes through it
                return
            i = counts[op] = counts.get(op, -1) + 1
            pad = _pairs(args[1]) if op == "pad" and len(args) > 1 and isinstance(args[1], (tuple, list)) and \
                len(args) < 4 and not kwargs.get("value") and kwargs.get("mode", "constant") == "constant" else None
            record(f"{op}_{i}", op, kind, 0, out, before, pad, _detail(op, args, kwargs, out))

    handles = []
    for name, mod in found.items():
        def pre(_m, args, name=name):
            depth[0] += 1
            pending.append(graph.inputs(args))

        def post(m, _args, out, name=name):
            depth[0] -= 1
            cls = type(m).__name__
            # parameters and persistent buffers, as Keras counts trainable and non-trainable weights
            record(name, cls, kind_for("torch", cls), weight_count(m), out, pending.pop(), _padding(m),
                   _module_detail(m), torch_layout_for(cls))
        handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(post)]
    try:
        model.eval()
        xt = {k: torch.from_numpy(v) for k, v in x.items()} if isinstance(x, dict) else torch.from_numpy(x)
        graph.produced(xt, ())
        with torch.no_grad(), _Recorder(OnOp(), depth):
            model(**xt) if isinstance(xt, dict) else model(xt)
    finally:
        for h in handles:
            h.remove()
    _BARE_CLASSES[model] = bare_seen
    return events, values


def records(model, names) -> "OrderedDict[str, object]":
    mods, bare = dict(model.named_modules()), _BARE_CLASSES.get(model, {})
    return OrderedDict((n, torch_record(n, _module(model, n, mods), None if n in mods else bare.get(n, "Parameter")))
                       for n in names)


def set_weights(model, weights: dict) -> None:
    mods = dict(model.named_modules())
    for name, w in weights.items():
        set_torch_weights(_module(model, name, mods), w)


def predict(model, x, batch: int = 1000, outputs=None):
    """The model's output on x in chunks of `batch`; with `outputs` (its output keys) {key: array} of each."""
    model.eval()
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    with torch.inference_mode():
        chunks = [call(model, _rows(x, i, i + batch)) for i in range(0, n, batch)]
    if outputs:
        return {key: np.concatenate([pick(c, key).numpy() for c in chunks]) for key in outputs}
    return np.concatenate([pick(c).numpy() for c in chunks])


def _loss(out, y, head: str):
    target = torch.from_numpy(y.astype(np.int64))
    if head == "logits":
        return torch.nn.functional.cross_entropy(out, target)
    return torch.nn.functional.nll_loss(torch.log(out), target)


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, head: str, names, output=None) -> tuple[float, dict]:
    """Mean cross-entropy in eval mode and the gradient of every parameter of the named modules. `output`: the
    output the loss reads, for a model with several."""
    model.eval()
    model.zero_grad()
    loss = _loss(pick(call(model, x), output), y, head)
    loss.backward()
    mods = dict(model.named_modules())
    out = {n: OrderedDict((k, p.grad.detach().numpy().copy()) for k, p in _module(model, n, mods).named_parameters()
                          if p.grad is not None)  # a frozen parameter has no gradient
           for n in names}
    return float(loss.detach()), out


def sgd_steps(model, batches, head: str, lr: float, output=None) -> None:
    model.eval()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for x, y in batches:
        opt.zero_grad()
        _loss(pick(call(model, x), output), y, head).backward()
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


def _dropouts_off(model) -> list:
    """Every dropout probability inside `model` set to 0 (nn.Dropout*'s `p`, torchvision's StochasticDepth's `p`,
    nn.MultiheadAttention's and nn.RNNBase's `dropout`); returns [(module, attribute, old value)] for `_restore`."""
    changed = []
    for mod in model.modules():
        dropout = isinstance(mod, torch.nn.modules.dropout._DropoutNd) or type(mod).__name__ == "StochasticDepth"
        attrs = ("p",) if dropout else ("dropout",)
        for attr in attrs:
            value = getattr(mod, attr, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                changed.append((mod, attr, value))
                setattr(mod, attr, 0.0)
    return changed


def _restore(changed: list) -> None:
    for obj, attr, value in changed:
        setattr(obj, attr, value)


def train_steps(model, batches, head: str, adam: dict, names, output=None) -> dict:
    """Adam steps in train mode (batch statistics used, running statistics updated), one per (x, y) batch, with
    every dropout probability set to 0 for their duration (restored after; the model is left in eval mode).
    `adam`: tfpt.settings.AdamSettings' fields; epsilon_placement "after" (PyTorch's: eps added to sqrt(v_hat)) or
    "hat" (Keras': eps added to sqrt(v) before bias correction, which is eps / sqrt(1 - beta_2^t) after it at step
    t). Returns the optimizer's state of every trained parameter of the named modules:
    {module: {parameter name: {"m": exp_avg, "v": exp_avg_sq}}}."""
    placement = adam.get("epsilon_placement", "after")
    if placement not in ("after", "hat"):
        raise ValueError(f"epsilon_placement must be 'after' or 'hat', got {placement!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=adam["learning_rate"], betas=(adam["beta_1"], adam["beta_2"]),
                           eps=adam["epsilon"])
    changed = _dropouts_off(model)
    model.train()
    try:
        for t, (x, y) in enumerate(batches, 1):
            if placement == "hat":
                for group in opt.param_groups:
                    group["eps"] = adam["epsilon"] / np.sqrt(1.0 - adam["beta_2"] ** t)
            opt.zero_grad()
            _loss(pick(call(model, x), output), y, head).backward()
            opt.step()
    finally:
        model.eval()
        _restore(changed)
    mods = dict(model.named_modules())
    out: dict = {}
    for n in names:
        out[n] = OrderedDict((k, {"m": opt.state[p]["exp_avg"].detach().numpy().copy(),
                                  "v": opt.state[p]["exp_avg_sq"].detach().numpy().copy()})
                             for k, p in _module(model, n, mods).named_parameters() if p in opt.state)
    return out
