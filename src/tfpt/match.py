"""Finding which Keras layer is which PyTorch module, from what the two models do — not from typed tables.

The adapters trace one forward pass of each model into a list of `Event`s (Keras: every layer in call order, a
fused activation as its own event; PyTorch: every leaf module and every functional op of a known kind, in call
order). `match()` aligns the two lists by kind — layers with parameters must all be matched (same kind and a
converter for the two classes); parameter-free steps may be missing on one side (the
study's PyTorch model has an extra ReLU) — and says, for each compared output, how to bring the PyTorch tensor
into Keras' layout, and for each Dense after a Flatten, the channels-first shape it flattened.
Pure Python and numpy: the adapters import the frameworks, this module does not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tfpt.convert import Context, Kind

# Kinds whose PyTorch outputs are channels-first (a global pool's too: AdaptiveAvgPool2d gives (N, C, 1, 1)).
SPATIAL = {Kind.CONV, Kind.MAXPOOL, Kind.AVGPOOL, Kind.PAD, Kind.UPSAMPLE, Kind.GLOBALAVGPOOL, Kind.GLOBALMAXPOOL}
# Kinds that keep their input's layout.
ELEMENTWISE = {Kind.RELU, Kind.DROPOUT, Kind.ACTIVATION, Kind.BATCHNORM, Kind.SOFTMAX, Kind.IDENTITY}
FLATTENS = {Kind.FLATTEN, Kind.RESHAPE}
SEQUENCE = {Kind.LSTM, Kind.GRU}


class MatchError(ValueError):
    """The two models' layers could not be put in correspondence; the message lists what was left on each side."""


@dataclass(frozen=True)
class Event:
    name: str  # Keras layer name, PyTorch module path or functional op name ("relu_2")
    kind: Kind | None  # normalised kind (tfpt.convert.kind_of); None: unknown
    cls: str
    param_count: int = 0
    shape: tuple | None = None  # output shape with batch; None where the output is not observable
    label: str | None = None  # the Keras layer an output belongs to (a fused activation's event carries it)
    pad: tuple | None = None  # a padding step's zero padding per spatial dimension, ((before, after), ...)

    @property
    def has_params(self) -> bool:
        return self.param_count > 0


@dataclass(frozen=True)
class Layout:
    """How to bring a PyTorch output into Keras' layout: "identity", "cf" (move axis 1 last), "flatten-cf"
    (a C-major flatten of `source` re-ordered channels-last), "last-step" (a sequence's last output)."""
    how: str = "identity"
    source: tuple = ()

    def apply(self, a: np.ndarray) -> np.ndarray:
        if self.how == "cf":
            return np.moveaxis(a, 1, -1)
        if self.how == "flatten-cf":
            return np.moveaxis(a.reshape(a.shape[0], *self.source), 1, -1).reshape(a.shape[0], -1)
        if self.how == "last-step":
            return a[:, -1]
        return a


@dataclass
class Match:
    params: list = field(default_factory=list)  # [(keras Event, torch Event, Context)]
    points: list = field(default_factory=list)  # [(label, keras index, torch index, Layout)] compared outputs
    only_keras: list = field(default_factory=list)  # parameter-free Keras events with no PyTorch counterpart
    only_torch: list = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [p[0] for p in self.points]


def torch_layouts(events: list[Event], input_cf: bool) -> tuple[list[Layout], list[Context]]:
    """Per PyTorch event: the layout fix for its output and the converter context (flatten source) it gets."""
    state, shape, flat_source, pad, pad_input = ("cf" if input_cf else "cl"), None, None, None, None
    layouts, contexts = [], []
    for ev in events:
        ctx = Context()
        if ev.kind == Kind.PAD and ev.pad is not None:  # explicit padding the next conv applies (Keras' 'same')
            pad, pad_input = ev.pad, (tuple(shape[2:]) if shape is not None else None)
        elif ev.has_params and ev.kind == Kind.CONV:
            ctx, pad = (Context(pad_before=pad, input_spatial=pad_input) if pad else ctx), None
        elif ev.kind not in ELEMENTWISE:
            pad = None
        if ev.kind in SPATIAL:
            state = "cf"
        elif ev.kind in FLATTENS:
            flat_source = tuple(shape[1:]) if state == "cf" and shape is not None and len(shape) >= 3 else None
            state = "flat-cf" if flat_source else "cl"
        elif ev.kind in ELEMENTWISE:
            pass
        elif ev.kind is not None:
            if ev.has_params and state == "flat-cf":
                ctx = Context(flatten_source=flat_source)
            state = "cl"
        rank = len(ev.shape) if ev.shape is not None else 0
        if state == "cf" and rank >= 3:
            layouts.append(Layout("cf"))
        elif state == "flat-cf" and rank == 2 and flat_source is not None:
            layouts.append(Layout("flatten-cf", flat_source))
        else:
            layouts.append(Layout())
        contexts.append(ctx)
        shape = ev.shape if ev.shape is not None else shape
    return layouts, contexts


