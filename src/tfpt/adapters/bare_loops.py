"""Hand-written training loops with the study's settings and nothing else (no progress lines, no recording): the
baseline the overhead script measures the suite's own epoch against."""
from __future__ import annotations

import time

import numpy as np

from tfpt.settings import STUDY


def bare_torch(ds, seed):
    import torch

    from tfpt.frameworks.torch.cnn import build
    from tfpt.frameworks.torch.train import make_loss, make_optimizer, native_loader, to_tensors
    x, y = to_tensors(ds.x_train, ds.y_train, STUDY)
    torch.manual_seed(seed)
    model = build()
    opt = make_optimizer(STUDY, model.parameters())
    loss_fn = make_loss(STUDY, "logits")
    loader = native_loader(x, y, STUDY.batch_size, seed)
    t0 = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()
    return time.perf_counter() - t0


def bare_tf(ds, seed):
    from tfpt.frameworks.keras.cnn import build, keras
    from tfpt.frameworks.keras.train import make_loss, make_optimizer
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(optimizer=make_optimizer(STUDY), loss=make_loss(STUDY, "logits"), metrics=["accuracy"])
    x, y = STUDY.scale_inputs(ds.x_train), ds.y_train.astype(np.int32)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=STUDY.batch_size, epochs=1, shuffle=True, verbose=0)
    return time.perf_counter() - t0


def bare_loop(fw: str):
    """The bare loop of framework `fw`; PyTorch's is imported first, in the safe order (tfpt.frameworks)."""
    if fw == "torch":
        from tfpt.frameworks import import_torch
        import_torch()
        return bare_torch
    return bare_tf
