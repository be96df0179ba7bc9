"""Activation functions named once: each framework's spelling (Keras' "gelu", "swish", ReLU(max_value=6); PyTorch's
nn.GELU(approximate="tanh"), F.relu6, nn.LogSoftmax) as one canonical id, its words, and how to spell it on the
other side. Pure Python.

Same function, different names: Keras "swish"/"silu" and torch SiLU; Keras 3's hard_sigmoid (relu6(x + 3) / 6)
and torch Hardsigmoid; Keras hard_silu/hard_swish and torch Hardswish. Different functions under one name: GELU's
exact form (erf; Keras' default, torch's approximate="none") and its tanh approximation (they differ by up to
about 5e-4 in value); ReLU and ReLU6; softmax and log_softmax heads.
"""
from __future__ import annotations

# Keras spellings (activation function names, after keras.activations.get) -> canonical id.
_KERAS = {"relu": "relu", "relu6": "relu6", "gelu": "gelu_erf", "silu": "silu", "swish": "silu",
          "hard_sigmoid": "hard_sigmoid", "hard_silu": "hard_swish", "hard_swish": "hard_swish", "sigmoid": "sigmoid",
          "tanh": "tanh", "softmax": "softmax", "log_softmax": "log_softmax", "elu": "elu", "selu": "selu",
          "softplus": "softplus", "mish": "mish", "leaky_relu": "leaky_relu", "linear": "identity",
          "gelu_approximate": "gelu_tanh"}  # keras-hub's BERT feed-forward (keras_hub.src.utils.keras_utils)
# PyTorch module classes and functional ops (lower-cased) -> canonical id; GELU's form comes from `approximate`.
_TORCH = {"relu": "relu", "relu6": "relu6", "silu": "silu", "hardsigmoid": "hard_sigmoid", "hardswish": "hard_swish",
          "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "logsoftmax": "log_softmax",
          "log_softmax": "log_softmax", "elu": "elu", "selu": "selu", "softplus": "softplus", "mish": "mish",
          "leakyrelu": "leaky_relu", "leaky_relu": "leaky_relu", "identity": "identity",
          # Hugging Face transformers' activation modules (transformers.activations.ACT2CLS)
          "geluactivation": "gelu_erf", "gelutanh": "gelu_tanh", "pytorchgelutanh": "gelu_tanh",
          "newgeluactivation": "gelu_tanh", "fastgeluactivation": "gelu_tanh"}

WORDS = {"gelu_erf": "GELU, exact (erf)", "gelu_tanh": "GELU, tanh approximation", "relu": "ReLU",
         "relu6": "ReLU6 (capped at 6)", "silu": "SiLU/swish x*sigmoid(x)", "hard_sigmoid": "hard sigmoid relu6(x+3)/6",
         "hard_swish": "hard swish x*relu6(x+3)/6", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
         "log_softmax": "log_softmax", "elu": "ELU", "selu": "SELU", "softplus": "softplus", "mish": "mish",
         "leaky_relu": "leaky ReLU", "identity": "no activation"}
IN_TORCH = {"gelu_erf": "nn.GELU() (approximate='none')", "gelu_tanh": "nn.GELU(approximate='tanh')",
            "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "silu": "nn.SiLU()", "hard_sigmoid": "nn.Hardsigmoid()",
            "hard_swish": "nn.Hardswish()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
            "softmax": "nn.Softmax(dim=-1)", "log_softmax": "nn.LogSoftmax(dim=-1)", "elu": "nn.ELU()",
            "selu": "nn.SELU()", "softplus": "nn.Softplus()", "mish": "nn.Mish()", "leaky_relu": "nn.LeakyReLU()",
            "identity": "no activation"}
IN_KERAS = {"gelu_erf": "activation='gelu'", "gelu_tanh": "keras.activations.gelu(x, approximate=True)",
            "relu6": "activation='relu6'", "silu": "activation='silu'", "hard_swish": "activation='hard_swish'",
            "identity": "no activation"}


def keras_function(name: str | None, max_value=None, negative_slope=0.0) -> str | None:
    """The canonical id of a Keras activation (a name; a ReLU layer's max_value and negative_slope), or None."""
    if name is None:
        return None
    fn = _KERAS.get(str(name).lower())
    if fn == "relu" and negative_slope:
        return "leaky_relu"
    if fn == "relu" and max_value is not None and float(max_value) == 6.0:
        return "relu6"
    return fn


def torch_function(name: str | None, approximate: str | None = None, min_val=None, max_val=None) -> str | None:
    """The canonical id of a PyTorch activation module class or functional op (GELU's `approximate`; Hardtanh's
    bounds, (0, 6) being ReLU6), or None."""
    if name is None:
        return None
    key = str(name).lower().rstrip("_")
    if key == "gelu":
        return "gelu_tanh" if approximate == "tanh" else "gelu_erf"
    if key == "hardtanh" and (min_val, max_val) == (0.0, 6.0):
        return "relu6"
    return _TORCH.get(key)


def in_words(fn: str) -> str:
    return WORDS.get(fn, fn)


def fix(keras_fn: str, torch_fn: str) -> str:
    """How to make the two sides apply the same function: the Keras one spelled in torch, or the other way."""
    keras_side = IN_KERAS.get(torch_fn, f"activation='{torch_fn}'")
    return f"use {IN_TORCH.get(keras_fn, keras_fn)} in torch, or {keras_side} in Keras"
