"""The generic checks' machinery for any ModelPair: build both models, find the layer correspondence, move weights
both ways through the converter registry, and compare outputs, gradients and steps in one layout (Keras').

Framework-neutral: it talks to the two adapters (tfpt.frameworks.get(fw).module("adapter")) and to numpy only.

Where a comparison fails the table's tolerance, `agree` measures each framework's own float32 error on the same
pair and inputs (its float32 result against its own float64 twin, `float64_twin` of its folder's steps) and passes
an entry whose cross-framework difference is within OWN_ERROR_FACTOR times the two own errors plus the table's
tolerance (docs/pairs.md, "Tolerances"). The per-layer comparison records every output of both models at once, so
its batch is capped to fit tfpt.tolerances.LAYER_RECORD_BYTES (`layer_batch`).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from tfpt.arrays import flat, softmax
from tfpt.compare import Comparison, assert_close, compare
from tfpt.convert import Difference, Kind, find
from tfpt.frameworks import KERAS_SIDE, TORCH_SIDE, get, on_side
from tfpt.match import Event, Match, MatchError, match
from tfpt.pair import ModelPair, PairError
from tfpt.tolerances import LAYER_RECORD_BYTES, OWN_ERROR_FACTOR, ZERO_GRADIENT, Tol, tol

DIRECTIONS = ("tf->torch", "torch->tf")
TRACE_BATCH = 4


def adapter(fw: str):
    """The pair adapter of framework `fw`: its record's "adapter" module (imports that framework)."""
    return get(fw).module("adapter")


@dataclass
class PairModels:
    pair: ModelPair
    keras_model: object
    torch_model: object
    match: Match
    # Bytes one sample's recorded outputs take in both traces together (float32), measured on the matching trace.
    record_bytes: int = field(default=0, compare=False)

    @property
    def param_names(self) -> tuple[list[str], list[str]]:
        return [k.name for k, _, _ in self.match.params], [t.name for _, t, _ in self.match.params]


def _traces(pair: ModelPair, keras_model, torch_model, x: np.ndarray):
    """Both traces; where one head emits logits and the other probabilities, the logits side gets a softmax
    step of its own at the end, so the two final outputs compare like for like."""
    try:
        k_events, k_values = adapter("tf").trace(keras_model, x)
    except (PairError, MatchError):
        raise
    except (ValueError, TypeError, RuntimeError) as exc:  # Keras' shape error names a layer, not the InputSpec
        raise pair.refused_input("keras", exc) from exc
    try:
        t_events, t_values = adapter("torch").trace(torch_model, pair.input.to_torch_layout(x))
    except (PairError, MatchError):
        raise
    except (ValueError, TypeError, RuntimeError) as exc:
        raise pair.refused_input("torch", exc) from exc
    pair.check_outputs(k_values[-1], t_values[-1])
    if pair.keras_head != pair.torch_head:
        events, values = (t_events, t_values) if pair.torch_head == "logits" else (k_events, k_values)
        last = values[-1]
        events.append(Event("softmax(logits)", Kind.SOFTMAX, "softmax", 0, last.shape, "softmax(logits)"))
        values.append(softmax(last))
    return (k_events, k_values), (t_events, t_values)


