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


def native_first_batch(fw: str, seed: int, n: int = 1024, batch_size: int = 32) -> np.ndarray:
    """The sample indices of the first batch each framework's native shuffle yields for `seed`."""
    if fw == "torch":
        from tfpt.adapters.torch_train import native_loader
        import torch
        xs = torch.arange(n, dtype=torch.float32)[:, None]
        return next(iter(native_loader(xs, torch.zeros(n, dtype=torch.long), batch_size, seed)))[0][:, 0].long().numpy()
    from tfpt.adapters.keras_train import recorded_batches
    return recorded_batches(np.arange(n, dtype=np.float32)[:, None], batch_size, seed, shuffle=True)[0][:, 0].astype(int)
