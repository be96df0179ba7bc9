"""Root conftest of this repository: its pytest fixtures (fixtures/) and its registered model pairs (models/).
Options, markers, skips, seeds and measurements come from the installed plugin, tfpt.pytest_plugin, which pytest
loads first (it also imports torch before TensorFlow: see that module for why). Hypothesis draws the same
examples on every CI run and explores on a developer's machine (tests/hypothesis_profiles.py)."""

import os

import models.pairs  # noqa: F401  (registers this repository's pairs for every generic check and benchmark)
import models.transformer  # noqa: F401  (the transformer encoder block pair)
from fixtures.data import fashion, mnist, mnist_batch, tiny  # noqa: F401  (fixtures, registered by import)
from tests import hypothesis_profiles

hypothesis_profiles.load(os.environ)  # before any test module builds its @settings from the default profile