def _match_and_bytes(pair: ModelPair, keras_model, torch_model, seed: int = 0) -> tuple[Match, int]:
    (k_events, k_values), (t_events, t_values) = _traces(pair, keras_model, torch_model,
                                                         pair.input.batch(TRACE_BATCH, seed))
    found = match(k_events, t_events, find, pair.input.torch_layout == "channels_first", pair.layer_map,
                  pair.input.torch_shape)
    recorded = sum(np.asarray(v).nbytes for v in (*k_values, *t_values) if v is not None)
    return found, -(-recorded // TRACE_BATCH)


def find_match(pair: ModelPair, keras_model, torch_model, seed: int = 0) -> Match:
    return _match_and_bytes(pair, keras_model, torch_model, seed)[0]


def build(pair: ModelPair, seed: int = 0) -> PairModels:
    """Both models, seeded, with the correspondence between them (weights not shared yet)."""
    km, tm = adapter("tf").build(pair, seed), adapter("torch").build(pair, seed)
    return PairModels(pair, km, tm, *_match_and_bytes(pair, km, tm, seed))


def layer_batch(pm: PairModels, n: int) -> int:
    """How many of n samples the per-layer comparison records at once: every output of both models, the same in
    float64 where own errors are measured, must fit LAYER_RECORD_BYTES (at least 1 sample)."""
    per_sample = pm.record_bytes * LAYER_RECORD_BYTES.copies
    return n if per_sample <= 0 else max(1, min(n, LAYER_RECORD_BYTES.budget // per_sample))


def _converter(k, t):
    conv = find(k.cls, t.cls)
    if conv is None:
        raise PairError(f"no converter for Keras {k.cls} ↔ PyTorch {t.cls} ({k.name} ↔ {t.name}); "
                        f"fix: register one with tfpt.convert.register")
    return conv


def keras_weights(pm: PairModels) -> "OrderedDict[str, dict]":
    names, _ = pm.param_names
    return OrderedDict((n, dict(r.weights)) for n, r in adapter("tf").records(pm.keras_model, names).items())


def torch_weights(pm: PairModels) -> "OrderedDict[str, dict]":
    _, names = pm.param_names
    return OrderedDict((n, dict(r.weights)) for n, r in adapter("torch").records(pm.torch_model, names).items())


def to_torch(pm: PairModels) -> None:
    """Copy the Keras model's weights into the PyTorch model."""
    k_names, t_names = pm.param_names
    krec, trec = adapter("tf").records(pm.keras_model, k_names), adapter("torch").records(pm.torch_model, t_names)
    adapter("torch").set_weights(pm.torch_model, {t.name: _converter(k, t).to_torch(krec[k.name], trec[t.name], ctx)
                                                  for k, t, ctx in pm.match.params})


def to_keras(pm: PairModels) -> None:
    """Copy the PyTorch model's weights into the Keras model."""
    k_names, t_names = pm.param_names
    krec, trec = adapter("tf").records(pm.keras_model, k_names), adapter("torch").records(pm.torch_model, t_names)
    adapter("tf").set_weights(pm.keras_model, {k.name: _converter(k, t).to_keras(trec[t.name], krec[k.name], ctx)
                                               for k, t, ctx in pm.match.params})


def shared(pair: ModelPair, direction: str = "tf->torch", seed: int = 0) -> PairModels:
    """Both models holding one set of weights, copied in `direction`; an as-is pair's models as they were built,
    nothing copied (each holds its own weights)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    pm = build(pair, seed)
    if pair.as_is:
        return pm
    _randomize_statistics(pm, direction, seed)
    (to_torch if direction == "tf->torch" else to_keras)(pm)
    return pm


def parameters(pm: PairModels) -> tuple[OrderedDict, OrderedDict]:
    """Both models' own parameters in Keras' layout, {layer.weight: array}: the Keras model's as they are, the
    PyTorch model's through the converters' layout change; nothing is copied into either model. For an as-is
    pair (a converter's output beside its original) a weight the converter dropped, left at its initial value or
    mis-permuted differs here, named by its layer."""
    k_names, t_names = pm.param_names
    krec, trec = adapter("tf").records(pm.keras_model, k_names), adapter("torch").records(pm.torch_model, t_names)
    kw, tw = OrderedDict(), OrderedDict()
    for k, t, ctx in pm.match.params:
        as_keras = _converter(k, t).to_keras(trec[t.name], krec[k.name], ctx)
        for name, w in krec[k.name].weights.items():
            kw[f"{k.name}.{name}"], tw[f"{k.name}.{name}"] = w, as_keras[name]
    return kw, tw


STATISTICS = {"moving_mean": "mean", "running_mean": "mean", "moving_variance": "var", "running_var": "var"}


def _randomize_statistics(pm: PairModels, direction: str, seed: int) -> None:
    """A fresh BatchNorm holds mean 0 and variance 1, which would hide a swapped or dropped statistic: the
    source side gets seeded statistics (means ~N(0, 0.1), variances in [0.5, 1.5)) before they are copied."""
    rng = np.random.default_rng(seed + 7)
    source = on_side(KERAS_SIDE if direction == "tf->torch" else TORCH_SIDE)
    fw, model = source.id, source.model(pm)
    names = pm.param_names[0 if source.side == KERAS_SIDE else 1]
    changed = {}
    for name, rec in adapter(fw).records(model, names).items():
        stats = {w: STATISTICS[w] for w in rec.weights if w in STATISTICS}
        if stats:
            new = dict(rec.weights)
            for w, what in stats.items():
                shape, dtype = rec.weights[w].shape, rec.weights[w].dtype
                new[w] = (rng.normal(0, 0.1, shape) if what == "mean" else rng.uniform(0.5, 1.5, shape)).astype(dtype)
            changed[name] = new
    if changed:
        adapter(fw).set_weights(model, changed)


def outputs(pm: PairModels, x: np.ndarray) -> tuple[OrderedDict, OrderedDict]:
    """The compared outputs of both models in Keras' layout, keyed by Keras layer name."""
    (_, k_values), (_, t_values) = _traces(pm.pair, pm.keras_model, pm.torch_model, x)
    k_out, t_out = OrderedDict(), OrderedDict()
    for label, i, j, layout in pm.match.points:
        k_out[label], t_out[label] = k_values[i], np.ascontiguousarray(layout.apply(t_values[j]))
        k_shape, t_shape = np.shape(k_out[label]), np.shape(t_out[label])
        if t_shape != k_shape and len(t_shape) == len(k_shape) and t_shape[0] == 1 and t_shape[1:] == k_shape[1:]:
            # one value for every sample (HF BERT's position embeddings, (1, L, d)), as Keras broadcasts it
            t_out[label] = np.ascontiguousarray(np.broadcast_to(t_out[label], k_shape))
    return k_out, t_out


def model_outputs(pm: PairModels, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both models' own final outputs (each model called whole, after its declared head), in one form: where one
    side declares "softmax" and the other "logits", the logits are turned into probabilities; an output with
    PyTorch's channels-first layout is brought to Keras'. Whatever the layer matching compared, this is what a
    user of either model gets. A pair declaring several `outputs` gets ({Keras name: array}, {Keras name: array}),
    each PyTorch output under its Keras name."""
    if pm.pair.outputs:
        names = pm.pair.outputs
        k_out = adapter("tf").predict(pm.keras_model, x, outputs=list(names))
        t_out = adapter("torch").predict(pm.torch_model, pm.pair.input.to_torch_layout(x), outputs=list(names.values()))
        return ({n: np.asarray(k_out[n]) for n in names},
                {n: np.asarray(t_out[names[n]]) for n in names})
    k = np.asarray(adapter("tf").predict(pm.keras_model, x))
    t = np.asarray(adapter("torch").predict(pm.torch_model, pm.pair.input.to_torch_layout(x)))
    if t.ndim == 4 and k.shape != t.shape and k.shape == (t.shape[0], *t.shape[2:], t.shape[1]):
        t = t.transpose(0, 2, 3, 1)
    heads = (pm.pair.keras_head, pm.pair.torch_head)
    if heads == ("softmax", "logits"):
        t = softmax(t)
    elif heads == ("logits", "softmax"):
        k = softmax(k)
    return k, t


def compare_forward(pm: PairModels, x: np.ndarray, tolerance: Tol | None = None) -> Comparison:
    k, t = outputs(pm, x)
    return compare(k, t, tolerance or tol("forward"))


def assert_forward_equal(pm: PairModels, x: np.ndarray, tolerance: Tol | None = None) -> Comparison:
    k, t = outputs(pm, x)
    return assert_close(k, t, tolerance or tol("forward"))


def gradients(pm: PairModels, x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, float], OrderedDict, OrderedDict]:
    """(loss_tf, loss_torch), Keras gradients, PyTorch gradients brought to Keras' layout: {layer.weight: array}."""
    k_names, t_names = pm.param_names
    k_out, t_out = pm.pair.loss_output  # the output the loss reads, where a pair declares several
    k_loss, k_grads = adapter("tf").loss_and_grads(pm.keras_model, x, y, pm.pair.keras_head, k_names, output=k_out)
    t_loss, t_grads = adapter("torch").loss_and_grads(pm.torch_model, pm.pair.input.to_torch_layout(x), y,
                                                      pm.pair.torch_head, t_names, output=t_out)
    krec, trec = adapter("tf").records(pm.keras_model, k_names), adapter("torch").records(pm.torch_model, t_names)
    kg, tg = OrderedDict(), OrderedDict()
    for k, t, ctx in pm.match.params:
        full = {name: t_grads[t.name].get(name, np.zeros_like(w)) for name, w in trec[t.name].weights.items()}
        as_keras = _converter(k, t).grads_to_keras(full, krec[k.name], trec[t.name], ctx)
        for name, g in k_grads[k.name].items():
            kg[f"{k.name}.{name}"], tg[f"{k.name}.{name}"] = g, np.asarray(as_keras[name])
    return (k_loss, t_loss), kg, tg


def sgd_steps(pm: PairModels, batches, lr: float = 0.01) -> tuple[OrderedDict, OrderedDict]:
    """k plain SGD steps on both sides from shared weights; the weights after, both in Keras' layout."""
    k_out, t_out = pm.pair.loss_output
    adapter("tf").sgd_steps(pm.keras_model, batches, pm.pair.keras_head, lr, output=k_out)
    adapter("torch").sgd_steps(pm.torch_model, [(pm.pair.input.to_torch_layout(x), y) for x, y in batches],
                               pm.pair.torch_head, lr, output=t_out)
    after_keras = flat(keras_weights(pm))
    probe = build(pm.pair)  # a fresh Keras model to receive the PyTorch weights through the converters
    probe.torch_model = pm.torch_model
    to_keras(probe)
    return after_keras, flat(keras_weights(probe))


def labels(pair: ModelPair, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 1).integers(0, pair.num_classes, size=n)


def config_differences(pm: PairModels) -> list[tuple[str, object]]:
    """[(Keras layer name, Difference)] for every matched layer whose configurations differ (an epsilon, a
    momentum, a padding): material ones change outputs or training. A Keras ZeroPadding2D right before a conv is
    folded into that conv's padding first (ZeroPadding2D(3) + 'valid' is PyTorch's padding=3)."""
    k_names, t_names = pm.param_names
    krec, trec = adapter("tf").records(pm.keras_model, k_names), adapter("torch").records(pm.torch_model, t_names)
    out = []
    for k, t, ctx in pm.match.params:
        conv = _converter(k, t)
        diffs = conv.differences(krec[k.name], trec[t.name], ctx)
        if ctx.keras_pad_before is not None and hasattr(conv, "keras_padding") and hasattr(conv, "torch_padding"):
            diffs = [d for d in diffs if d.field != "padding"] + \
                _folded_padding(conv, krec[k.name], trec[t.name], ctx)
        out += [(k.name, d) for d in diffs]
    return out


def _folded_padding(conv, k, t, ctx) -> list:
    """The padding difference of a conv whose Keras input is zero-padded by its own layer, in words."""
    extra = ctx.keras_pad_before
    own = conv.keras_padding(k, ctx)
    kp = tuple((a + int(e[0]), b + int(e[1])) for (a, b), e in zip(own, extra, strict=True))
    tp = conv.torch_padding(t, ctx)
    if kp == tp:
        return []
    keras = f"ZeroPadding({extra}) + '{k.config.get('padding', 'valid')}' pads (before, after) {kp}"
    torch = f"padding={t.config.get('padding')} pads {tp}"
    if any(a != b for a, b in kp) and all(a == b for a, b in tp):
        note = (f"asymmetric in Keras, symmetric in PyTorch: use padding=0 in torch after nn.ZeroPad2d("
                f"{tuple(v for pair in reversed(kp) for v in pair)}) (left, right, top, bottom)")
    else:
        note = f"use padding={tuple(a for a, _ in kp)} in torch" if all(a == b for a, b in kp) else \
            "pad the same (before, after) on both sides"
    return [Difference("padding", keras, torch, True, note)]


# ------------------------------------------------------------------- each framework's own float32 error

def wide(x: np.ndarray) -> np.ndarray:
    """An input as the float64 twins take it: floating values in float64, integers (token ids) as they are."""
    if not isinstance(x, np.ndarray) and hasattr(x, "map"):  # several named inputs (tfpt.pair.Batch)
        return x.map(wide)
    return x.astype(np.float64) if np.issubdtype(x.dtype, np.floating) else x


def float64_models(pm: PairModels, seed: int = 0) -> PairModels | None:
    """Both models' float64 twins holding their current weights, or None where a builder fixes its own dtype."""
    k, t = (on_side(KERAS_SIDE).part("steps").float64_twin(pm.pair, pm.keras_model, seed),
            on_side(TORCH_SIDE).part("steps").float64_twin(pm.pair, pm.torch_model, seed))
    return None if k is None or t is None else PairModels(pm.pair, k, t, pm.match, pm.record_bytes)


def _in_float64(run):
    """run() with Keras' new losses, optimizers and models in float64 (the twins' own arithmetic)."""
    with on_side(KERAS_SIDE).part("steps").float64():
        return run()


def own_outputs(pm: PairModels, x: np.ndarray):
    """The compared outputs of both float64 twins on x: ({label: array}, {label: array}), or None."""
    twin = float64_models(pm)
    return None if twin is None else _in_float64(lambda: outputs(twin, wide(x)))


def own_model_outputs(pm: PairModels, x: np.ndarray):
    """Both float64 twins' own final outputs on x, as model_outputs gives them, or None."""
    twin = float64_models(pm)
    return None if twin is None else _in_float64(lambda: model_outputs(twin, wide(x)))


def own_gradients(pm: PairModels, x: np.ndarray, y: np.ndarray):
    """gradients() of both float64 twins: ((loss, loss), Keras', PyTorch's in Keras' layout), or None."""
    twin = float64_models(pm)
    return None if twin is None else _in_float64(lambda: gradients(twin, wide(x), y))


def own_sgd_steps(pair: ModelPair, batches, lr: float = 0.01, direction: str = "tf->torch", seed: int = 0):
    """sgd_steps() of both float64 twins from the start `shared(pair, direction, seed)` gives (rebuilt: seeded, so
    the same weights the float32 steps started from), or None."""
    twin = float64_models(shared(pair, direction, seed), seed)
    if twin is None:
        return None
    return _in_float64(lambda: sgd_steps(twin, [(wide(x), y) for x, y in batches], lr))


@dataclass(frozen=True)
class Own:
    """One entry's errors: each framework's float32 result against its own float64 twin, and the twins against
    each other (||.|| for a norm tolerance, else max |.|), as measured."""
    keras: float
    torch: float
    wide: float  # the float64 twins' difference: where this is large, the models compute different functions
    zero: bool = False  # a gradient zero by construction: measured against the model's gradient norm


@dataclass
class Verdict:
    """A comparison, and how it was judged: by the table's tolerance alone (`own` empty: no float64 run was
    needed), or with each framework's own float32 error measured per entry (`own`), or without it where the
    pair's builders fix their dtypes (`note`)."""
    result: Comparison
    own: dict = field(default_factory=dict)  # name -> Own
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.result.ok

    def message(self, what: str = "layer", rows=None) -> str:
        """The comparison's message (over `rows`, a subset of its rows, if given), with the first divergent
        entry's own errors: how much float32 explains, and what the float64 twins say."""
        result = self.result if rows is None else Comparison(tuple(rows), self.result.structure_error,
                                                             self.result.tol)
        text = result.message(what)
        bad = result.first_divergent
        if bad is None:
            return text
        if bad.name in self.own:
            o = self.own[bad.name]
            measure = "||.||" if result.tol.norm else "max |.|"
            text += (f"; each framework's own float32 error there ({measure} of float32 - float64): Keras "
                     f"{o.keras:.3g}, PyTorch {o.torch:.3g} (allowed {OWN_ERROR_FACTOR:g}x their sum); the two "
                     f"float64 twins differ by {o.wide:.3g}: beyond float32 rounding, the models compute different "
                     f"functions")
        elif self.note:
            text += f"; {self.note}"
        return text

    def figures(self) -> dict:
        """{entry: {keras, torch, cross, ratio}} where own errors were measured: the cross-framework difference
        and each framework's own error, in the same measure."""
        rows = {r.name: r for r in self.result.rows}
        out = {}
        for name, o in self.own.items():
            cross = rows[name].max_abs
            out[name] = {"keras_own": o.keras, "torch_own": o.torch, "cross": cross, "float64_cross": o.wide,
                         "ratio": cross / (o.keras + o.torch) if o.keras + o.torch > 0 else 0.0,
                         **({"zero_by_construction": True} if o.zero else {})}
        return out


    def summary(self) -> dict:
        """The figures in one line: the largest own error of each framework, cross difference and ratio over the
        entries, and the gradients found zero by construction (empty where no own error was measured)."""
        found = self.figures()
        if not found:
            return {}
        top = {k: max(f[k] for f in found.values()) for k in ("keras_own", "torch_own", "cross", "float64_cross",
                                                                 "ratio")}
        return {**top, "entries": len(found), "zero_by_construction": [n for n, o in self.own.items() if o.zero]}


def _measure(a: np.ndarray, norm: bool) -> float:
    a = np.asarray(a, np.float64)
    return float(np.linalg.norm(a)) if norm else float(np.abs(a).max(initial=0.0))


def agree(expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], tolerance: Tol,
          own: Callable[[], tuple | None]) -> Verdict:
    """expected (Keras) against actual (PyTorch): by the table's tolerance where that passes; else with each
    framework's own float32 error allowed per entry, `own()` giving the float64 twins' results (Keras', PyTorch's)
    under the same names (or None: no twin, the table's tolerance stands). Elementwise tolerances allow
    OWN_ERROR_FACTOR * (|k32 - k64| + |t32 - t64|) per element, norm tolerances that of the norms; a gradient
    that is zero by construction (ZERO_GRADIENT) is measured against the model's gradient norm."""
    plain = compare(expected, actual, tolerance)
    if plain.ok or plain.structure_error:
        return Verdict(plain)
    twins = own()
    if twins is None:
        return Verdict(plain, note="no float64 twin (a builder fixes its dtype), so float32's own error was not "
                                   "measured")
    k64, t64 = twins
    norm, slack, scale, found = tolerance.norm, {}, {}, {}
    total = float(np.sqrt(sum(float(np.sum(np.square(np.asarray(v, np.float64)))) for v in k64.values())))
    for name in expected:
        k32, t32 = np.asarray(expected[name], np.float64), np.asarray(actual[name], np.float64)
        ek, et = k32 - np.asarray(k64[name], np.float64), t32 - np.asarray(t64[name], np.float64)
        if norm:
            slack[name] = OWN_ERROR_FACTOR * (_measure(ek, True) + _measure(et, True))
        else:
            slack[name] = OWN_ERROR_FACTOR * (np.abs(ek) + np.abs(et))
        zero = norm and total > 0 and \
            max(_measure(k64[name], True), _measure(t64[name], True)) <= ZERO_GRADIENT.float64 * total and \
            max(_measure(k32, True), _measure(t32, True)) <= ZERO_GRADIENT.float32 * total
        if zero:
            scale[name] = total
        found[name] = Own(_measure(ek, norm), _measure(et, norm),
                          _measure(np.asarray(k64[name], np.float64) - np.asarray(t64[name], np.float64), norm), zero)
    return Verdict(compare(expected, actual, tolerance, slack, scale), found)
