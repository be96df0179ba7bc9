"""Root conftest of this repository: its pytest fixtures (fixtures/) and its registered model pairs (models/).
Options, markers, skips, seeds and measurements come from the installed plugin, tfpt.pytest_plugin, which pytest
loads first (it also imports torch before TensorFlow: see that module for why)."""

import models.pairs  # noqa: F401  (registers this repository's pairs for every generic check and benchmark)
import models.transformer  # noqa: F401  (the transformer encoder block pair)
from fixtures.data import fashion, mnist, mnist_batch, tiny  # noqa: F401  (fixtures, registered by import)
