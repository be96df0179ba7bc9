"""Keras side of a model pair: build it seeded, trace one forward pass into events and outputs, read and write
weights per layer, loss and gradients, plain gradient steps. Arrays in and out are numpy, Keras' layout."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.convert import Kind, kind_for
from tfpt.convert.functions import keras_function
from tfpt.frameworks import import_keras as _keras, import_tf
from tfpt.frameworks.keras import nested as keras_nested
from tfpt.frameworks.keras.layers import keras_record, set_keras_weights, weight_names
from tfpt.match import Event
from tfpt.pair import Batch, ModelPair, PairError

tf = import_tf()
keras = _keras()
NAME = "tf"
FUSED = {Kind.CONV, Kind.DENSE}  # kinds whose `activation` is applied to the layer's output (not inside a cell)


def build(pair: ModelPair, seed: int = 0):
    # Keras names unnamed layers from a global counter ("conv2d_3"): reset it so a pair's layer names (and so
    # the test ids) are the same in every process and every build.
    try:
        keras.backend.clear_session(free_memory=False)
    except TypeError:  # Keras 2 takes no argument
        keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = pair.keras()
    pair.check_built("keras", model, keras.Model)
    if not getattr(model, "built", False) or not getattr(model, "inputs", None):
        model(feed(pair.input.batch(2, seed)))
    return model


def feed(x):
    """A batch as a Keras model takes it: an array, or a dict of arrays for several named inputs (a Batch)."""
    return dict(x.arrays) if isinstance(x, Batch) else x


def pick(out, key=None):
    """One output of a model's result: the named one (a dict's key, a list's index); without a key the one output,
    or several outputs' values side by side, flattened per sample (one array to compare)."""
    if key is not None:
        return out[key] if isinstance(out, dict) else out[int(key)]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return out[0] if len(out) == 1 else tf.concat([tf.reshape(o, (tf.shape(o)[0], -1)) for o in out], axis=1)
    return out


def _rows(x, start: int, stop: int):
    return feed(x[start:stop])


def _layers(model, pair_name: str = "") -> list:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise PairError(f"pair {pair_name}: the Keras model has no symbolic inputs (a subclassed keras.Model?); "
                        f"fix: build it as keras.Sequential([keras.Input(shape), ...]) or with the functional API")
    if keras_nested.nested(model):  # a Sequential stem inside a functional model: its own layers, in call order
        return keras_nested.flat(model).layers
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _activation(layer) -> str | None:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None) if act is not None else None
    return None if name in (None, "linear") else name


def _inputs(layer, names: set) -> list[str] | None:
    """The names of the layers whose outputs this layer reads in this model (its node whose inputs all come
    from this model's layers), or None where Keras keeps no graph for it."""
    for node in getattr(layer, "_inbound_nodes", None) or []:
        tensors = getattr(node, "input_tensors", None)
        if tensors is None:
            continue
        ops = [getattr(t, "_keras_history", None) for t in tensors]
        srcs = [getattr(h, "operation", None) if h is not None else None for h in ops]
        if all(s is not None and s.name in names for s in srcs):
            return [s.name for s in srcs]
    return None


def _kind(layer, cls: str):
    """A layer's kind: a converter's claim first (tfpt.convert.kind_for); an `Activation` layer by the function
    it applies (Activation("relu") is a ReLU, Activation("softmax") a softmax)."""
    if cls == "Activation":
        return _act_kind(_activation(layer) or "linear")
    return kind_for("tf", cls)


def _act_kind(act: str):
    """An activation function's kind, as PyTorch's module for it has (ReLU6 is a ReLU, log_softmax a softmax)."""
    return {"relu": Kind.RELU, "relu6": Kind.RELU, "softmax": Kind.SOFTMAX, "log_softmax": Kind.SOFTMAX,
            "linear": Kind.IDENTITY}.get(act, Kind.ACTIVATION)


def _detail(layer, cls: str) -> tuple | None:
    """What the matcher needs beyond the kind: a permute's order, a concatenation's axis, the function an
    activation layer applies (tfpt.convert.functions: its canonical id)."""
    fn = None
    if cls == "Activation":
        fn = keras_function(_activation(layer) or "linear")
    elif cls == "ReLU":
        fn = keras_function("relu", getattr(layer, "max_value", None), getattr(layer, "negative_slope", 0.0))
    elif cls == "Softmax":
        fn = "softmax"
    if fn is not None:
        return ("fn", fn)
    if cls == "Permute":
        return ("dims", 0, *(int(d) for d in layer.dims))
    if cls == "Concatenate":
        return ("dim", int(layer.axis))
    return None


