"""Known-defective converters and models for the negative controls: each must make the comparator fail and
name the layer where the defect first shows. A checker that cannot fail is not a checker."""
from __future__ import annotations

import numpy as np

from tfpt.study.layouts import flatten_source_shape, keras_to_torch, param_layers
from tfpt.study.spec import CNN, Layer, ModelSpec


def _load(torch_model, weights, convert):
    import torch

    from tfpt.adapters.study_torch import param_module, spec_of
    spec = spec_of(torch_model)
    with torch.no_grad():
        for layer in param_layers(spec):
            kernel, bias = weights[layer.name]
            mod = param_module(torch_model, layer.name)
            mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(convert(spec, layer, kernel))))
            mod.bias.copy_(torch.from_numpy(bias))
    return torch_model


def forgets_flatten_permutation(torch_model, weights):
    """Transposes dense1 as if Keras and PyTorch flattened in the same order."""
    return _load(torch_model, weights, lambda spec, layer, k: keras_to_torch(layer.kind, k, None))


def transposes_conv1_wrong(torch_model, weights):
    """Maps conv1's (kh, kw, in, out) to (out, in, kw, kh): the kernel's rows and columns swapped."""
    def convert(spec, layer, k):
        if layer.name == "conv1":
            return k.transpose(3, 2, 1, 0)
        return keras_to_torch(layer.kind, k, flatten_source_shape(spec, layer.name))
    return _load(torch_model, weights, convert)


def without_relu(spec: ModelSpec, layer_name: str) -> ModelSpec:
    """The spec with one layer's fused ReLU removed."""
    layers = tuple(Layer(**{**layer.__dict__, "activation": None}) if layer.name == layer_name else layer
                   for layer in spec.layers)
    return ModelSpec(name=f"{spec.name}-no-relu-{layer_name}", input_shape=spec.input_shape, layers=layers,
                     head=spec.head)


CNN_WITHOUT_CONV2_RELU = without_relu(CNN, "conv2")
