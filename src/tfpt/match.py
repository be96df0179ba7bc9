"""Finding which Keras layer is which PyTorch module, from what the two models do — not from typed tables.

The adapters trace one forward pass of each model into a list of `Event`s (Keras: every layer in call order, a
fused activation as its own event; PyTorch: every leaf module and every functional op of a known kind, in call
order), each naming the events it read (`inputs`: the dataflow graph). `match()` puts each list in one order
that depends on the graph, not on which branch ran first (`canonical_order`: at an Add or Multiply the deeper
branch first; ResNet's projection shortcut runs before the main branch in Keras and after it in torchvision),
then aligns the two by kind — layers with parameters must all be matched (same kind and a
converter for the two classes); parameter-free steps may be missing on one side (the
study's PyTorch model has an extra ReLU) — and says, for each compared output, how to bring the PyTorch tensor
into Keras' layout, and for each Dense after a Flatten, the channels-first shape it flattened. Layouts are
followed along the graph (`layout_states`): through merges, global pooling, permutes and flattens, both sides,
and through any step whose output has its input's shape (a channels-first LayerNorm2d, GroupNorm or layer scale
keeps its input's layout, whatever its class); a converter may declare its module's output layout instead
(`Converter.torch_layout`). Where the layout so found cannot give Keras' shape, the one that does is taken: the
layout of an output is what the output is, not what its module's class suggests.
Pure Python and numpy: the adapters import the frameworks, this module does not.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from tfpt.convert import Context, Kind

# Kinds whose PyTorch outputs are channels-first (a global pool's too: AdaptiveAvgPool2d gives (N, C, 1, 1)).
SPATIAL = {Kind.CONV, Kind.MAXPOOL, Kind.AVGPOOL, Kind.PAD, Kind.UPSAMPLE, Kind.GLOBALAVGPOOL, Kind.GLOBALMAXPOOL}
# Kinds that keep their input's layout.
ELEMENTWISE = {Kind.RELU, Kind.DROPOUT, Kind.ACTIVATION, Kind.BATCHNORM, Kind.SOFTMAX, Kind.IDENTITY, Kind.ADD,
               Kind.MULTIPLY, Kind.CONCAT}
COMMUTATIVE = {Kind.ADD, Kind.MULTIPLY}  # merges whose inputs' order says nothing
FLATTENS = {Kind.FLATTEN, Kind.RESHAPE}
SEQUENCE = {Kind.LSTM, Kind.GRU}
# Kinds that act on the last axis whatever it holds: a shape-preserving one does not keep a channels-first layout.
LAST_AXIS = {Kind.DENSE, Kind.EMBEDDING, Kind.LSTM, Kind.GRU}
# Kinds whose weights are constants of the model's definition (a Normalization's mean and variance), not trained
# parameters: matched like parameter-free steps, and where present on one side only, named as a difference.
FIXED = {Kind.PREPROCESS}


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
    inputs: tuple | None = None  # indices of the events whose outputs it read; () the model input; None unknown
    detail: tuple | None = None  # ("dims", ...) of a permute, ("dim", d) of a concatenation, ("fn", id) of an
    # activation (tfpt.convert.functions)
    layout: str | None = None  # a converter's declared output layout ("channels_first", "channels_last", "input")

    @property
    def has_params(self) -> bool:
        """Weights that must have a counterpart: parameters and persistent buffers (both sides count them), except
        a preprocessing layer's constants."""
        return self.param_count > 0 and self.kind not in FIXED

    @property
    def function(self) -> str | None:
        """The activation function's canonical id where the tracer named it, else None."""
        return self.detail[1] if self.detail and self.detail[0] == "fn" else None