def _can_match(k: Event, t: Event, converter_for, layer_map: dict) -> bool:
    if layer_map:
        if k.name in layer_map or k.label in layer_map:
            return layer_map.get(k.name, layer_map.get(k.label)) == t.name and (k.has_params == t.has_params)
        if t.name in layer_map.values():
            return False
    if k.kind is None or t.kind is None or k.has_params != t.has_params:
        return False
    if k.kind != t.kind and not (k.kind in FLATTENS and t.kind in FLATTENS):
        return False
    # Parameter counts may differ legitimately (Keras counts BatchNorm's moving statistics and has one LSTM bias
    # where PyTorch has two): the converter decides, and checks every shape when weights move.
    return not k.has_params or converter_for(k.cls, t.cls) is not None


def check_layer_map(layer_map: dict, keras_events: list[Event], torch_events: list[Event]) -> None:
    """Every name in a pair's layer_map must be a layer of the traced models: an unknown name would silently
    match nothing and the checks pass without it."""
    keras_names = {e.name for e in keras_events} | {e.label for e in keras_events if e.label}
    torch_names = {e.name for e in torch_events}
    bad_k = [k for k in layer_map if k not in keras_names]
    bad_t = [v for v in layer_map.values() if v not in torch_names]
    if bad_k or bad_t:
        def listed(names, known):
            known = sorted(known)
            more = f", ... {len(known) - 12} more" if len(known) > 12 else ""
            return f"{', '.join(map(repr, names))} (traced: {', '.join(known[:12])}{more})"
        parts = ([f"Keras layers {listed(bad_k, keras_names)}"] if bad_k else []) + \
            ([f"PyTorch modules {listed(bad_t, torch_names)}"] if bad_t else [])
        raise MatchError(f"layer_map names what the traced models do not have: {'; '.join(parts)}; fix: use the "
                         "names the trace lists, or drop those entries")


def match(keras_events: list[Event], torch_events: list[Event], converter_for, input_cf: bool,
          layer_map: dict | None = None) -> Match:
    """Align the two traces (dynamic programming: most parameter layers, then most parameter-free steps, in
    order). `converter_for(keras_cls, torch_cls)` says whether weights can move between two classes."""
    layer_map = layer_map or {}
    K, T = keras_events, torch_events
    check_layer_map(layer_map, K, T)
    PARAM, FREE, MISSING = 1000, 1, -10 ** 6

    def skip_cost(ev):
        return MISSING if ev.has_params else 0

    n, m = len(K), len(T)
    best = np.zeros((n + 1, m + 1))
    for i in range(n - 1, -1, -1):
        best[i, m] = best[i + 1, m] + skip_cost(K[i])
    for j in range(m - 1, -1, -1):
        best[n, j] = best[n, j + 1] + skip_cost(T[j])
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            options = [best[i + 1, j] + skip_cost(K[i]), best[i, j + 1] + skip_cost(T[j])]
            if _can_match(K[i], T[j], converter_for, layer_map):
                options.append(best[i + 1, j + 1] + (PARAM if K[i].has_params else FREE))
            best[i, j] = max(options)
    layouts, contexts = torch_layouts(T, input_cf)
    out, i, j = Match(), 0, 0
    unmatched_k: list[Event] = []
    unmatched_t: list[Event] = []
    while i < n or j < m:
        if i < n and j < m and _can_match(K[i], T[j], converter_for, layer_map) and \
                best[i, j] == best[i + 1, j + 1] + (PARAM if K[i].has_params else FREE):
            k, t = K[i], T[j]
            if k.has_params:
                out.params.append((k, t, contexts[j]))
            if k.shape is not None:
                lay = layouts[j]
                if k.kind in SEQUENCE and t.shape and len(t.shape) == 3 and len(k.shape) == 2:
                    lay = Layout("last-step")
                out.points.append((k.label or k.name, i, j, lay))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i, j] == best[i + 1, j] + skip_cost(K[i])):
            (unmatched_k if K[i].has_params else out.only_keras).append(K[i])
            i += 1
        else:
            (unmatched_t if T[j].has_params else out.only_torch).append(T[j])
            j += 1
    if unmatched_k or unmatched_t:
        def show(evs):
            return ", ".join(f"{e.name} ({e.cls}, {e.param_count:,} params)" for e in evs) or "none"
        raise MatchError(
            f"layers with parameters left unmatched — Keras: {show(unmatched_k)}; PyTorch: {show(unmatched_t)}. "
            f"Matched by kind and converter, in call order. Fix: make the two models agree, "
            f"register a converter for the classes (tfpt.convert.register), or map them by hand with "
            f"ModelPair(layer_map={{'<keras layer>': '<torch module>'}})")
    return out
