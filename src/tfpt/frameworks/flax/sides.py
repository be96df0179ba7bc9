"""A pair's own Flax side in the check worker (imports JAX): its builder imported by 'MODULE:ATTR', Keras' weights
mapped onto it layer by layer, and what the generic side checks compare with Keras': the model's output and each
mapped layer's output, the loss and its gradients, the weights after one Adam step.

The mapping: Keras' layers that hold weights, in the Keras model's order, meet the Flax model's units in the order
its attributes were assigned, one to one. A unit is an nnx.Linear, LinearGeneral, Conv, BatchNorm, LayerNorm, Embed
or MultiHeadAttention, or a module of the user's own that holds an nnx.Param itself. Dense and Conv kernels are
Keras' layout in Flax ((in, out); HWIO) and MultiHeadAttention's are too ((d, heads, head dim); its output (heads,
head dim, d)); the other weights are renamed (WEIGHTS); a weight of a class not listed keeps its name
("embeddings" -> the unit's `embeddings`). A Flax parameter no Keras weight maps to is refused, named.

A mapped layer's output is the unit's output, with Keras' fused activation applied (a Conv2D(..., activation="relu")
outputs after its ReLU, an nnx.Conv before it: a missing ReLU in the Flax model shows at the next layer).
"""
from __future__ import annotations

import importlib
import sys
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from tfpt.frameworks.flax import cnn
from tfpt.settings import STUDY, AdamSettings

MODEL_OUTPUT = "model output"  # the key of the model's own output among the layers' (no Keras layer name has a space)
# Keras class -> (the nnx class it meets, {Keras weight key: Flax attribute path inside the unit}); a key not listed
# keeps its name, "/" read as "." ("query/kernel" -> query.kernel).
WEIGHTS = {
    "Dense": ("Linear", {}),
    "EinsumDense": ("LinearGeneral", {}),
    "Conv1D": ("Conv", {}), "Conv2D": ("Conv", {}), "Conv3D": ("Conv", {}),
    "BatchNormalization": ("BatchNorm", {"gamma": "scale", "beta": "bias", "moving_mean": "mean",
                                         "moving_variance": "var"}),
    "LayerNormalization": ("LayerNorm", {"gamma": "scale", "beta": "bias"}),
    "Embedding": ("Embed", {"embeddings": "embedding"}),
    "MultiHeadAttention": ("MultiHeadAttention", {"attention_output/kernel": "out.kernel",
                                                  "attention_output/bias": "out.bias",
                                                  "output/kernel": "out.kernel", "output/bias": "out.bias"}),
}
UNITS = tuple(getattr(nnx, name) for name in dict.fromkeys(flax for flax, _ in WEIGHTS.values()))
ACTIVATIONS = {"relu": jax.nn.relu, "gelu": lambda x: jax.nn.gelu(x, approximate=False), "tanh": jnp.tanh,
               "sigmoid": jax.nn.sigmoid, "softmax": lambda x: jax.nn.softmax(x, axis=-1), "elu": jax.nn.elu,
               "selu": jax.nn.selu, "swish": jax.nn.silu, "silu": jax.nn.silu}


def _holds_param(module) -> bool:
    return any(isinstance(v, nnx.Param) for v in vars(module).values())


def units(model) -> list[tuple[str, object]]:
    """[(attribute path, unit)] of the Flax model, in the order its attributes were assigned."""
    out: list = []
    seen: set = set()

    def walk(path: str, node) -> None:
        if isinstance(node, nnx.Module):
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, UNITS) or _holds_param(node):
                out.append((path or "(model)", node))
                return
            for key, value in vars(node).items():
                if not key.startswith("_"):
                    walk(f"{path}.{key}" if path else key, value)
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(f"{path}.{i}", value)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(f"{path}.{key}", value)
    walk("", model)
    return out


def _variables(unit, prefix: str = "") -> dict:
    """{path inside the unit: Variable} of its parameters and batch statistics."""
    out = {}
    for key, value in vars(unit).items():
        if key.startswith("_"):
            continue
        if isinstance(value, (nnx.Param, nnx.BatchStat)):
            out[prefix + key] = value
        elif isinstance(value, nnx.Module):
            out.update(_variables(value, f"{prefix}{key}."))
    return out


def flax_path(keras_class: str, key: str) -> str:
    return WEIGHTS.get(keras_class, (None, {}))[1].get(key, key.replace("/", "."))


def mapped(model, layers: list) -> list[tuple[dict, str, object, dict]]:
    """[(Keras layer, unit path, unit, {Keras weight key: Flax Variable})], checked: one unit per Keras layer with
    weights, the class each Keras class meets, every weight found with Keras' shape, no Flax parameter left over."""
    found = units(model)
    if len(found) != len(layers):
        keras, flax = ", ".join(lay["name"] for lay in layers), ", ".join(p for p, _ in found)
        raise ValueError(f"the Keras model has {len(layers)} layers with weights ({keras}), the Flax model "
                         f"{len(found)} units ({flax}); expected one Flax unit per Keras layer, in the same order")
    out = []
    for layer, (path, unit) in zip(layers, found, strict=True):
        cls, name = layer["class"], layer["name"]
        want = WEIGHTS.get(cls, (None, {}))[0]
        where = f"Keras layer {name} ({cls}) <-> Flax {path} ({type(unit).__name__})"
        if want and not isinstance(unit, getattr(nnx, want)):
            raise ValueError(f"{where}: expected an nnx.{want} there (units meet Keras' layers in order)")
        own = _variables(unit)
        variables = OrderedDict()
        for key, shape in layer["weights"]:
            var = own.get(flax_path(cls, key))
            if var is None:
                raise ValueError(f"{where}: no Flax variable {flax_path(cls, key)} for Keras' {key} (the unit holds "
                                 f"{', '.join(own) or 'none'})")
            if tuple(var.shape) != tuple(shape):
                raise ValueError(f"{where}: {key} is {tuple(shape)} in Keras, {flax_path(cls, key)} "
                                 f"{tuple(var.shape)} in Flax")
            variables[key] = var
        extra = [p for p, v in own.items() if all(v is not w for w in variables.values())]
        if extra:
            raise ValueError(f"{where}: Flax holds {', '.join(extra)}, which Keras' layer does not (use_bias?)")
        out.append((layer, path, unit, variables))
    return out


