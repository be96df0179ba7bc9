"""The study's MNIST CNN described once, as data.

Everything a test needs to know about the architecture (output shape and parameter count of every layer) is
derived here from the spec alone, so the Keras and PyTorch builders are checked against one source of truth.
Shapes are given channels-last (H, W, C), the layout of the dataset and of Keras.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from tfpt.convert.kinds import Kind
from tfpt.frameworks import registry
from tfpt.frameworks.base import KERAS_SIDE, TORCH_SIDE


@dataclass(frozen=True)
class Layer:
    name: str
    kind: Kind  # Kind.CONV (2-D) | MAXPOOL | RELU | FLATTEN | DENSE | SOFTMAX
    filters: int = 0
    kernel: int = 0
    size: int = 0
    units: int = 0
    activation: str | None = None  # fused activation of a conv / dense: "relu", "softmax" or None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[Layer, ...]
    head: str = "logits"  # what the last layer emits: "logits" or "softmax" probabilities
    notes: dict = field(default_factory=dict)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"{self.name} has no layer {name!r}; layers: {[layer.name for layer in self.layers]}")

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]


def output_shape(layer: Layer, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Output shape (without batch) of one layer for a channels-last input shape; 'valid' padding, stride 1."""
    if layer.kind == Kind.CONV:
        h, w, _ = in_shape
        return (h - layer.kernel + 1, w - layer.kernel + 1, layer.filters)
    if layer.kind == Kind.MAXPOOL:
        h, w, c = in_shape
        return (h // layer.size, w // layer.size, c)
    if layer.kind == Kind.FLATTEN:
        return (math.prod(in_shape),)
    if layer.kind == Kind.DENSE:
        return (layer.units,)
    if layer.kind in (Kind.RELU, Kind.SOFTMAX):
        return in_shape
    raise ValueError(f"unknown layer kind {layer.kind!r} in layer {layer.name!r}")


def param_count(layer: Layer, in_shape: tuple[int, ...]) -> int:
    """Trainable parameters (weights + biases) of one layer."""
    if layer.kind == Kind.CONV:
        return layer.kernel * layer.kernel * in_shape[-1] * layer.filters + layer.filters
    if layer.kind == Kind.DENSE:
        return in_shape[-1] * layer.units + layer.units
    return 0


def layer_table(spec: ModelSpec) -> list[tuple[str, tuple[int, ...], int]]:
    """[(layer name, output shape, parameter count)] in order, derived from the spec alone."""
    rows, shape = [], spec.input_shape
    for layer in spec.layers:
        params = param_count(layer, shape)
        shape = output_shape(layer, shape)
        rows.append((layer.name, shape, params))
    return rows


def total_params(spec: ModelSpec) -> int:
    return sum(params for _, _, params in layer_table(spec))


def input_shape_of(spec: ModelSpec, name: str) -> tuple[int, ...]:
    shape = spec.input_shape
    for layer in spec.layers:
        if layer.name == name:
            return shape
        shape = output_shape(layer, shape)
    raise KeyError(name)


# Conv2D 32 5x5 ReLU -> MaxPool 2 -> Conv2D 64 5x5 ReLU -> MaxPool 2 -> Flatten -> Dense 64 ReLU -> Dense 10.
# The head emits logits in both frameworks; the losses take logits (from_logits=True / CrossEntropyLoss).
CNN = ModelSpec(
    name="spec",
    input_shape=(28, 28, 1),
    layers=(
        Layer("conv1", Kind.CONV, filters=32, kernel=5, activation="relu"),
        Layer("pool1", Kind.MAXPOOL, size=2),
        Layer("conv2", Kind.CONV, filters=64, kernel=5, activation="relu"),
        Layer("pool2", Kind.MAXPOOL, size=2),
        Layer("flatten", Kind.FLATTEN),
        Layer("dense1", Kind.DENSE, units=64, activation="relu"),
        Layer("dense2", Kind.DENSE, units=10),
    ),
)

NUM_CLASSES = 10


def _replace(spec: ModelSpec, name: str, layers: tuple[Layer, ...], head: str) -> ModelSpec:
    return ModelSpec(name=name, input_shape=spec.input_shape, layers=layers, head=head)


# The study's models as it wrote them, described in the same terms so their shapes are derived, not typed.
# Keras: the same stack, the last Dense with softmax (probabilities; loss sparse_categorical_crossentropy).
STUDY_KERAS = _replace(
    CNN, "study-keras",
    tuple(Layer("dense2", Kind.DENSE, units=10, activation="softmax") if layer.name == "dense2" else layer
          for layer in CNN.layers),
    head="softmax",
)
# PyTorch: an extra ReLU after the second max-pool; logits head trained with CrossEntropyLoss.
STUDY_TORCH = _replace(
    CNN, "study-torch",
    CNN.layers[:4] + (Layer("relu_extra", Kind.RELU),) + CNN.layers[4:],
    head="logits",
)


# The two model pairs by the side of a ModelPair each model runs on: the spec built on both sides, and the
# study's two models as written.
MODELS = {
    "spec": {KERAS_SIDE: CNN, TORCH_SIDE: CNN},
    "study": {KERAS_SIDE: STUDY_KERAS, TORCH_SIDE: STUDY_TORCH},
}


def model_spec(pair: str, fw: str) -> ModelSpec:
    """The spec of framework `fw`'s model of `pair` ("spec" or "study"), by the side `fw` runs."""
    return MODELS[pair][registry.get(fw).side]


def forward_macs(spec: ModelSpec) -> int:
    """Multiply-adds of one image's forward pass, derived from the spec (convs and dense layers; pooling and
    activations are comparisons, not counted)."""
    macs, shape = 0, spec.input_shape
    for layer in spec.layers:
        out = output_shape(layer, shape)
        if layer.kind == Kind.CONV:
            macs += out[0] * out[1] * layer.kernel * layer.kernel * shape[-1] * layer.filters
        elif layer.kind == Kind.DENSE:
            macs += shape[-1] * layer.units
        shape = out
    return macs


def layer_macs(spec: ModelSpec = CNN) -> list:
    """Multiply-adds of one image's forward pass per conv / dense layer, in order."""
    out, shape = [], spec.input_shape
    for layer in spec.layers:
        nxt = output_shape(layer, shape)
        if layer.kind == Kind.CONV:
            out.append(nxt[0] * nxt[1] * layer.kernel * layer.kernel * shape[-1] * layer.filters)
        elif layer.kind == Kind.DENSE:
            out.append(shape[-1] * layer.units)
        shape = nxt
    return out


def train_flops_per_image(spec: ModelSpec = CNN) -> int:
    """FLOPs one training step computes per image, 2 per multiply-add: forward, the weight gradient of every
    layer, and the input gradient of every layer but the first (the images need no gradient, and neither
    framework computes it): 21.9 M for the CNN, where the usual 3 x forward (22.8 M) counts that one too.
    Checked against torch.utils.flop_counter.FlopCounterMode in tests/test_headline_figures.py."""
    macs = layer_macs(spec)
    return 2 * (sum(macs) + sum(macs) + sum(macs[1:]))


def param_layers(spec: ModelSpec) -> list:
    """The layers that hold weights (conv and dense), in order."""
    return [layer for layer in spec.layers if layer.kind in (Kind.CONV, Kind.DENSE)]


def flatten_source_shape(spec: ModelSpec, layer_name: str) -> tuple | None:
    """The (H, W, C) shape flattened into `layer_name`'s input, if a Flatten feeds it directly (ignoring
    parameter-free elementwise layers), else None: that Dense's kernel rows are permuted between Keras' H, W, C
    flatten order and PyTorch's C, H, W (tfpt.convert.layers does it)."""
    names = spec.names
    for prev in reversed(spec.layers[:names.index(layer_name)]):
        if prev.kind == Kind.FLATTEN:
            return input_shape_of(spec, prev.name)
        if prev.kind != Kind.RELU:
            return None
    return None