def _pad(layer, cls: str) -> tuple | None:
    if not cls.startswith("ZeroPadding"):
        return None
    pad = layer.padding
    pad = (pad,) if isinstance(pad[0], int) and cls.endswith("1D") else pad
    return tuple((int(p[0]), int(p[1])) if isinstance(p, (tuple, list)) else (int(p), int(p)) for p in pad)


def trace(model, x: np.ndarray) -> tuple[list[Event], list]:
    """Every layer's output in the model's order (inference mode), each event naming the events whose outputs
    it read (`inputs`: the functional graph). A layer with a fused activation (Dense(..., activation="relu"))
    gives two events: the layer (its pre-activation output is not observable) and the activation, which carries
    the layer's output and name."""
    layers = _layers(model)
    view = keras_nested.flat(model) if keras_nested.nested(model) else None
    if view is None:  # several named inputs: the model's own input structure (a dict), fed a dict
        taps = keras.Model(model.input if isinstance(x, Batch) else model.inputs, [layer.output for layer in layers])
    else:  # each leaf layer's output in the one flat graph (a nested layer has a node in its sub-model too)
        taps = keras.Model(view.input, [view.outputs[layer.name] for layer in layers])
    outs = taps({k: tf.convert_to_tensor(v) for k, v in x.arrays.items()} if isinstance(x, Batch) else
                tf.convert_to_tensor(x), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    names = {layer.name for layer in model.layers}
    # layer name -> the event carrying its output; the model's inputs are produced by no event
    at: dict[str, tuple] = {layer.name: () for layer in model.layers if type(layer).__name__ == "InputLayer"}
    events: list[Event] = []
    values: list = []
    for layer, out in zip(layers, outs, strict=True):
        cls, n_params = type(layer).__name__, int(layer.count_params())
        value = np.array(out, copy=True)
        act = _activation(layer)
        kind = _kind(layer, cls)
        srcs = _inputs(layer, names) if view is None else [s for s in view.sources[layer.name] if s is not None]
        inputs = None if srcs is None else tuple(i for s in srcs for i in at.get(s, ()))
        if act and kind in FUSED:
            events.append(Event(layer.name, kind, cls, n_params, None, None, None, inputs))
            values.append(None)
            fn = keras_function(act)
            events.append(Event(f"{layer.name}:{act}", _act_kind(act), act, 0, value.shape, layer.name, None,
                                (len(events) - 1,), ("fn", fn) if fn else None))
        else:
            events.append(Event(layer.name, kind, cls, n_params, value.shape, layer.name, _pad(layer, cls), inputs,
                                _detail(layer, cls)))
        values.append(value)
        at[layer.name] = (len(events) - 1,)
    return events, values


def records(model, names) -> "OrderedDict[str, object]":
    by_name = {layer.name: layer for layer in _layers(model)}
    return OrderedDict((n, keras_record(by_name[n])) for n in names)


def set_weights(model, weights: dict) -> None:
    by_name = {layer.name: layer for layer in _layers(model)}
    for name, w in weights.items():
        set_keras_weights(by_name[name], w)


def predict(model, x, batch: int = 1000, outputs=None):
    """The model's output on x in chunks of `batch`; with `outputs` (Keras output names) {name: array} of each."""
    chunks = [model(_rows(x, i, i + batch), training=False) for i in range(0, len(x), batch)]
    if outputs:
        return {name: np.concatenate([np.asarray(pick(c, name)) for c in chunks]) for name in outputs}
    return np.concatenate([np.asarray(pick(c)) for c in chunks])


def _loss_fn(head: str):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=head == "logits")


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, head: str, names, output=None) -> tuple[float, dict]:
    """Mean cross-entropy in inference mode (no dropout, moving statistics) and the gradient of every
    trainable weight of the named layers: {layer: {weight short name: array}}. `output`: the output the loss
    reads, for a model with several."""
    by_name = {layer.name: layer for layer in _layers(model)}
    variables = [(n, key, v) for n in names
                 for key, v in zip(weight_names(by_name[n]), by_name[n].weights, strict=True) if v.trainable]
    with tf.GradientTape() as tape:
        loss = _loss_fn(head)(y, pick(model(feed(x), training=False), output))
    grads = tape.gradient(loss, [v for _, _, v in variables])
    out: dict = {n: OrderedDict() for n in names}
    for (n, key, v), g in zip(variables, grads, strict=True):
        # an Embedding's gradient is IndexedSlices; a weight the loss's output does not read has None (0)
        out[n][key] = np.asarray(tf.convert_to_tensor(g)) if g is not None else np.zeros(v.shape, v.dtype)
    return float(loss), out


