"""Framework code that still holds both frameworks and branches inside (benchmark bodies, exports, devices, steps):
every module here may import TensorFlow/Keras or torch, as may each framework's folder (tfpt.frameworks.<name>);
nothing else in the library does (tests/test_boundary.py reads the imports to enforce it). Which module serves which
framework is read from the one registry (tfpt.frameworks.registry), never from a comparison of names."""
from __future__ import annotations

from tfpt.frameworks import registry


def trainer(fw: str):
    """The training module of one framework (imports that framework)."""
    return registry.get(fw).module("trainer")


def study_code(fw: str):
    """The study's own code of one framework, as written (imports that framework)."""
    return registry.get(fw).module("study_code")


def cnn(fw: str):
    """The module building the study's CNNs in one framework (spec and as written): build, layer_outputs,
    layer_params, predict, spec_of, get_weights / set_weights in the canonical (Keras) layout (imports that
    framework)."""
    return registry.get(fw).module("cnn")


def get(fw: str):
    """The model-pair adapter of one framework (imports that framework, in the safe order)."""
    return registry.get(fw).module("adapter")
