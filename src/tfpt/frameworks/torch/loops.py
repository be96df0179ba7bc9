"""PyTorch's bare training loop: the study's settings and nothing else (no progress lines, no recording), the
baseline the overhead script (tfpt.cli.overhead) measures the suite's own epoch against. Importing it imports
torch, in the safe order (tfpt.frameworks)."""
from __future__ import annotations

import time

from tfpt.frameworks import import_torch
from tfpt.settings import STUDY

import_torch()


def bare(ds, seed):
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
