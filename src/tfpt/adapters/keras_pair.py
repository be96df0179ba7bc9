"""Keras side of a model pair: build it seeded, trace one forward pass into events and outputs, read and write
weights per layer, loss and gradients, plain gradient steps. Arrays in and out are numpy, Keras' layout."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.adapters.keras_layers import keras_record, set_keras_weights
from tfpt.convert import Kind, kind_of
from tfpt.frameworks import import_tf, keras as _keras
from tfpt.match import Event
from tfpt.pair import ModelPair, PairError

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
        model(pair.input.batch(2, seed))
    return model


def _layers(model, pair_name: str = "") -> list:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise PairError(f"pair {pair_name}: the Keras model has no symbolic inputs (a subclassed keras.Model?); "
                        f"fix: build it as keras.Sequential([keras.Input(shape), ...]) or with the functional API")
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _activation(layer) -> str | None:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None) if act is not None else None
    return None if name in (None, "linear") else name


def trace(model, x: np.ndarray) -> tuple[list[Event], list]:
    """Every layer's output in call order (inference mode). A layer with a fused activation (Dense(...,
    activation="relu")) gives two events: the layer (its pre-activation output is not observable) and the
    activation, which carries the layer's output and name."""
    layers = _layers(model)
    taps = keras.Model(model.inputs, [layer.output for layer in layers])
    outs = taps(tf.convert_to_tensor(x), training=False)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    events, values = [], []
    for layer, out in zip(layers, outs, strict=True):
        cls, n_params = type(layer).__name__, int(layer.count_params())
        value = np.asarray(out)
        act = _activation(layer)
        kind = kind_of("tf", cls)
        if act and kind in FUSED:
            events.append(Event(layer.name, kind, cls, n_params, None, None))
            values.append(None)
            events.append(Event(f"{layer.name}:{act}", kind_of("tf", act) or Kind.ACTIVATION, act, 0, value.shape,
                                layer.name))
        else:
            events.append(Event(layer.name, kind, cls, n_params, value.shape, layer.name))
        values.append(value)
    return events, values


def records(model, names) -> "OrderedDict[str, object]":
    by_name = {layer.name: layer for layer in _layers(model)}
    return OrderedDict((n, keras_record(by_name[n])) for n in names)


def set_weights(model, weights: dict) -> None:
    by_name = {layer.name: layer for layer in _layers(model)}
    for name, w in weights.items():
        set_keras_weights(by_name[name], w)


def predict(model, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    return np.concatenate([np.asarray(model(x[i:i + batch], training=False)) for i in range(0, len(x), batch)])


def _loss_fn(head: str):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=head == "logits")


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, head: str, names) -> tuple[float, dict]:
    """Mean cross-entropy in inference mode (no dropout, moving statistics) and the gradient of every
    trainable weight of the named layers: {layer: {weight short name: array}}."""
    by_name = {layer.name: layer for layer in _layers(model)}
    variables = [(n, v) for n in names for v in by_name[n].trainable_weights]
    with tf.GradientTape() as tape:
        loss = _loss_fn(head)(y, model(x, training=False))
    grads = tape.gradient(loss, [v for _, v in variables])
    out: dict = {n: OrderedDict() for n in names}
    for (n, v), g in zip(variables, grads, strict=True):
        out[n][_short(v)] = np.asarray(tf.convert_to_tensor(g))  # an Embedding's gradient is IndexedSlices
    return float(loss), out


def _short(variable) -> str:
    return getattr(variable, "path", variable.name).split("/")[-1].split(":")[0]


def sgd_steps(model, batches, head: str, lr: float) -> None:
    """Plain SGD steps in inference mode (deterministic: no dropout), one per (x, y) batch."""
    opt = keras.optimizers.SGD(learning_rate=lr)
    loss_fn = _loss_fn(head)
    for x, y in batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=False))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights, strict=True))


def step_fn(model, x: np.ndarray, y: np.ndarray, head: str):
    """One training step (Adam with Keras' defaults, train mode) as a compiled call, for the benchmarks."""
    model.compile(optimizer=keras.optimizers.Adam(), loss=_loss_fn(head))
    return lambda: model.train_on_batch(x, y)


def infer_fn(model, x: np.ndarray):
    """Inference on one batch, as the as-written code calls the model (eager call, inference mode)."""
    return lambda: np.asarray(model(x, training=False))
