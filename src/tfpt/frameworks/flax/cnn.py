"""Flax NNX side: the spec CNN built from `tfpt.spec`, the study's CNN as written in `nnx`, layer taps, the
loss and Adam of the study's settings, and weights in the canonical (Keras) layout. Imports JAX: only a Flax
worker process loads this module.

Weights need no conversion from Keras: `nnx.Conv` holds its kernel HWIO (kh, kw, in, out) and takes NHWC inputs,
as Keras' Conv2D does; `nnx.Linear` holds (in, out) as Keras' Dense; flattening an NHWC map in C order is Keras'
Flatten. Two settings differ from Flax's defaults and are set here: `nnx.Conv` pads "SAME" unless told "VALID"
(Keras' Conv2D: "valid"), and the kernels start from Flax's own initialiser (lecun_normal; Keras: glorot_uniform)
in a freshly built model, as each framework's own defaults do in the study.
"""
from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from tfpt.convert.kinds import Kind
from tfpt.settings import STUDY, AdamSettings, TrainSettings
from tfpt.spec import CNN, STUDY_KERAS, ModelSpec, input_shape_of, param_layers

FRAMEWORK = "flax"
PROBABILITY_CLIP = 1e-7  # Keras' cross-entropy on probabilities clips them to [1e-7, 1 - 1e-7] before the log


_SPECS: dict[str, ModelSpec] = {}


def _activation(name: str | None):
    return {None: lambda x: x, "relu": nnx.relu, "softmax": lambda x: nnx.softmax(x, axis=-1)}[name]


class SpecCNN(nnx.Module):
    """Any spec of tfpt.spec as nnx layers, one attribute per parameter layer under its spec name."""

    def __init__(self, spec: ModelSpec, rngs: nnx.Rngs, dtype=None):
        _SPECS[spec.name] = spec
        self.spec_name = spec.name  # a static attribute must hash for nnx.jit; a ModelSpec holds a dict
        for layer in param_layers(spec):
            shape = input_shape_of(spec, layer.name)
            if layer.kind == Kind.CONV:
                module = nnx.Conv(shape[-1], layer.filters, (layer.kernel, layer.kernel), padding="VALID",
                                  dtype=dtype, rngs=rngs)
            else:
                module = nnx.Linear(shape[-1], layer.units, dtype=dtype, rngs=rngs)
            setattr(self, layer.name, module)

    @property
    def spec(self) -> ModelSpec:
        return _SPECS[self.spec_name]

    def taps(self, x):
        """[(layer name, output)] of every spec layer, in order."""
        out = []
        for layer in self.spec.layers:
            if layer.kind in (Kind.CONV, Kind.DENSE):
                x = _activation(layer.activation)(getattr(self, layer.name)(x))
            elif layer.kind == Kind.MAXPOOL:
                x = nnx.max_pool(x, (layer.size, layer.size), strides=(layer.size, layer.size))
            elif layer.kind == Kind.FLATTEN:
                x = x.reshape(x.shape[0], -1)
            elif layer.kind == Kind.RELU:
                x = nnx.relu(x)
            elif layer.kind == Kind.SOFTMAX:
                x = nnx.softmax(x, axis=-1)
            else:
                raise ValueError(f"unknown layer kind {layer.kind!r}")
            out.append((layer.name, x))
        return out

    def __call__(self, x):
        return self.taps(x)[-1][1]


class StudyCNN(nnx.Module):
    """The study's Keras model as one would write it in Flax NNX: the same stack, softmax on the last Dense."""

    spec = STUDY_KERAS

    def __init__(self, rngs: nnx.Rngs, dtype=None):
        self.conv1 = nnx.Conv(1, 32, kernel_size=(5, 5), padding="VALID", dtype=dtype, rngs=rngs)
        self.conv2 = nnx.Conv(32, 64, kernel_size=(5, 5), padding="VALID", dtype=dtype, rngs=rngs)
        self.dense1 = nnx.Linear(4 * 4 * 64, 64, dtype=dtype, rngs=rngs)
        self.dense2 = nnx.Linear(64, 10, dtype=dtype, rngs=rngs)

    def __call__(self, x):
        x = nnx.max_pool(nnx.relu(self.conv1(x)), (2, 2), strides=(2, 2))
        x = nnx.max_pool(nnx.relu(self.conv2(x)), (2, 2), strides=(2, 2))
        x = nnx.relu(self.dense1(x.reshape(x.shape[0], -1)))
        return nnx.softmax(self.dense2(x), axis=-1)


