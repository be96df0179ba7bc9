"""The generic checks over every registered pair (models/pairs.py, registered by the root conftest): layer
correspondence, output shapes, per-layer forward both ways, exact weight round trip, gradients, SGD steps,
determinism. The tests themselves live in the package (tfpt.testing.pair_checks) so that `pytest --pair
mymodule:my_pair` runs them anywhere."""
from tfpt.testing.pair_checks import *  # noqa: F403  (the generic checks, collected from here)
