"""Keras' native shuffling, probed: the first batch model.fit(shuffle=True) takes for a seed (the trainer's
recorded batches)."""
from __future__ import annotations

import numpy as np


def first_batch(seed: int, n: int = 1024, batch_size: int = 32) -> np.ndarray:
    """The sample indices of the first batch Keras' native shuffle yields for `seed`."""
    from tfpt.frameworks.keras.train import recorded_batches
    first = recorded_batches(np.arange(n, dtype=np.float32)[:, None], batch_size, seed, shuffle=True)[0]
    return first[:, 0].astype(int)