def sgd_steps(model, batches, head: str, lr: float, output=None) -> None:
    """Plain SGD steps in inference mode (deterministic: no dropout), one per (x, y) batch."""
    opt = keras.optimizers.SGD(learning_rate=lr)
    loss_fn = _loss_fn(head)
    for x, y in batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, pick(model(feed(x), training=False), output))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights, strict=True))


def step_fn(model, x: np.ndarray, y: np.ndarray, head: str):
    """One training step (Adam with Keras' defaults, train mode) as a compiled call, for the benchmarks."""
    model.compile(optimizer=keras.optimizers.Adam(), loss=_loss_fn(head))
    return lambda: model.train_on_batch(x, y)


def infer_fn(model, x: np.ndarray):
    """Inference on one batch, as the as-written code calls the model (eager call, inference mode)."""
    return lambda: np.asarray(model(x, training=False))


def _dropouts_off(model) -> list:
    """Every dropout rate inside `model` set to 0 (Dropout layers' `rate`, the `dropout` / `recurrent_dropout` of
    recurrent cells and attention); returns [(object, attribute, old value)] for `_restore`."""
    changed = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        attrs = ("rate",) if isinstance(layer, keras.layers.Dropout) or "Dropout" in type(layer).__name__ else ()
        for attr in (*attrs, "dropout", "recurrent_dropout", "_dropout"):
            value = getattr(layer, attr, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                try:
                    setattr(layer, attr, 0.0)
                except AttributeError:  # a read-only property (LSTM.dropout reads its cell's, which is set)
                    continue
                changed.append((layer, attr, value))
    return changed


def _restore(changed: list) -> None:
    for obj, attr, value in changed:
        setattr(obj, attr, value)


def train_steps(model, batches, head: str, adam: dict, names, output=None) -> dict:
    """Adam steps in training mode (batch statistics used, moving statistics updated), one per (x, y) batch, with
    every dropout rate set to 0 for their duration (restored after). `adam`: learning_rate, beta_1, beta_2,
    epsilon, epsilon_placement (tfpt.settings.AdamSettings' fields); Keras adds epsilon to sqrt(v) before bias
    correction, so the placement must be "hat", its only one. Returns the optimizer's state of every trainable
    weight of the named layers: {layer: {weight short name: {"m": first moment, "v": second moment}}}."""
    if adam.get("epsilon_placement", "hat") != "hat":
        raise ValueError("Keras' Adam adds epsilon to sqrt(v) before bias correction only (placement 'hat')")
    opt = keras.optimizers.Adam(learning_rate=adam["learning_rate"], beta_1=adam["beta_1"], beta_2=adam["beta_2"],
                                epsilon=adam["epsilon"])
    loss_fn = _loss_fn(head)
    changed = _dropouts_off(model)
    try:
        for x, y in batches:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, pick(model(feed(x), training=True), output))
            # An Embedding's gradient is IndexedSlices; Keras' Adam squares each slice, so a token twice in a batch
            # gets v += (1 - b2) * (g1^2 + g2^2), not (g1 + g2)^2 (measured: v 0.0005 vs dense 0.001 for two slices
            # of 0.5). Densified here, both sides run textbook Adam (docs/pairs.md, "Training mode").
            grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                     for g in tape.gradient(loss, model.trainable_variables)]
            opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    finally:
        _restore(changed)
    by_name = {layer.name: layer for layer in _layers(model)}
    out: dict = {n: OrderedDict() for n in names}
    for n in names:
        for key, v in zip(weight_names(by_name[n]), by_name[n].weights, strict=True):
            if v.trainable:
                i = opt._get_variable_index(v)
                out[n][key] = {"m": np.array(opt._momentums[i], copy=True), "v": np.array(opt._velocities[i],
                                                                                          copy=True)}
    return out
