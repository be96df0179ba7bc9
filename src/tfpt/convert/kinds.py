"""Layer kinds: what a Keras layer, a PyTorch module or a PyTorch functional op computes, named once.

`Kind` is the one vocabulary the two tracers (tfpt.frameworks.keras.pair / tfpt.frameworks.torch.pair), the matcher
(tfpt.match) and the converters (`PARAMETRIC_KINDS`: the kinds that hold weights and so need one) share. It is a
`str`-valued Enum: `Kind.CONV == "conv"`, so a kind compares, hashes and prints as its plain name. `kind_of` maps a
class or op name of either framework to its kind. Pure Python.
"""
from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    CONV = "conv"
    DENSE = "dense"
    BATCHNORM = "batchnorm"
    LAYERNORM = "layernorm"
    EMBEDDING = "embedding"
    LSTM = "lstm"
    GRU = "gru"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    GLOBALAVGPOOL = "globalavgpool"
    GLOBALMAXPOOL = "globalmaxpool"
    UPSAMPLE = "upsample"
    RELU = "relu"
    ACTIVATION = "activation"  # any other elementwise activation (sigmoid, tanh, GELU, ...)
    SOFTMAX = "softmax"
    FLATTEN = "flatten"
    RESHAPE = "reshape"  # view, permute, transpose, unflatten
    DROPOUT = "dropout"
    PAD = "pad"
    IDENTITY = "identity"
    INPUT = "input"
    ADD = "add"
    MULTIPLY = "multiply"  # elementwise product (squeeze-excitation's channel gate)
    CONCAT = "concat"
    PREPROCESS = "preprocess"  # input scaling or normalisation by constants (Rescaling, Normalization)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


# What each class or functional op computes. Names compare lower-cased.
_KERAS_KINDS = {
    Kind.CONV: ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "DepthwiseConv1D", "SeparableConv2D",
                "Conv1DTranspose", "Conv2DTranspose", "Convolution1D", "Convolution2D"),
    Kind.DENSE: ("Dense", "EinsumDense"),
    Kind.BATCHNORM: ("BatchNormalization",),
    Kind.LAYERNORM: ("LayerNormalization",),
    Kind.EMBEDDING: ("Embedding",),
    Kind.LSTM: ("LSTM",),
    Kind.GRU: ("GRU",),
    Kind.MAXPOOL: ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D"),
    Kind.AVGPOOL: ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D"),
    Kind.GLOBALAVGPOOL: ("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D"),
    Kind.GLOBALMAXPOOL: ("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPool1D", "GlobalMaxPool2D"),
    Kind.UPSAMPLE: ("UpSampling1D", "UpSampling2D", "UpSampling3D"),
    Kind.RELU: ("ReLU",),
    Kind.ACTIVATION: ("Activation", "LeakyReLU", "ELU", "PReLU"),
    Kind.SOFTMAX: ("Softmax",),
    Kind.FLATTEN: ("Flatten",),
    Kind.RESHAPE: ("Reshape", "Permute"),
    Kind.DROPOUT: ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "AlphaDropout"),
    Kind.PAD: ("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"),
    Kind.INPUT: ("InputLayer",),
    Kind.ADD: ("Add",),
    Kind.MULTIPLY: ("Multiply",),
    Kind.CONCAT: ("Concatenate",),
    Kind.PREPROCESS: ("Rescaling", "Normalization"),
}
_TORCH_KINDS = {
    Kind.CONV: ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "conv1d", "conv2d", "conv3d"),
    Kind.DENSE: ("Linear", "linear", "addmm", "matmul"),
    Kind.BATCHNORM: ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "batch_norm"),
    Kind.LAYERNORM: ("LayerNorm", "layer_norm"),
    Kind.EMBEDDING: ("Embedding", "embedding"),
    Kind.LSTM: ("LSTM",),
    Kind.GRU: ("GRU",),
    Kind.MAXPOOL: ("MaxPool1d", "MaxPool2d", "MaxPool3d", "max_pool1d", "max_pool2d", "max_pool3d"),
    Kind.AVGPOOL: ("AvgPool1d", "AvgPool2d", "AvgPool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"),
    Kind.GLOBALAVGPOOL: ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"),
    Kind.GLOBALMAXPOOL: ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"),
    Kind.UPSAMPLE: ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "interpolate"),
    Kind.RELU: ("ReLU", "relu", "ReLU6", "relu6"),  # Keras' ReLU(max_value=6) is a ReLU layer too
    Kind.ACTIVATION: ("Sigmoid", "Tanh", "GELU", "SiLU", "ELU", "LeakyReLU", "PReLU", "Hardswish", "sigmoid",
                      "tanh", "gelu", "silu", "elu", "leaky_relu", "hardswish", "Hardsigmoid", "hardsigmoid", "Mish",
                      "mish", "SELU", "selu", "Softplus", "softplus"),
    Kind.SOFTMAX: ("Softmax", "LogSoftmax", "softmax", "log_softmax"),
    Kind.FLATTEN: ("Flatten", "flatten"),
    Kind.RESHAPE: ("Unflatten", "view", "reshape", "permute", "transpose", "unflatten", "Permute"),  # torchvision's
    Kind.DROPOUT: ("Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "dropout", "dropout1d", "dropout2d"),
    Kind.PAD: ("ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "pad"),
    Kind.IDENTITY: ("Identity",),
    Kind.ADD: ("add", "iadd"),
    Kind.MULTIPLY: ("mul", "imul"),
    Kind.CONCAT: ("cat", "concat"),
    Kind.PREPROCESS: ("Normalize",),  # torchvision.transforms.Normalize is an nn.Module
}
_KINDS = {fw: {name.lower(): kind for kind, names in table.items() for name in names}
          for fw, table in (("tf", _KERAS_KINDS), ("torch", _TORCH_KINDS))}

# Kinds whose layers hold weights: only these need a converter. A ReLU, a flatten or a pooling step carries none.
PARAMETRIC_KINDS = frozenset({Kind.CONV, Kind.DENSE, Kind.BATCHNORM, Kind.LAYERNORM, Kind.EMBEDDING, Kind.LSTM,
                              Kind.GRU})


def class_name(cls_or_op) -> str:
    if isinstance(cls_or_op, str):
        return cls_or_op
    if isinstance(cls_or_op, type) or callable(cls_or_op) and hasattr(cls_or_op, "__name__"):
        return cls_or_op.__name__
    return type(cls_or_op).__name__


def _torch_side(fw: str) -> bool:
    from tfpt.frameworks import TORCH_SIDE, get
    return get(fw).side == TORCH_SIDE


def kind_of(framework: str, cls_or_op) -> Kind | None:
    """The kind (Kind.CONV, Kind.DENSE, Kind.RELU, ...) of a Keras class or a PyTorch module class or functional
    op, given as a name ("Conv2d", "torch.nn.functional.max_pool2d", "relu_"), a class, a function or an
    instance; None when unknown. `framework` is "tf" (also "keras") or "torch"."""
    fw = {"keras": "tf"}.get(framework, framework)
    if fw not in _KINDS:
        raise ValueError(f"unknown framework {framework!r}; use 'tf' or 'torch'")
    name = class_name(cls_or_op).rsplit(".", 1)[-1]
    if _torch_side(fw) and name.endswith("_") and not name.endswith("__"):
        name = name[:-1]  # in-place variants: relu_, dropout_
    name = name.strip("_")  # Tensor dunders: __add__
    return _KINDS[fw].get(name.lower())


def needs_converter(kind: str | None) -> bool:
    return kind in PARAMETRIC_KINDS
