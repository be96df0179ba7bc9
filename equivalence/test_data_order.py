"""The data-order option: with order='shared' both frameworks see identical batches; natively they differ."""
import numpy as np
import pytest

from tfpt.training.order import shared_order

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def test_shared_order_gives_both_frameworks_the_same_batches():
    import torch

    from tfpt.frameworks.keras.train import recorded_batches
    from tfpt.frameworks.torch.train import shared_loader

    n, seed, epoch = 256, 3, 2
    ids = np.arange(n, dtype=np.float32)[:, None]
    torch_batches = [xb[:, 0].long().numpy() for xb, _ in
                     shared_loader(torch.from_numpy(ids), torch.zeros(n, dtype=torch.long), 32, seed, epoch)]
    order = shared_order(n, seed, epoch)
    keras_batches = [b[:, 0].astype(int) for b in recorded_batches(ids[order], 32, seed, shuffle=False)]
    assert len(torch_batches) == len(keras_batches) == 8
    for t, k in zip(torch_batches, keras_batches, strict=True):
        np.testing.assert_array_equal(t, k)


def test_shared_order_changes_per_epoch_and_seed():
    assert not np.array_equal(shared_order(100, 0, 1), shared_order(100, 0, 2))
    assert not np.array_equal(shared_order(100, 0, 1), shared_order(100, 1, 1))
    np.testing.assert_array_equal(shared_order(100, 0, 1), shared_order(100, 0, 1))
