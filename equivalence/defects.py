"""Known-defective converters and models for the negative controls: each must make the generic pair checks
(tfpt.checks.pairs) fail and name the layer where the defect first shows. A checker that cannot fail is not a
checker. The converters are registered only inside `installed(...)` (the latest registration wins in
tfpt.convert.find), so no other test sees them."""
from __future__ import annotations

import contextlib
import dataclasses

from tfpt import convert
from tfpt.convert.layers import ConvConverter, DenseConverter
from tfpt.spec import CNN, Layer, ModelSpec


class ForgetsFlattenPermutation(DenseConverter):
    """Transposes a Dense kernel as if Keras and PyTorch flattened in the same order (H, W, C = C, H, W)."""

    name = "dense-forgets-flatten-permutation"

    def _to_torch(self, k, t, ctx):
        return super()._to_torch(k, t, dataclasses.replace(ctx, flatten_source=None))


class TransposesConv1Wrong(ConvConverter):
    """Maps conv1's (kh, kw, in, out) to (out, in, kw, kh): the kernel's rows and columns swapped."""

    name = "conv-transposes-conv1-wrong"

    def _to_torch(self, k, t, ctx):
        out = super()._to_torch(k, t, ctx)
        if k.name == "conv1":
            out["weight"] = out["weight"].transpose(0, 1, 3, 2).copy()
        return out


@contextlib.contextmanager
def installed(converter):
    """`converter` registered (taking precedence over the built-in one) for the `with` block only."""
    convert.register(converter)
    try:
        yield converter
    finally:
        convert.unregister(converter)


def without_relu(spec: ModelSpec, layer_name: str) -> ModelSpec:
    """The spec with one layer's fused ReLU removed."""
    layers = tuple(Layer(**{**layer.__dict__, "activation": None}) if layer.name == layer_name else layer
                   for layer in spec.layers)
    return ModelSpec(name=f"{spec.name}-no-relu-{layer_name}", input_shape=spec.input_shape, layers=layers,
                     head=spec.head)


CNN_WITHOUT_CONV2_RELU = without_relu(CNN, "conv2")


def torch_without_conv2_relu():
    """The spec pair's PyTorch side built without conv2's ReLU (the Keras side keeps it)."""
    from tfpt.frameworks.torch.cnn import SpecNet
    return SpecNet(CNN_WITHOUT_CONV2_RELU)
