"""A pair's worker side (Flax NNX) against its reference side (Keras): the side's model, built by its own worker
from the pair's builder and given the Keras model's weights (tfpt.frameworks.flax.sides maps them layer by layer),
compared on the model's output and every mapped layer's output, the loss and its gradients, and one Adam step,
each judged by tfpt.checks.pairs.agree (the table's tolerance, else each framework's own float32 error: Keras'
float64 twin beside the side's float64 worker). Framework-neutral: Keras through its adapter, the side through
arrays sent to its worker.
"""
from __future__ import annotations

import functools
import os
import sys
from collections import OrderedDict
from dataclasses import asdict
from typing import Mapping

import numpy as np

from tfpt.checks.pairs import TRACE_BATCH, PairModels, Verdict, _in_float64, adapter, agree, float64_models, wide
from tfpt.pair import InputSpec, ModelPair

MODEL_OUTPUT = "model output"  # the model's own output among the layers' (the worker's key; no Keras layer has it)
SIDE_STATISTICS = ("moving_mean", "moving_variance")  # compared after a step by "training_statistics"


def side_worker(side: str, x64: bool = False):
    """The check worker of a side run in processes of its own (its folder's client: tfpt.frameworks.flax.worker);
    x64: the one computing in float64 (the own-error rule's twin)."""
    from tfpt import frameworks
    return frameworks.get(side).module("adapter").worker(x64)


def side_skip_reason(pair: ModelPair, side: str) -> str | None:
    """Why `side` of `pair` cannot be checked here, or None: its framework missing, or several named inputs."""
    from tfpt import frameworks
    if not frameworks.installed(side):
        return frameworks.missing_reason(side)
    if not isinstance(pair.input, InputSpec):
        return f"{pair.name}: a {side} side of a pair with several named inputs is not checked yet"
    return None


def reference(pair: ModelPair, keras_model) -> tuple[list, dict]:
    """The Keras model's layers that hold weights, in its order, as the worker maps them ([{"name", "class",
    "activation", "weights": [[key, shape], ...]}]), and their arrays ({"w<layer>_<weight>": array})."""
    events, _ = adapter("tf").trace(keras_model, pair.input.batch(TRACE_BATCH))
    names = list(dict.fromkeys(e.name for e in events if e.param_count > 0))
    layers, arrays = [], {}
    for i, rec in enumerate(adapter("tf").records(keras_model, names).values()):
        act = rec.config.get("activation")
        layers.append({"name": rec.name, "class": rec.cls, "activation": act if act not in (None, "linear") else None,
                       "weights": [[k, list(np.shape(w))] for k, w in rec.weights.items()]})
        arrays.update({f"w{i}_{j}": np.asarray(w) for j, w in enumerate(rec.weights.values())})
    return layers, arrays


def planted(layers: list, arrays: dict, layer: str, weight: str = "kernel") -> dict:
    """A conversion defect for negative controls: `layer`'s `weight` with its first two axes swapped (a conv
    kernel's height and width, a square Dense kernel transposed)."""
    i = next(n for n, lay in enumerate(layers) if lay["name"] == layer)
    j = next(n for n, (k, _) in enumerate(layers[i]["weights"]) if k == weight)
    a = arrays[f"w{i}_{j}"]
    return {**arrays, f"w{i}_{j}": np.ascontiguousarray(np.swapaxes(a, 0, 1))}


def side_request(pair: ModelPair, side: str, op: str, layers: list, arrays: dict, x, y=None, adam=None,
                 x64: bool = False) -> "OrderedDict[str, np.ndarray]":
    """The worker's answer to `op` ("forward", "grads", "step") on the side's model holding `arrays`."""
    req = {"op": op, "builder": pair.builder_ref(side), "layers": layers, "head": pair.keras_head,
           "adam": asdict(adam) if adam else None, "path": [p for p in sys.path if p and os.path.isdir(p)]}
    sent = {**arrays, "x": np.asarray(x)}
    if y is not None:
        sent["y"] = np.asarray(y, np.int32)
    return OrderedDict(side_worker(side, x64).call(req, sent))


def _keras_taps(pair: ModelPair, keras_model, x, layers: list) -> "OrderedDict[str, np.ndarray]":
    events, values = adapter("tf").trace(keras_model, x)
    by_label = {e.label: v for e, v in zip(events, values, strict=True) if e.label and v is not None}
    out = OrderedDict((lay["name"], np.asarray(by_label[lay["name"]])) for lay in layers if lay["name"] in by_label)
    out[MODEL_OUTPUT] = np.asarray(adapter("tf").predict(keras_model, x))
    return out


def _paired(keras: Mapping, other: Mapping) -> tuple[OrderedDict, OrderedDict]:
    """Both in Keras' order, over the names both hold (a Keras layer the side has no tap for is left out; the
    model output is always there)."""
    names = [n for n in keras if n in other]
    return OrderedDict((n, keras[n]) for n in names), OrderedDict((n, np.asarray(other[n])) for n in names)


def _wide_arrays(arrays: dict) -> dict:
    return {k: wide(v) for k, v in arrays.items()}


def _keras_twin(pm: PairModels, keras_model):
    """A float64 twin of `keras_model` (the pair's Keras model, as built or after a step), or None."""
    twin = float64_models(PairModels(pm.pair, keras_model, pm.torch_model, pm.match, pm.record_bytes))
    return None if twin is None else twin.keras_model


