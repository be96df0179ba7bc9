"""Keras side: the spec CNN built from `tfpt.spec`, the study's `Sequential` as written, and layer taps.

Works with Keras 3 (TF >= 2.16) and with tf.keras of Keras 2 (TF <= 2.15): only APIs common to both are used.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict

import numpy as np

from tfpt.convert.kinds import Kind
from tfpt.frameworks import import_keras as _keras, import_tf, keras_on_tf
from tfpt.spec import CNN, STUDY_KERAS, ModelSpec, param_layers

tf = import_tf() if keras_on_tf() else None  # None in a Keras-on-torch or -JAX worker: Keras alone is imported
keras = _keras()
layers = keras.layers


def _layer(layer):
    if layer.kind == Kind.CONV:
        return layers.Conv2D(layer.filters, (layer.kernel, layer.kernel), activation=layer.activation, name=layer.name)
    if layer.kind == Kind.MAXPOOL:
        return layers.MaxPooling2D(pool_size=(layer.size, layer.size), name=layer.name)
    if layer.kind == Kind.FLATTEN:
        return layers.Flatten(name=layer.name)
    if layer.kind == Kind.DENSE:
        return layers.Dense(layer.units, activation=layer.activation, name=layer.name)
    if layer.kind == Kind.RELU:
        return layers.ReLU(name=layer.name)
    if layer.kind == Kind.SOFTMAX:
        return layers.Softmax(name=layer.name)
    raise ValueError(f"unknown layer kind {layer.kind!r}")


def build_spec(spec: ModelSpec = CNN) -> "keras.Model":
    return keras.Sequential([keras.Input(shape=spec.input_shape)] + [_layer(layer) for layer in spec.layers],
                            name=spec.name.replace("-", "_"))


@contextlib.contextmanager
def precision(dtype: str = "float32"):
    """Layers built inside compute in `dtype`: "float32", or "bfloat16" through Keras' mixed_bfloat16 policy
    (float32 variables, bf16 compute). The global policy is restored after."""
    if dtype == "float32":
        yield
        return
    if dtype != "bfloat16":
        raise ValueError(f"precision must be float32 or bfloat16, got {dtype!r}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def build(spec: ModelSpec = CNN, seed: int | None = None):
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if spec is STUDY_KERAS:
        return study_model()
    return build_spec(spec)


def study_model():
    """The study's Keras model as it wrote it: the same stack, softmax on the last Dense."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(5, 5), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(5, 5), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    return model


def spec_of(model) -> ModelSpec:
    return STUDY_KERAS if model.layers[-1].get_config().get("activation") == "softmax" else CNN


def named_layers(model) -> "OrderedDict[str, object]":
    """The model's layers under their spec names (the study's model has Keras' automatic names)."""
    spec = spec_of(model)
    if len(model.layers) != len(spec.layers):
        raise ValueError(f"{model.name} has {len(model.layers)} layers, its spec {spec.name} {len(spec.layers)}")
    return OrderedDict(zip(spec.names, model.layers, strict=True))


def layer_outputs(model, x_nhwc: np.ndarray) -> "OrderedDict[str, np.ndarray]":
    """Inference-mode (training=False) activations of every spec layer, for a channels-last numpy batch."""
    out, x = OrderedDict(), tf.convert_to_tensor(x_nhwc) if tf is not None else keras.ops.convert_to_tensor(x_nhwc)
    for name, layer in named_layers(model).items():
        x = layer(x, training=False)
        out[name] = to_numpy(x)
    return out


def to_numpy(t) -> np.ndarray:
    """A backend tensor as numpy (Keras 2 has no keras.ops; a torch output that requires grad needs detaching)."""
    return np.asarray(t) if tf is not None else keras.ops.convert_to_numpy(t)


def predict(model, x_nhwc: np.ndarray, batch: int = 1000) -> np.ndarray:
    return np.concatenate([to_numpy(model(x_nhwc[i:i + batch], training=False))
                           for i in range(0, len(x_nhwc), batch)])


def get_weights(model) -> "OrderedDict[str, tuple[np.ndarray, np.ndarray]]":
    """Canonical weights (Keras' own layout) of every parameter layer; copies."""
    named = named_layers(model)
    return OrderedDict((layer.name, tuple(np.array(w) for w in named[layer.name].get_weights()))
                       for layer in param_layers(spec_of(model)))


def set_weights(model, weights):
    named = named_layers(model)
    for layer in param_layers(spec_of(model)):
        named[layer.name].set_weights([np.asarray(w) for w in weights[layer.name]])
    return model


def layer_params(model, name: str) -> int:
    """Parameters of one spec layer of `model`."""
    return int(named_layers(model)[name].count_params())


def layer_outputs_on(model, x_nhwc: np.ndarray, device: str) -> "OrderedDict[str, np.ndarray]":
    """layer_outputs computed on `device` ("cpu" or "gpu")."""
    from tfpt.frameworks.keras.devices import device as tf_device
    with tf.device(tf_device(device)):
        return layer_outputs(model, x_nhwc)
