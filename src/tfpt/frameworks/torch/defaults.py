"""PyTorch's defaults for the defaults audit (tfpt.checks.defaults), read from the installed torch, and the values
pinned per version."""
from __future__ import annotations

import inspect
import warnings

from tfpt import frameworks

# Values pinned; per-version entries ("2.14": {...}) override the base. A change in a new release fails
# test_defaults_are_pinned with the old and the new value, and belongs here with the version that changed it.
PINNED = {
    "base": {"adam.learning_rate": 0.001, "adam.beta_1": 0.9, "adam.beta_2": 0.999, "adam.epsilon": 1e-8,
             "adam.epsilon_placement": "sqrt(v_hat) + eps, after bias correction",
             "conv.kernel_init": "kaiming_uniform(a=sqrt(5))", "conv.bias_init": "uniform(±1/sqrt(fan_in))",
             "dense.kernel_init": "kaiming_uniform(a=sqrt(5))", "dense.bias_init": "uniform(±1/sqrt(fan_in))",
             "batchnorm.momentum": 0.9, "batchnorm.epsilon": 1e-5,
             "padding_same.extra_pad_side": "bottom/right", "padding_same.strided": "unsupported",
             "image_data_format": "channels_first"},
}


def header(versions: dict) -> str:
    """Its column's head in the rendered table, from tfpt.frameworks.versions()."""
    return f"torch {versions.get('torch', '?')}"


def _init(cls) -> tuple[str, str]:
    src = inspect.getsource(cls.reset_parameters)
    kernel = "kaiming_uniform(a=sqrt(5))" if "kaiming_uniform_(self.weight, a=math.sqrt(5))" in src else "changed"
    bias = "uniform(±1/sqrt(fan_in))" if "uniform_(self.bias, -bound, bound)" in src else "changed"
    return kernel, bias


def defaults() -> dict:
    from tfpt.checks.defaults import extra_pad_side
    torch = frameworks.import_torch()
    nn = torch.nn
    adam = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    bn = nn.BatchNorm2d(1)
    conv_k, conv_b = _init(nn.modules.conv._ConvNd)
    dense_k, dense_b = _init(nn.Linear)
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
        "padding_same.extra_pad_side": extra_pad_side(same), "padding_same.strided": strided,
        "image_data_format": "channels_first",  # nn.Conv2d takes (N, C, H, W); there is no global switch
    }
