"""Defaults audit: the framework defaults that decide whether "the same model" trains the same, read from the
installed versions (never typed in), and the values pinned per version so a release that changes one fails.

`defaults_table()` -> {"tf": {key: value}, "torch": {key: value}} for the frameworks installed here.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np

from tfpt import frameworks

KEYS = ("adam.learning_rate", "adam.beta_1", "adam.beta_2", "adam.epsilon", "adam.epsilon_placement",
        "conv.kernel_init", "conv.bias_init", "dense.kernel_init", "dense.bias_init",
        "batchnorm.momentum", "batchnorm.epsilon", "padding_same.extra_pad_side", "padding_same.strided",
        "image_data_format")

# Values pinned per framework; per-version entries override the base. A change in a new release fails
# test_defaults_are_pinned with the old and the new value, and belongs here with the version that changed it.
PINNED = {
    "tf": {
        "base": {"adam.learning_rate": 0.001, "adam.beta_1": 0.9, "adam.beta_2": 0.999, "adam.epsilon": 1e-7,
                 "adam.epsilon_placement": "sqrt(v) + eps, before bias correction (epsilon hat)",
                 "conv.kernel_init": "GlorotUniform", "conv.bias_init": "Zeros",
                 "dense.kernel_init": "GlorotUniform", "dense.bias_init": "Zeros",
                 "batchnorm.momentum": 0.99, "batchnorm.epsilon": 0.001,
                 "padding_same.extra_pad_side": "bottom/right", "padding_same.strided": "supported",
                 "image_data_format": "channels_last"},
    },
    "torch": {
        "base": {"adam.learning_rate": 0.001, "adam.beta_1": 0.9, "adam.beta_2": 0.999, "adam.epsilon": 1e-8,
                 "adam.epsilon_placement": "sqrt(v_hat) + eps, after bias correction",
                 "conv.kernel_init": "kaiming_uniform(a=sqrt(5))", "conv.bias_init": "uniform(±1/sqrt(fan_in))",
                 "dense.kernel_init": "kaiming_uniform(a=sqrt(5))", "dense.bias_init": "uniform(±1/sqrt(fan_in))",
                 "batchnorm.momentum": 0.9, "batchnorm.epsilon": 1e-5,
                 "padding_same.extra_pad_side": "bottom/right", "padding_same.strided": "unsupported",
                 "image_data_format": "channels_first"},
    },
}


def pinned(fw: str, version: str) -> dict:
    table = dict(PINNED[fw]["base"])
    table.update(PINNED[fw].get(".".join(version.split(".")[:2]), {}))
    return table


def _extra_pad_side(conv_same_output: np.ndarray) -> str:
    """Where a 2x2 'same' conv of all-ones sees a single impulse at (1, 1) of a 3x3 image tells the padding:
    the output at (0, 0) covers rows/cols 0-1 if the extra pad is bottom/right, else rows/cols -1..0."""
    return "bottom/right" if conv_same_output[0, 0] == 1.0 else "top/left"


def _f32(x) -> float:
    return float(f"{float(x):.7g}")


def _tf_defaults() -> dict:
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
        "padding_same.extra_pad_side": _extra_pad_side(same),
        "padding_same.strided": "supported" if strided else "unsupported",
        "image_data_format": k.backend.image_data_format(),
    }


def _torch_init(cls) -> tuple[str, str]:
    src = inspect.getsource(cls.reset_parameters)
    kernel = "kaiming_uniform(a=sqrt(5))" if "kaiming_uniform_(self.weight, a=math.sqrt(5))" in src else "changed"
    bias = "uniform(±1/sqrt(fan_in))" if "uniform_(self.bias, -bound, bound)" in src else "changed"
    return kernel, bias


def _torch_defaults() -> dict:
    torch = frameworks.import_torch()
    nn = torch.nn
    adam = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    bn = nn.BatchNorm2d(1)
    conv_k, conv_b = _torch_init(nn.modules.conv._ConvNd)
    dense_k, dense_b = _torch_init(nn.Linear)
    impulse = torch.zeros(1, 1, 3, 3)
    impulse[0, 0, 1, 1] = 1.0
    conv = nn.Conv2d(1, 1, 2, padding="same", bias=False)
    with torch.no_grad(), warnings.catch_warnings():
        # the even kernel is the point of the probe; torch warns that it pads a copy of the input for it
        warnings.simplefilter("ignore", UserWarning)
        conv.weight.fill_(1.0)
        same = conv(impulse)[0, 0].numpy()
    try:
        nn.Conv2d(1, 1, 2, stride=2, padding="same")
        strided = "supported"
    except ValueError:
        strided = "unsupported"
    return {
        "adam.learning_rate": float(adam["lr"]), "adam.beta_1": float(adam["betas"][0]),
        "adam.beta_2": float(adam["betas"][1]), "adam.epsilon": float(adam["eps"]),
        "adam.epsilon_placement": "sqrt(v_hat) + eps, after bias correction",
        "conv.kernel_init": conv_k, "conv.bias_init": conv_b, "dense.kernel_init": dense_k, "dense.bias_init": dense_b,
        # torch's momentum weighs the new batch statistic: 0.1 there is Keras' 0.9; reported in Keras' sense.
        "batchnorm.momentum": round(1.0 - float(bn.momentum), 6), "batchnorm.epsilon": float(bn.eps),
        "padding_same.extra_pad_side": _extra_pad_side(same), "padding_same.strided": strided,
        "image_data_format": "channels_first",  # nn.Conv2d takes (N, C, H, W); there is no global switch
    }


def defaults_table() -> dict:
    out = {}
    if frameworks.installed("torch"):
        out["torch"] = _torch_defaults()
    if frameworks.installed("tf"):
        out["tf"] = _tf_defaults()
    return out


def render(table: dict) -> str:
    fws = [fw for fw in ("tf", "torch") if fw in table]
    v = frameworks.versions()
    head = {"tf": f"TF {v.get('tensorflow', '?')} / Keras {v.get('keras', '?')}",
            "torch": f"torch {v.get('torch', '?')}"}
    lines = ["| default | " + " | ".join(head[f] for f in fws) + " |", "|---|" + "---|" * len(fws)]
    lines += [f"| {key} | " + " | ".join(str(table[f][key]) for f in fws) + " |" for key in KEYS]
    return "\n".join(lines)
