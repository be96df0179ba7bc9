"""PyTorch's native shuffling, probed: the first batch its own loader (the trainer's DataLoader) yields for a seed."""
from __future__ import annotations

import numpy as np


def first_batch(seed: int, n: int = 1024, batch_size: int = 32) -> np.ndarray:
    """The sample indices of the first batch PyTorch's native shuffle yields for `seed`."""
    import torch

    from tfpt.frameworks.torch.train import native_loader
    xs = torch.arange(n, dtype=torch.float32)[:, None]
    return next(iter(native_loader(xs, torch.zeros(n, dtype=torch.long), batch_size, seed)))[0][:, 0].long().numpy()