def side_forward(pm: PairModels, side: str, x: np.ndarray, arrays: dict | None = None) -> Verdict:
    """Every mapped layer's output and the model's own, the side's model holding Keras' weights (`arrays`: a
    planted defect's instead) against Keras', judged by `agree` (the own errors: Keras' float64 twin and the
    side's float64 worker)."""
    layers, sent = reference(pm.pair, pm.keras_model)
    sent = sent if arrays is None else arrays
    k, s = _paired(_keras_taps(pm.pair, pm.keras_model, x, layers),
                   side_request(pm.pair, side, "forward", layers, sent, x))

    def own():
        twin = _keras_twin(pm, pm.keras_model)
        if twin is None:
            return None
        k64 = _in_float64(lambda: _keras_taps(pm.pair, twin, wide(x), layers))
        s64 = side_request(pm.pair, side, "forward", layers, _wide_arrays(sent), wide(x), x64=True)
        return _paired(k64, s64)
    return agree(k, s, pm.pair.tolerance("forward"), own)


def side_gradients(pm: PairModels, side: str, x: np.ndarray, y: np.ndarray) -> tuple[Verdict, Verdict]:
    """The loss (forward tolerance) and every trainable Keras weight's gradient ({layer.weight}), in inference
    mode, the side's against Keras'."""
    layers, sent = reference(pm.pair, pm.keras_model)
    names = [lay["name"] for lay in layers]

    def keras_side(model, xs):
        loss, grads = adapter("tf").loss_and_grads(model, xs, y, pm.pair.keras_head, names)
        return loss, OrderedDict((f"{n}.{w}", g) for n, gs in grads.items() for w, g in gs.items())
    k_loss, kg = keras_side(pm.keras_model, x)
    got = side_request(pm.pair, side, "grads", layers, sent, x, y)
    s_loss = float(got.pop("loss"))
    kg, sg = _paired(kg, got)

    @functools.cache
    def twins():
        twin = _keras_twin(pm, pm.keras_model)
        if twin is None:
            return None
        loss64, kg64 = _in_float64(lambda: keras_side(twin, wide(x)))
        got64 = side_request(pm.pair, side, "grads", layers, _wide_arrays(sent), wide(x), y, x64=True)
        return loss64, float(got64.pop("loss")), _paired(kg64, got64)
    loss = agree({"loss": np.float64(k_loss)}, {"loss": np.float64(s_loss)}, pm.pair.tolerance("forward"),
                 lambda: None if twins() is None else ({"loss": np.float64(twins()[0])},
                                                       {"loss": np.float64(twins()[1])}))
    grads = agree(kg, sg, pm.pair.tolerance("gradient"), lambda: None if twins() is None else twins()[2])
    return loss, grads


def side_step(pm: PairModels, side: str, x: np.ndarray, y: np.ndarray,
              adam=None) -> tuple[Verdict, Verdict, Verdict]:
    """One Adam step (the side's settings: `adam`, default the study's Keras Adam; Keras runs its own) in training
    mode, dropout rates 0, from Keras' weights on a fresh Keras model and on the side's, compared as the
    training-mode check compares them (tfpt.checks.training_mode), by the table (no float64 twin of a training
    step): the weights (adam_matched); the weights whose gradient is zero by construction (a conv bias before a
    training-mode BatchNorm: Keras' first moment at most ZERO_MOMENT of all, so Adam's step normalises rounding
    noise) within Adam's largest travel in one step; the moving statistics (training_statistics)."""
    from tfpt.checks.training_mode import noise_driven
    from tfpt.settings import STUDY
    from tfpt.tolerances import Tol
    adam = STUDY.keras_adam if adam is None else adam
    layers, sent = reference(pm.pair, pm.keras_model)
    names = [lay["name"] for lay in layers]
    model = adapter("tf").build(pm.pair, 0)
    adapter("tf").set_weights(model, {n: dict(r.weights) for n, r in adapter("tf").records(pm.keras_model,
                                                                                          names).items()})
    keras_adam = STUDY.keras_adam
    state = adapter("tf").train_steps(model, [(x, y)], pm.pair.keras_head, asdict(keras_adam), names)
    moments = OrderedDict((f"{n}.{w}.{m}", s[m]) for n, ws in state.items() for w, s in ws.items() for m in "mv")
    zero, _ = noise_driven(moments, moments)
    after = OrderedDict((f"{n}.{w}", a) for n, r in adapter("tf").records(model, names).items()
                        for w, a in r.weights.items())
    k, s = _paired(after, side_request(pm.pair, side, "step", layers, sent, x, y, adam=adam))
    stats = [n for n in k if n.rsplit(".", 1)[-1] in SIDE_STATISTICS]

    def part(d, names):
        return OrderedDict((n, v) for n, v in d.items() if n in names)
    plain = [n for n in k if n not in stats and n not in zero]
    travel = 2 * keras_adam.learning_rate * max(1.0, (1 - keras_adam.beta_1) / np.sqrt(1 - keras_adam.beta_2))
    noise_tol = Tol(atol=travel, rtol=0.0, why="Adam's largest travel in one step")
    weights = agree(part(k, plain), part(s, plain), pm.pair.tolerance("adam_matched"), lambda: None)
    noise = agree(part(k, zero), part(s, zero), noise_tol, lambda: None)
    moving = agree(part(k, stats), part(s, stats), pm.pair.tolerance("training_statistics"), lambda: None)
    return weights, noise, moving
