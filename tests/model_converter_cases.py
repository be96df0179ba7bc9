"""Layer pairs for the converters real models need (transposed and separable convs, group norm, ConvNeXt's
channels-first layer norm and layer scale, attention): one Keras layer and its PyTorch module each, seeded random
weights, the input they share, and how each side is called.

Frameworks are imported when a case is built, never at import time, so collecting the tests needs neither.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from tests.layer_cases import random_weights
from tfpt.convert import find


@dataclass(frozen=True)
class Case:
    id: str
    keras: Callable  # keras -> unbuilt layer
    torch: Callable  # (torch.nn, tfpt.frameworks.torch.blocks) -> module
    shape: tuple  # the Keras-layout input shape
    layout: str = "channels_last"  # or "plain": the torch input is the Keras one
    attention: bool = False  # called as layer(x, x) / module(x, x, x)


def _layer_scale(k):
    from keras.src.applications.convnext import LayerScale
    return LayerScale(init_values=1e-6, projection_dim=6)


CASES = [
    Case("conv2d-transpose-same-s1", lambda k: k.layers.Conv2DTranspose(4, 3, padding="same"),
         lambda nn, b: nn.ConvTranspose2d(3, 4, 3, padding=1), (2, 5, 5, 3)),
    Case("conv2d-transpose-same-s2-k4", lambda k: k.layers.Conv2DTranspose(4, 4, strides=2, padding="same"),
         lambda nn, b: nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1), (2, 5, 5, 3)),
    Case("conv2d-transpose-valid-s2", lambda k: k.layers.Conv2DTranspose(4, 3, strides=2),
         lambda nn, b: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 5, 5, 3)),
    Case("conv2d-transpose-valid-s2-output-padding", lambda k: k.layers.Conv2DTranspose(4, 3, strides=2,
                                                                                       output_padding=1),
         lambda nn, b: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1), (2, 5, 5, 3)),
    Case("conv2d-transpose-same-s2-k2-nobias",
         lambda k: k.layers.Conv2DTranspose(4, 2, strides=2, padding="same", use_bias=False),
         lambda nn, b: nn.ConvTranspose2d(3, 4, 2, stride=2, bias=False), (2, 5, 5, 3)),
    Case("conv1d-transpose-same-s2-k4", lambda k: k.layers.Conv1DTranspose(4, 4, strides=2, padding="same"),
         lambda nn, b: nn.ConvTranspose1d(3, 4, 4, stride=2, padding=1), (2, 7, 3)),
    Case("separable-same", lambda k: k.layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same"),
         lambda nn, b: b.SeparableConv2d(3, 5, 3, padding=1, depth_multiplier=2), (2, 6, 6, 3)),
    Case("separable-s2-valid-nobias", lambda k: k.layers.SeparableConv2D(5, 3, strides=2, use_bias=False),
         lambda nn, b: b.SeparableConv2d(3, 5, 3, stride=2, bias=False), (2, 7, 7, 3)),
    Case("groupnorm", lambda k: k.layers.GroupNormalization(2, epsilon=1e-5),
         lambda nn, b: nn.GroupNorm(2, 6, eps=1e-5), (2, 4, 4, 6)),
    Case("layernorm2d", lambda k: k.layers.LayerNormalization(epsilon=1e-6),
         lambda nn, b: b.LayerNorm2d(6, eps=1e-6), (2, 4, 4, 6)),
    Case("layer-scale-channels-first", _layer_scale, lambda nn, b: b.LayerScale(6, channels_first=True),
         (2, 4, 4, 6)),
    Case("layer-scale", _layer_scale, lambda nn, b: b.LayerScale(6), (2, 5, 6), layout="plain"),
    Case("mha-packed", lambda k: k.layers.MultiHeadAttention(2, 4),
         lambda nn, b: nn.MultiheadAttention(8, 2, batch_first=True), (2, 5, 8), "plain", True),
    Case("mha-packed-nobias", lambda k: k.layers.MultiHeadAttention(2, 4, use_bias=False),
         lambda nn, b: nn.MultiheadAttention(8, 2, bias=False, batch_first=True), (2, 5, 8), "plain", True),
    Case("mha-qkv-linears", lambda k: k.layers.MultiHeadAttention(4, 2),
         lambda nn, b: b.QKVAttention(8, 4), (2, 5, 8), "plain", True),
]
BY_ID = {case.id: case for case in CASES}


@dataclass
class Built:
    case: Case
    layer: object
    module: object
    x: np.ndarray
    k: object  # LayerRecord of the Keras layer (random weights)
    t: object  # LayerRecord of the torch module (before conversion)
    converter: object


def call_keras(case: Case, layer, x):
    return layer(x, x, training=False) if case.attention else layer(x, training=False)


def build(case: Case, rng, torch_module=None) -> Built:
    """Both layers, built, the Keras one with seeded random weights; nothing converted yet."""
    from tfpt.frameworks import import_keras as keras, import_torch
    from tfpt.frameworks.keras.layers import keras_record, set_keras_weights
    from tfpt.frameworks.torch import blocks as torch_blocks
    from tfpt.frameworks.torch.layers import torch_record

    torch = import_torch()
    layer = case.keras(keras())
    module = (torch_module or case.torch(torch.nn, torch_blocks)).eval()
    x = rng.standard_normal(case.shape).astype(np.float32)
    call_keras(case, layer, x)  # builds the layer
    set_keras_weights(layer, random_weights(keras_record(layer), rng))
    k, t = keras_record(layer), torch_record(case.id, module)
    return Built(case, layer, module, x, k, t, find(k.cls, t.cls))


def load_torch(b: Built) -> None:
    from tfpt.frameworks.torch.layers import set_torch_weights
    set_torch_weights(b.module, b.converter.to_torch(b.k, b.t))


def torch_forward(b: Built, torch):
    """The module's output on the shared input, in Keras' layout (a torch tensor, for gradients)."""
    xt = torch.from_numpy(b.x)
    if b.case.layout == "channels_last":
        xt = xt.permute(0, b.x.ndim - 1, *range(1, b.x.ndim - 1))
    if b.case.attention:
        y = b.module(xt, xt, xt, need_weights=False)[0] if type(b.module).__name__ == "MultiheadAttention" \
            else b.module(xt)
    else:
        y = b.module(xt)
    return y.permute(0, *range(2, y.ndim), 1) if b.case.layout == "channels_last" else y


def outputs(b: Built) -> tuple[dict, dict]:
    """({layer: Keras output}, {layer: torch output}), keyed so a failure names the pair."""
    from tfpt.frameworks import import_torch
    torch = import_torch()
    with torch.no_grad():
        yt = torch_forward(b, torch).numpy()
    key = f"{b.k.name} <-> {b.case.id}"
    return {key: np.asarray(call_keras(b.case, b.layer, b.x))}, {key: yt}


def relative_gradient_errors(b: Built, rng) -> dict[str, float]:
    """||g_keras - converted g_torch|| / ||g_keras|| per Keras weight, for the loss sum(y * w) in Keras' layout."""
    from tfpt.frameworks import import_tf, import_torch
    from tfpt.frameworks.keras.layers import keras_record
    tf, torch = import_tf(), import_torch()
    names = list(keras_record(b.layer).weights)
    with tf.GradientTape() as tape:
        y = call_keras(b.case, b.layer, b.x)
        w = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        loss = tf.reduce_sum(y * w)
    grads = tape.gradient(loss, b.layer.weights)
    keras_g = {n: tf.convert_to_tensor(g).numpy() for n, g in zip(names, grads, strict=True)}
    (torch_forward(b, torch) * torch.from_numpy(w)).sum().backward()
    torch_g = {n: p.grad.numpy() for n, p in b.module.named_parameters()}
    converted = b.converter.grads_to_keras(torch_g, b.k, b.t)
    # Attention's key bias has an exactly zero gradient (softmax ignores a shift shared by every key): both sides
    # hold rounding noise there, so a gradient under 1e-4 of the largest is compared relative to the largest.
    largest = max(float(np.linalg.norm(g)) for g in keras_g.values())
    return {n: float(np.linalg.norm(converted[n] - g) / (n_g if (n_g := float(np.linalg.norm(g))) > 1e-4 * largest
                                                        else largest)) for n, g in keras_g.items()}


def torch_random(b: Built, rng):
    """The torch record with its own seeded random weights (a depthwise bias, which Keras lacks, stays zero)."""
    weights = random_weights(b.t, rng)
    for name in weights:
        if name.startswith("depthwise.") and name.endswith("bias"):
            weights[name] = np.zeros_like(weights[name])
    return replace(b.t, weights=weights)