def build(spec: ModelSpec = CNN, seed: int = 0, dtype=None) -> nnx.Module:
    rngs = nnx.Rngs(seed)
    return StudyCNN(rngs, dtype) if spec is STUDY_KERAS else SpecCNN(spec, rngs, dtype)


def spec_of(model) -> ModelSpec:
    return model.spec


def layer_outputs(model, x_nhwc: np.ndarray) -> "OrderedDict[str, np.ndarray]":
    """Every spec layer's activation for a channels-last numpy batch (the spec CNN; the study's model gives its
    output alone under its last layer's name)."""
    x = jnp.asarray(x_nhwc)
    taps = model.taps(x) if isinstance(model, SpecCNN) else [(model.spec.layers[-1].name, model(x))]
    return OrderedDict((name, np.asarray(v)) for name, v in taps)


def get_weights(model) -> "OrderedDict[str, tuple[np.ndarray, np.ndarray]]":
    """Canonical weights (Keras' layout, which is Flax's: nothing transposed) of every parameter layer; copies."""
    return OrderedDict((layer.name, (np.array(getattr(model, layer.name).kernel[...]),
                                     np.array(getattr(model, layer.name).bias[...])))
                       for layer in param_layers(model.spec))


def set_weights(model, weights):
    for layer in param_layers(model.spec):
        module, (kernel, bias) = getattr(model, layer.name), weights[layer.name]
        if module.kernel.shape != np.shape(kernel) or module.bias.shape != np.shape(bias):
            raise ValueError(f"{layer.name}: Flax holds kernel {module.kernel.shape}, bias {module.bias.shape}; "
                             f"got {np.shape(kernel)}, {np.shape(bias)} (Keras' layout is Flax's: HWIO, (in, out))")
        module.kernel[...] = jnp.asarray(kernel, module.kernel.dtype)
        module.bias[...] = jnp.asarray(bias, module.bias.dtype)
    return model


@nnx.jit
def forward(model, x):
    """The model's jitted call (compiled once per model structure and batch shape)."""
    return model(x)


def predict(model, x_nhwc: np.ndarray, batch: int = 1000) -> np.ndarray:
    return np.concatenate([np.asarray(forward(model, x_nhwc[i:i + batch])) for i in range(0, len(x_nhwc), batch)])


def make_loss(settings: TrainSettings = STUDY, head: str = "logits"):
    """Cross-entropy on what the settings say the loss of a `head` model takes, reduced as they say: optax's on
    logits; on probabilities, -log(clip(p_y, 1e-7, 1 - 1e-7)) as Keras computes it with from_logits=False."""
    reduce = jnp.mean if settings.reduction == "mean" else jnp.sum

    def on_logits(out, y):
        return reduce(optax.softmax_cross_entropy_with_integer_labels(out.astype(jnp.float32), y))

    def on_probabilities(out, y):
        p = jnp.take_along_axis(out.astype(jnp.float32), y[:, None], axis=-1)[:, 0]
        return reduce(-jnp.log(jnp.clip(p, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)))
    return on_logits if settings.loss_for(head) == "logits" else on_probabilities


def scale_by_adam_hat(b1: float, b2: float, eps: float) -> optax.GradientTransformation:
    """Adam's direction with epsilon added to sqrt(v) *before* bias correction (Keras' placement, "hat"):
    sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps). optax.scale_by_adam adds it after (torch's, "after")."""
    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return optax.ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=jax.tree.map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.float32)
        scale = jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        out = jax.tree.map(lambda m, v: scale * m / (jnp.sqrt(v) + eps), mu, nu)
        return out, optax.ScaleByAdamState(count=count, mu=mu, nu=nu)
    return optax.GradientTransformation(init, update)


def make_optimizer(settings: TrainSettings = STUDY) -> optax.GradientTransformation:
    """Optax Adam with the settings' hyperparameters for this framework's side (the Keras side: channels-last,
    Keras' spec): epsilon placed as they say ("hat": Keras', written with optax's moment updates; "after":
    optax.adam itself, which is torch's placement)."""
    a: AdamSettings = settings.adam(FRAMEWORK)
    if a.epsilon_placement == "after":
        return optax.adam(a.learning_rate, b1=a.beta_1, b2=a.beta_2, eps=a.epsilon)
    return optax.chain(scale_by_adam_hat(a.beta_1, a.beta_2, a.epsilon), optax.scale_by_learning_rate(a.learning_rate))


def optimizer_config(settings: TrainSettings = STUDY) -> dict:
    a = settings.adam(FRAMEWORK)
    return {"optimizer": "adam", "learning_rate": a.learning_rate, "beta_1": a.beta_1, "beta_2": a.beta_2,
            "epsilon": a.epsilon, "epsilon_placement": a.epsilon_placement}