def build(req: dict, arrays: dict):
    """The pair's Flax model from its builder, holding the Keras weights sent (w<layer>_<weight>), and its mapping."""
    for entry in req.get("path", []):
        if entry not in sys.path:
            sys.path.append(entry)
    module_name, _, attr = req["builder"].partition(":")
    builder = importlib.import_module(module_name)
    for part in attr.split("."):
        builder = getattr(builder, part)
    model = builder()
    if not isinstance(model, nnx.Module):
        kind = type(model)
        raise TypeError(f"the flax builder {req['builder']} returned {kind.__module__}.{kind.__qualname__}; expected "
                        f"a flax.nnx.Module")
    layers = req["layers"]
    mapping = mapped(model, layers)
    for i, (_, _, _, variables) in enumerate(mapping):
        for j, var in enumerate(variables.values()):
            var.set_value(jnp.asarray(arrays[f"w{i}_{j}"]))  # the sent dtype: float64 in the float64 twin
    return model, mapping


def taps(model, mapping, x) -> "OrderedDict[str, np.ndarray]":
    """The model's output and every mapped unit's output (Keras' fused activation applied), in Keras' layer
    order: each unit's class's __call__ wrapped for the one forward pass."""
    by_id = {id(unit): layer for layer, _, unit, _ in mapping}
    seen: dict = {}
    classes = list(dict.fromkeys(type(unit) for _, _, unit, _ in mapping))
    own = {cls: cls.__dict__.get("__call__") for cls in classes}

    def wrapped(call):
        def record(self, *args, **kwargs):
            out = call(self, *args, **kwargs)
            if id(self) in by_id:
                seen[id(self)] = out
            return out
        return record
    for cls in classes:
        cls.__call__ = wrapped(cls.__call__)
    try:
        final = model(x)
    finally:
        for cls, call in own.items():
            if call is None:
                delattr(cls, "__call__")
            else:
                cls.__call__ = call
    out = OrderedDict({MODEL_OUTPUT: np.asarray(final)})
    for layer, _, unit, _ in mapping:
        if id(unit) in seen:
            act = ACTIVATIONS.get(layer.get("activation") or "", lambda v: v)
            out[layer["name"]] = np.asarray(act(seen[id(unit)]))
    return out


def make_loss(head: str):
    """Keras' mean sparse cross-entropy of a `head` output ("logits", or "softmax" probabilities clipped as Keras
    clips them), in the output's own dtype (float64 in the float64 twin)."""
    def on_logits(out, y):
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(out, y))

    def on_probabilities(out, y):
        p = jnp.take_along_axis(out, y[:, None], axis=-1)[:, 0]
        return jnp.mean(-jnp.log(jnp.clip(p, cnn.PROBABILITY_CLIP, 1 - cnn.PROBABILITY_CLIP)))
    return on_logits if head == "logits" else on_probabilities


def _grad_of(grads: dict, path: str, inner: str):
    node = grads
    for part in [*(path.split(".") if path != "(model)" else []), *inner.split(".")]:
        node = node[part] if part in node else node[int(part)]
    return np.asarray(node)


def answer(req: dict) -> "OrderedDict[str, np.ndarray]":
    """forward: the model's output and each mapped layer's (eval mode); grads: "loss" and the gradient of every
    trainable Keras weight, keyed "<layer>.<weight>" (eval mode, as the Keras side computes it); step: every Keras
    weight after one call of the trainer's jitted Adam step in training mode (batch statistics; dropout rates 0)."""
    with np.load(req["in"]) as f:
        arrays = {k: f[k] for k in f.files}
    model, mapping = build(req, arrays)
    x = jnp.asarray(arrays["x"])
    settings = STUDY if not req.get("adam") else STUDY.changed(cnn.FRAMEWORK, **AdamSettings(**req["adam"]).__dict__)
    loss_fn = make_loss(req.get("head", "logits"))
    if req["op"] == "forward":
        model.eval()
        return taps(model, mapping, x)
    if req["op"] == "grads":
        model.eval()
        y = jnp.asarray(arrays["y"])
        loss, grads = nnx.value_and_grad(lambda m: loss_fn(m(x), y))(model)
        pure = nnx.to_pure_dict(grads)
        out = OrderedDict(loss=np.asarray(loss))
        for layer, path, _, variables in mapping:
            cls = layer["class"]
            for key, var in variables.items():
                if isinstance(var, nnx.Param):
                    out[f"{layer['name']}.{key}"] = _grad_of(pure, path, flax_path(cls, key))
        return out
    if req["op"] == "step":
        from tfpt.frameworks.flax.train import make_step
        model.train()
        model.set_attributes(rate=0.0, dropout_rate=0.0, raise_if_not_found=False)  # as the Keras side's step
        optimizer = nnx.Optimizer(model, cnn.make_optimizer(settings), wrt=nnx.Param)
        make_step(loss_fn)(model, optimizer, x, jnp.asarray(arrays["y"]))
        return OrderedDict((f"{layer['name']}.{key}", np.asarray(var[...]))
                           for layer, _, _, variables in mapping for key, var in variables.items())
    raise ValueError(f"unknown op {req['op']!r}; expected forward, grads or step")
