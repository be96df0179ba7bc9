"""Keras side of the weight converters: a Keras layer as a `LayerRecord`, and converted weights written back.

Works with Keras 3 (variables named by `.path`, e.g. "lstm/lstm_cell/kernel") and Keras 2's tf.keras (names like
"lstm/lstm_cell/kernel:0"); records keep the last path component ("kernel"), which is what the converters use,
except in a composite layer where two weights share it (MultiHeadAttention's query, key, value and output each
hold a "kernel"): there every weight is keyed by its path inside the layer ("query/kernel", "output/bias").
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.convert import LayerRecord

_PLAIN = (str, int, float, bool, type(None))


def _plain(value):
    """Config values converters can read: scalars, strings, and lists/tuples of them (initialisers, regularisers
    and dtype policies, which are nested dicts or objects, are left out)."""
    if isinstance(value, _PLAIN):
        return True
    return isinstance(value, (list, tuple)) and all(isinstance(v, _PLAIN) for v in value)


def short_name(variable) -> str:
    path = getattr(variable, "path", None) or variable.name
    return path.split("/")[-1].split(":")[0]


def inner_name(layer, variable) -> str:
    """The variable's path inside the layer: "query/kernel" for mha/query/kernel (the layer's own name and any
    scope above it dropped)."""
    parts = (getattr(variable, "path", None) or variable.name).split(":")[0].split("/")
    if layer.name in parts:
        parts = parts[parts.index(layer.name) + 1:]
    return "/".join(parts) or short_name(variable)


def weight_names(layer) -> list[str]:
    """Each of the layer's weights' key in a record: the short name where those are unique, else the path
    inside the layer (for every weight of the layer, so a converter sees one scheme)."""
    short = [short_name(v) for v in layer.weights]
    if len(set(short)) == len(short):
        return short
    inner = [inner_name(layer, v) for v in layer.weights]
    if len(set(inner)) != len(inner):
        raise ValueError(f"Keras layer {layer.name!r} has two weights at the same path ({sorted(inner)}); give "
                         f"its sublayers distinct names")
    return inner


def keras_record(layer) -> LayerRecord:
    """The layer's class, plain config and weights (numpy copies, Keras' order). The layer must be built."""
    if not layer.built:
        raise ValueError(f"Keras layer {layer.name!r} is not built: call it on an input (or build it) first")
    weights = OrderedDict((name, np.array(variable.numpy(), copy=True))
                          for name, variable in zip(weight_names(layer), layer.weights, strict=True))
    config = {key: value for key, value in layer.get_config().items() if _plain(value)}
    act = getattr(layer, "activation", None)  # a composite's (keras-hub's TransformerEncoder) is serialized: a dict
    if callable(act) and not isinstance(config.get("activation"), str) and getattr(act, "__name__", None):
        config["activation"] = act.__name__
    return LayerRecord("tf", layer.name, type(layer).__name__, config, weights)


def set_keras_weights(layer, weights: dict) -> None:
    """Assign {short name: array} to the layer's variables, exactly: every variable named once, same shapes."""
    variables = dict(zip(weight_names(layer), layer.weights, strict=True))
    if set(weights) != set(variables):
        raise ValueError(f"Keras layer {layer.name!r} holds weights {sorted(variables)}, got {sorted(weights)}; "
                         f"pass exactly the names keras_record() reports")
    for name, value in weights.items():
        value = np.asarray(value)
        target = variables[name]
        if tuple(target.shape) != value.shape:
            raise ValueError(f"Keras layer {layer.name!r}: {name} has shape {tuple(target.shape)}, got "
                             f"{value.shape}; convert with the record of this very layer")
        target.assign(value.astype(np.dtype(_dtype_name(target)), copy=False))


def _dtype_name(variable) -> str:
    dtype = variable.dtype
    return dtype if isinstance(dtype, str) else dtype.name  # Keras 3: "float32"; tf.keras 2: tf.DType
