"""The framework boundary: every module in this folder may import TensorFlow/Keras or torch; nothing else in the
library does (tests/test_boundary.py reads the imports to enforce it). Which module serves which framework is
read from the one registry (tfpt.frameworks.registry), never from a comparison of names."""
from __future__ import annotations

from tfpt.frameworks import registry


def trainer(fw: str):
    """The training module of one framework (imports that framework)."""
    return registry.get(fw).module("trainer")


def study_code(fw: str):
    """The study's own code of one framework, as written (imports that framework)."""
    return registry.get(fw).module("study_code")


def get(fw: str):
    """The model-pair adapter of one framework (imports that framework, in the safe order)."""
    return registry.get(fw).module("adapter")
