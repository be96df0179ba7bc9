"""Keras' defaults for the defaults audit (tfpt.checks.defaults), read from the installed Keras, and the values
pinned per version."""
from __future__ import annotations

import numpy as np

from tfpt import frameworks

# Values pinned; per-version entries ("2.21": {...}) override the base. A change in a new release fails
# test_defaults_are_pinned with the old and the new value, and belongs here with the version that changed it.
PINNED = {
    "base": {"adam.learning_rate": 0.001, "adam.beta_1": 0.9, "adam.beta_2": 0.999, "adam.epsilon": 1e-7,
             "adam.epsilon_placement": "sqrt(v) + eps, before bias correction (epsilon hat)",
             "conv.kernel_init": "GlorotUniform", "conv.bias_init": "Zeros",
             "dense.kernel_init": "GlorotUniform", "dense.bias_init": "Zeros",
             "batchnorm.momentum": 0.99, "batchnorm.epsilon": 0.001,
             "padding_same.extra_pad_side": "bottom/right", "padding_same.strided": "supported",
             "image_data_format": "channels_last"},
}


def header(versions: dict) -> str:
    """Its column's head in the rendered table, from tfpt.frameworks.versions()."""
    return f"TF {versions.get('tensorflow', '?')} / Keras {versions.get('keras', '?')}"


def _f32(x) -> float:
    return float(f"{float(x):.7g}")


def defaults() -> dict:
    from tfpt.checks.defaults import extra_pad_side
    k = frameworks.import_keras()
    adam = k.optimizers.Adam().get_config()
    conv, dense = k.layers.Conv2D(1, 2).get_config(), k.layers.Dense(1).get_config()
    bn = k.layers.BatchNormalization().get_config()

    def init_name(cfg):
        return cfg["class_name"] if isinstance(cfg, dict) else type(cfg).__name__

    impulse = np.zeros((1, 3, 3, 1), np.float32)
    impulse[0, 1, 1, 0] = 1.0
    layer = k.layers.Conv2D(1, 2, padding="same", use_bias=False, kernel_initializer="ones")
    same = np.asarray(layer(impulse))[0, :, :, 0]
    strided = k.layers.Conv2D(1, 2, strides=2, padding="same")(impulse).shape[1] == 2
    return {
        # Keras stores these as float32 variables: read back through 7 significant digits.
        "adam.learning_rate": _f32(adam["learning_rate"]), "adam.beta_1": _f32(adam["beta_1"]),
        "adam.beta_2": _f32(adam["beta_2"]), "adam.epsilon": _f32(adam["epsilon"]),
        # Keras' Adam: alpha = lr*sqrt(1-b2^t)/(1-b1^t); var -= alpha*m/(sqrt(v)+eps) -- eps unscaled by the
        # bias correction, i.e. "epsilon hat" of the Adam paper's section 2.
        "adam.epsilon_placement": "sqrt(v) + eps, before bias correction (epsilon hat)",
        "conv.kernel_init": init_name(conv["kernel_initializer"]),
        "conv.bias_init": init_name(conv["bias_initializer"]),
        "dense.kernel_init": init_name(dense["kernel_initializer"]),
        "dense.bias_init": init_name(dense["bias_initializer"]),
        "batchnorm.momentum": float(bn["momentum"]), "batchnorm.epsilon": float(bn["epsilon"]),
        "padding_same.extra_pad_side": extra_pad_side(same),
        "padding_same.strided": "supported" if strided else "unsupported",
        "image_data_format": k.backend.image_data_format(),
    }
