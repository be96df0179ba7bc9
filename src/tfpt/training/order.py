"""Data order: each framework's native shuffling (as the study ran), or one shared order for both.

With order="shared", epoch e of seed s visits the training set in `shared_order(n, s, e)`: one numpy
generator, so both frameworks see identical batches. With order="native" each framework shuffles with its own
RNG (DataLoader(shuffle=True) / fit(shuffle=True)), seeded by the run's seed.
"""
from __future__ import annotations

import numpy as np

ORDERS = ("native", "shared")


def shared_order(n: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)