@dataclass(frozen=True)
class Layout:
    """How to bring a PyTorch output into Keras' layout: "identity", "cf" (move axis 1 last), "flatten-cf"
    (a C-major flatten of `source` re-ordered channels-last), "last-step" (a sequence's last output)."""
    how: str = "identity"
    source: tuple = ()

    def shape_of(self, s: tuple) -> tuple:
        """The shape `apply` gives an array of shape `s`."""
        if self.how == "cf" and len(s) >= 3:
            return (s[0], *s[2:], s[1])
        if self.how == "to-cf" and len(s) >= 3:
            return (s[0], s[-1], *s[1:-1])
        if self.how in ("squeeze", "flatten-cl", "flatten-cf"):
            return (s[0], int(np.prod(s[1:])))
        if self.how == "last-step":
            return (s[0], *s[2:])
        return tuple(s)

    def apply(self, a: np.ndarray) -> np.ndarray:
        if self.how == "cf":
            return np.moveaxis(a, 1, -1)
        if self.how == "to-cf":
            return np.moveaxis(a, -1, 1)
        if self.how == "squeeze":  # (N, C, 1, 1) of an adaptive pool against Keras' (N, C)
            return a.reshape(a.shape[0], -1)
        if self.how == "flatten-cl":  # a channels-last flatten against Keras' flatten of a (C, H, W) tensor
            src = self.source
            return np.moveaxis(a.reshape(a.shape[0], *src[1:], src[0]), -1, 1).reshape(a.shape[0], -1)
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
    # [(label, keras Event, torch Event)] matched activation steps whose functions both tracers named
    functions: list = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [p[0] for p in self.points]


def inputs_of(events: list[Event]) -> list[tuple]:
    """Each event's inputs, an event without graph information reading the one before it (a chain)."""
    return [ev.inputs if ev.inputs is not None else ((i - 1,) if i else ()) for i, ev in enumerate(events)]


def _depths(events: list[Event]) -> list[int]:
    """The longest path, in events, from the model input to each event (events come in call order)."""
    ins, depth = inputs_of(events), list[int]()
    for i in range(len(events)):
        depth.append(1 + max((depth[j] for j in ins[i] if j < i), default=0))
    return depth


def canonical_order(events: list[Event]) -> list[int]:
    """The events' indices in an order fixed by the graph: post-order from the last event (then from any event
    nothing reads), each event's inputs visited first, a commutative merge's deeper input before the shallower
    (ties: call order); a concatenation keeps its inputs' order. A chain keeps its call order."""
    ins, depth = inputs_of(events), _depths(events)
    consumed = {j for i in ins for j in i}
    roots = [len(events) - 1] + [i for i in range(len(events) - 1) if i not in consumed] if events else []
    seen: set[int] = set()
    order: list[int] = []
    for root in roots:
        stack = [(root, False)]
        while stack:
            i, expanded = stack.pop()
            if expanded:
                order.append(i)
                continue
            if i in seen:
                continue
            seen.add(i)
            stack.append((i, True))
            parents = [j for j in ins[i] if j < i and j not in seen]
            if events[i].kind in COMMUTATIVE:
                parents.sort(key=lambda j: (-depth[j], j))
            stack.extend((j, False) for j in reversed(parents))
    return order


@dataclass(frozen=True)
class State:
    """The layout of one traced output: "cf" (channels first), "cl" (channels last, Keras'), or "flat" (a
    flatten of a (C, ...) tensor in C-major order when `source` is that shape, else of a channels-last one)."""
    how: str
    source: tuple | None = None


def layout_states(events: list[Event], torch_side: bool, input_cf: bool,
                  input_shape: tuple | None = None) -> list[State]:
    """Each event's output layout, from its first input's along the graph. `input_shape`: one sample of the model
    input as this side takes it (a flatten of the input itself needs it)."""
    ins, states = inputs_of(events), list[State]()
    model_in = (None, *input_shape) if input_shape is not None else None
    for i, ev in enumerate(events):
        first = ins[i][0] if ins[i] else None
        shape = events[first].shape if first is not None else model_in
        rank = len(ev.shape) if ev.shape is not None else 0
        in_rank = len(shape) if shape is not None else rank
        st = states[first] if first is not None else State("cf" if input_cf and torch_side and in_rank >= 3 else "cl")
        if ev.layout in ("channels_first", "channels_last") and torch_side:
            st = State("cf" if ev.layout == "channels_first" else "cl")
        elif ev.layout == "input":
            pass
        elif ev.kind in SPATIAL:
            st = State("cf" if torch_side else "cl")
        elif ev.kind in FLATTENS:
            st = _reshaped(ev, st, shape, torch_side)
        elif ev.kind in ELEMENTWISE or ev.kind is None:
            pass
        elif not (st.how == "cf" and ev.kind not in LAST_AXIS and ev.shape is not None and shape is not None
                  and tuple(ev.shape[1:]) == tuple(shape[1:])):
            st = State("cl")  # else: a shape-preserving step on channels-first activations keeps them so
        states.append(st)
    return states


