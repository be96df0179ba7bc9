"""The framework boundary: every module in this folder may import TensorFlow/Keras or torch; nothing else in the
library does (tests/test_boundary.py reads the imports to enforce it)."""
from __future__ import annotations

import importlib


def trainer(fw: str):
    """The training module of one framework (imports that framework)."""
    if fw not in ("tf", "torch"):
        raise ValueError(f"unknown framework {fw!r}; use 'tf' or 'torch'")
    return importlib.import_module("tfpt.adapters." + ("keras_train" if fw == "tf" else "torch_train"))


def study_code(fw: str):
    """The study's own code of one framework, as written (imports that framework)."""
    if fw not in ("tf", "torch"):
        raise ValueError(f"unknown framework {fw!r}; use 'tf' or 'torch'")
    return importlib.import_module("tfpt.adapters." + ("study_code_keras" if fw == "tf" else "study_code_torch"))


def get(fw: str):
    """The model-pair adapter of one framework (imports that framework, in the safe order)."""
    if fw not in ("tf", "torch"):
        raise ValueError(f"unknown framework {fw!r}; use 'tf' or 'torch'")
    return importlib.import_module("tfpt.adapters." + ("keras_pair" if fw == "tf" else "torch_pair"))
