"""Defaults audit: the framework defaults that decide whether "the same model" trains the same, read from the
installed versions (never typed in) by each framework folder's `defaults` module, and the values pinned per
version (each folder's PINNED) so a release that changes one fails.

`defaults_table()` -> {"torch": {key: value}, "tf": {key: value}} for the in-process frameworks installed here.
"""
from __future__ import annotations

import numpy as np

from tfpt import frameworks

KEYS = ("adam.learning_rate", "adam.beta_1", "adam.beta_2", "adam.epsilon", "adam.epsilon_placement",
        "conv.kernel_init", "conv.bias_init", "dense.kernel_init", "dense.bias_init",
        "batchnorm.momentum", "batchnorm.epsilon", "padding_same.extra_pad_side", "padding_same.strided",
        "image_data_format")


def pinned(fw: str, version: str) -> dict:
    """The values pinned for `fw` at `version` (its folder's PINNED: per-version entries override the base)."""
    own = frameworks.get(fw).part("defaults").PINNED
    table = dict(own["base"])
    table.update(own.get(".".join(version.split(".")[:2]), {}))
    return table


def extra_pad_side(conv_same_output: np.ndarray) -> str:
    """Where a 2x2 'same' conv of all-ones sees a single impulse at (1, 1) of a 3x3 image tells the padding:
    the output at (0, 0) covers rows/cols 0-1 if the extra pad is bottom/right, else rows/cols -1..0."""
    return "bottom/right" if conv_same_output[0, 0] == 1.0 else "top/left"


def defaults_table() -> dict:
    """Each installed in-process framework's defaults, PyTorch's read first (imported before TensorFlow)."""
    frameworks.torch_first()
    return {fw.id: fw.part("defaults").defaults() for fw in frameworks.native() if frameworks.installed(fw.id)}


def render(table: dict) -> str:
    fws = [fw for fw in frameworks.native() if fw.id in table]
    v = frameworks.versions()
    lines = ["| default | " + " | ".join(fw.part("defaults").header(v) for fw in fws) + " |",
             "|---|" + "---|" * len(fws)]
    lines += [f"| {key} | " + " | ".join(str(table[fw.id][key]) for fw in fws) + " |" for key in KEYS]
    return "\n".join(lines)