def _reshaped(ev: Event, st: State, shape: tuple | None, torch_side: bool) -> State:
    rank = len(ev.shape) if ev.shape is not None else 0
    if ev.detail and ev.detail[0] == "dims":
        dims = tuple(ev.detail[1:])
        to_last, to_first = (0, *range(2, len(dims)), 1), (0, len(dims) - 1, *range(1, len(dims) - 1))
        if st.how == "cf" and dims == to_last:
            return State("cl")
        if st.how == "cl" and dims == to_first:
            return State("cf")
        return State("other")
    if rank == 2 and shape is not None and len(shape) >= 3:
        return State("flat", tuple(shape[1:]) if st.how == "cf" else None)
    if rank >= 3:
        return State("cf" if torch_side else "cl")
    return st


def _fix(ts: State, ks: State, t_shape: tuple | None, k_shape: tuple | None) -> Layout:
    """The Layout that brings a PyTorch output in state `ts` to Keras' `ks`."""
    if ts.how == "cf" and ks.how != "cf":
        if t_shape is not None and k_shape is not None and len(t_shape) > len(k_shape) == 2:
            return Layout("squeeze")
        return Layout("cf") if t_shape is not None and len(t_shape) >= 3 else Layout()
    if ts.how == "cl" and ks.how == "cf":
        return Layout("to-cf")
    if ts.how == "flat" and ks.how == "flat" and (ts.source is None) != (ks.source is None):
        return Layout("flatten-cf", ts.source) if ts.source else Layout("flatten-cl", ks.source or ())
    if ts.how == "flat" and ts.source and ks.how == "cl":
        return Layout("flatten-cf", ts.source)
    return Layout()


def _by_shape(lay: Layout, t_shape: tuple | None, k_shape: tuple) -> Layout:
    """`lay`, or where it cannot give Keras' shape, the one plain layout fix that does (the output is what it
    is: a channels-first (N, C, H, W) against Keras' (N, H, W, C) needs its axis moved, whatever made it)."""
    if t_shape is None or lay.shape_of(t_shape)[1:] == tuple(k_shape[1:]):
        return lay
    plain = (Layout(), Layout("cf"), Layout("to-cf")) + ((Layout("squeeze"),) if set(t_shape[2:]) == {1} else ())
    fits = [c for c in plain if c.shape_of(t_shape)[1:] == tuple(k_shape[1:])]
    return fits[0] if fits else lay


def torch_layouts(events: list[Event], input_cf: bool,
                  input_shape: tuple | None = None) -> tuple[list[Layout], list[Context]]:
    """Per PyTorch event: the layout fix for its output against a plain channels-last Keras model, and the
    converter context (flatten source, explicit padding before a conv) it gets."""
    states, ins = layout_states(events, True, input_cf, input_shape), inputs_of(events)
    layouts = [_fix(st, State("flat") if st.how == "flat" else State("cl"), ev.shape, None)
               for ev, st in zip(events, states, strict=True)]
    return layouts, [torch_context(events, states, ins, j) for j in range(len(events))]


def torch_context(events, states, ins, j: int, keras_state: State | None = None) -> Context:
    """The converter context of PyTorch event j: the explicit zero padding an nn.ZeroPad2d / F.pad right before
    a conv applies, and the channels-first shape a flatten right before a Dense took (unless Keras flattened
    the same C-major order: a Permute((3, 1, 2)) before its Flatten)."""
    ev = events[j]
    src = ins[j][0] if ins[j] else None
    if src is None or not ev.has_params:
        return Context()
    before = events[src]
    if ev.kind == Kind.CONV and before.kind == Kind.PAD and before.pad is not None:
        first = ins[src][0] if ins[src] else None
        spatial = events[first].shape[2:] if first is not None and events[first].shape else None
        return Context(pad_before=before.pad, input_spatial=tuple(spatial) if spatial else None)
    st = states[src]
    if st.how == "flat" and st.source and not (keras_state and keras_state.how == "flat" and keras_state.source):
        return Context(flatten_source=st.source)
    return Context()


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


