"""Probing each framework's native shuffling: the first batch its own loader yields for a seed."""
from __future__ import annotations

import numpy as np


def native_first_batch(fw: str, seed: int, n: int = 1024, batch_size: int = 32) -> np.ndarray:
    """The sample indices of the first batch each framework's native shuffle yields for `seed`."""
    if fw == "torch":
        import torch

        from tfpt.frameworks.torch.train import native_loader
        xs = torch.arange(n, dtype=torch.float32)[:, None]
        return next(iter(native_loader(xs, torch.zeros(n, dtype=torch.long), batch_size, seed)))[0][:, 0].long().numpy()
    from tfpt.frameworks.keras.train import recorded_batches
    first = recorded_batches(np.arange(n, dtype=np.float32)[:, None], batch_size, seed, shuffle=True)[0]
    return first[:, 0].astype(int)
