"""PyTorch training with the study's settings: batch 32, Adam with defaults, CrossEntropyLoss on logits, a
per-sample DataLoader with shuffle=True (as the study wrote it). Test accuracy on the full test set per epoch."""
from __future__ import annotations

import time

import numpy as np

from tfpt.data.datasets import Dataset, as_float
from tfpt.frameworks import import_torch
from models import torch_models
from models.spec import CNN
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order

torch = import_torch()
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def to_tensors(x_uint8: np.ndarray, y: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(as_float(x_uint8).transpose(0, 3, 1, 2))), torch.from_numpy(y.astype(np.int64))


def native_loader(x, y, batch_size: int, seed: int):
    g = torch.Generator()
    g.manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=g)


def shared_loader(x, y, batch_size: int, seed: int, epoch: int):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, sampler=shared_order(len(x), seed, epoch).tolist())


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray) -> float:
    device = next(model.parameters()).device
    if device.type != "cpu":
        model = model.to("cpu")
    acc = float((torch_models.predict(model, as_float(x_test_uint8)).argmax(1) == y_test).mean())
    model.to(device)
    return acc


# The tuned mode: the same model, optimizer, loss and batch size; only how the work is fed and run changes.
# Measured with `python -m tfpt.cli.tune` (2-core CPU, torch 2.14.1, seconds of epoch 1 / epoch 2; this machine
# drifts by up to 40 % between minutes, so only large effects count):
#   DataLoader 20.2/16.8 and 14.5/13.8; preloaded 17.1/17.2; preloaded + channels_last 10.5/10.2 and 15.7/13.0;
#   DataLoader + channels_last 11.1/11.6; preloaded + torch.compile 42.6/20.1 (compile time; no gain after).
# channels_last is the one clear win (oneDNN's NHWC convolutions); preloaded slicing is kept since it never
# lost and removes per-sample collation; torch.compile is off.
AS_WRITTEN = {"loader": "dataloader", "channels_last": False, "compile": False}
TUNED = {"loader": "preloaded", "channels_last": True, "compile": False}
MODES = {"as-written": AS_WRITTEN, "tuned": TUNED}


def preloaded_batches(x, y, batch_size: int, order):
    """Batches sliced from the preloaded tensors by index: no per-sample __getitem__ and collate."""
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]


def epoch_batches(x, y, batch_size, seed, epoch, order, loader):
    if loader == "dataloader":
        return native_loader(x, y, batch_size, seed + epoch) if order == "native" else shared_loader(x, y, batch_size, seed, epoch)
    if order == "native":
        g = torch.Generator()
        g.manual_seed(seed + epoch)
        perm = torch.randperm(len(x), generator=g)
    else:
        perm = torch.from_numpy(shared_order(len(x), seed, epoch))
    return preloaded_batches(x, y, batch_size, perm)


def train(ds: Dataset, epochs: int = 1, seed: int = 0, order: str = "native", batch_size: int = 32,
          spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
          model=None, evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written",
          options: dict | None = None) -> tuple[object, RunResult]:
    """Train with the study's settings; `evaluate_epochs=False` skips the per-epoch test evaluation (benchmarks
    time training alone); `device` is "cpu" or "gpu"; `mode` "as-written" or "tuned" (or explicit `options`)."""
    from tfpt.adapters.devices import torch_device
    opts = {**MODES[mode], **(options or {})}
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = (model if model is not None else torch_models.build(spec)).to(dev)
    if opts["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if opts["compile"] else model
    optimizer = torch.optim.Adam(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = to_tensors(ds.x_train, ds.y_train)
    steps = -(-len(x) // batch_size)
    result = RunResult("torch", ds.name, seed, order, target=target, mode=mode)
    bar = Progress("torch", epochs, steps, enabled=progress)
    start = time.perf_counter()
    eval_time = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loader = epoch_batches(x, y, batch_size, seed, epoch, order, opts["loader"])
        model.train()
        loss_sum, correct, seen = torch.zeros(()), torch.zeros((), dtype=torch.long), 0
        for step, (xb, yb) in enumerate(loader, 1):
            if dev.type != "cpu":
                xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
            if opts["channels_last"]:
                xb = xb.contiguous(memory_format=torch.channels_last)
            optimizer.zero_grad()
            out = step_model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            seen += len(yb)
            if step % bar.every == 0:
                bar.step(epoch, step, loss_sum.item() / seen, correct.item() / seen)
            if eval_every and step % eval_every == 0 and step != steps:
                e0 = time.perf_counter()
                acc = evaluate(model, ds.x_test, ds.y_test)
                eval_time += time.perf_counter() - e0
                result.record_eval((epoch - 1) * steps + step, time.perf_counter() - start, acc)
                model.train()
        if dev.type != "cpu":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        e0 = time.perf_counter()
        acc = evaluate(model, ds.x_test, ds.y_test) if evaluate_epochs else float("nan")
        eval_seconds = time.perf_counter() - e0
        if evaluate_epochs:
            result.record_eval(epoch * steps, time.perf_counter() - start, acc)
        log = EpochLog(epoch, loss_sum.item() / seen, correct.item() / seen, acc, seconds - eval_time, eval_seconds + eval_time)
        eval_time = 0.0
        result.epochs.append(log)
        bar.epoch(log)
    return model, result