def _declared(out: Match, layer_map: dict, unmatched_k: list, unmatched_t: list, keras_events, torch_events,
              states) -> None:
    """Pairs the pair's layer_map declares that the in-order alignment could not take, taken as declared: HF
    BERT looks up word, token-type, then position embeddings; keras-hub token, position, then segment (the
    alignment keeps one order, so one of three crossing pairs is left over)."""
    k_states, t_states, t_ins = states
    for k in list(unmatched_k):
        t = next((t for t in unmatched_t if t.name == layer_map.get(k.name)), None)
        if t is None:
            continue
        ki = next(i for i, e in enumerate(keras_events) if e is k)
        tj = next(j for j, e in enumerate(torch_events) if e is t)
        out.params.append((k, t, torch_context(torch_events, t_states, t_ins, tj)))
        if k.shape is not None:
            out.points.append((k.label or k.name, ki, tj, _by_shape(_fix(t_states[tj], k_states[ki], t.shape,
                                                                          k.shape), t.shape, k.shape)))
        unmatched_k.remove(k)
        unmatched_t.remove(t)


def match(keras_events: list[Event], torch_events: list[Event], converter_for, input_cf: bool,
          layer_map: dict | None = None, input_shape: tuple | None = None) -> Match:
    """Align the two traces (dynamic programming: most parameter layers, then most parameter-free steps, in
    order). `converter_for(keras_cls, torch_cls)` says whether weights can move between two classes.
    `input_shape`: one sample of the PyTorch model's input (its layout), for a flatten of the input itself."""
    layer_map = layer_map or {}
    check_layer_map(layer_map, keras_events, torch_events)
    k_order, t_order = canonical_order(keras_events), canonical_order(torch_events)
    K, T = [keras_events[i] for i in k_order], [torch_events[j] for j in t_order]
    PARAM, MISSING = 1000, -10 ** 6

    def gain(k, t):  # a parameter layer first; a step of the very same kind before a flatten against a reshape
        return PARAM if k.has_params else (2 if k.kind == t.kind else 1)

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
                options.append(best[i + 1, j + 1] + gain(K[i], T[j]))
            best[i, j] = max(options)
    k_states = layout_states(keras_events, False, False)
    t_states = layout_states(torch_events, True, input_cf, input_shape)
    k_ins, t_ins = inputs_of(keras_events), inputs_of(torch_events)
    out, i, j = Match(), 0, 0
    unmatched_k: list[Event] = []
    unmatched_t: list[Event] = []
    while i < n or j < m:
        if i < n and j < m and _can_match(K[i], T[j], converter_for, layer_map) and \
                best[i, j] == best[i + 1, j + 1] + gain(K[i], T[j]):
            k, t, ki, tj = K[i], T[j], k_order[i], t_order[j]
            if k.has_params:
                k_in = keras_events[k_ins[ki][0]] if k_ins[ki] else None
                k_in_state = k_states[k_ins[ki][0]] if k_ins[ki] else None
                ctx = torch_context(torch_events, t_states, t_ins, tj, k_in_state)
                if k_in is not None and k_in.kind == Kind.PAD and k_in.pad is not None:
                    ctx = replace(ctx, keras_pad_before=k_in.pad)
                out.params.append((k, t, ctx))
            if k.shape is not None:
                lay = _fix(t_states[tj], k_states[ki], t.shape, k.shape)
                if k.kind in SEQUENCE and t.shape and len(t.shape) == 3 and len(k.shape) == 2:
                    lay = Layout("last-step")
                lay = _by_shape(lay, t.shape, k.shape)
                out.points.append((k.label or k.name, ki, tj, lay))
            if k.function and t.function:
                out.functions.append((k.label or k.name, k, t))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i, j] == best[i + 1, j] + skip_cost(K[i])):
            (unmatched_k if K[i].has_params else out.only_keras).append(K[i])
            i += 1
        else:
            (unmatched_t if T[j].has_params else out.only_torch).append(T[j])
            j += 1
    _declared(out, layer_map, unmatched_k, unmatched_t, keras_events, torch_events, (k_states, t_states, t_ins))
    if unmatched_k or unmatched_t:
        def show(evs):
            return ", ".join(f"{e.name} ({e.cls}, {e.param_count:,} params)" for e in evs) or "none"
        raise MatchError(
            f"layers with parameters left unmatched — Keras: {show(unmatched_k)}; PyTorch: {show(unmatched_t)}. "
            f"Matched by kind and converter along the dataflow graph. Fix: make the two models agree, "
            f"register a converter for the classes (tfpt.convert.register), or map them by hand with "
            f"ModelPair(layer_map={{'<keras layer>': '<torch module>'}})")
    return out
