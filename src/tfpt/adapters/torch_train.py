"""PyTorch training with the study's settings (tfpt.settings.STUDY: batch 32, Adam with torch's defaults,
CrossEntropyLoss on logits, inputs x / 255), a per-sample DataLoader with shuffle=True (as the study wrote it).
Test accuracy on the full test set per epoch. The optimizer, loss, scaling and batch size are built from a
`TrainSettings` by `make_optimizer` / `make_loss` here and nowhere else."""
from __future__ import annotations

import time

import numpy as np

from tfpt.data.datasets import Dataset
from tfpt.frameworks import import_torch
from models import torch_models
from models.spec import CNN
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order
from tfpt.settings import STUDY, TrainSettings

torch = import_torch()
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def to_tensors(x_uint8: np.ndarray, y: np.ndarray, settings: TrainSettings = STUDY):
    x = settings.scale_inputs(x_uint8)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y.astype(np.int64))


def make_optimizer(settings: TrainSettings = STUDY, params=()):
    """torch's Adam with the settings' hyperparameters (torch adds eps after bias correction: 'after')."""
    a = settings.adam("torch")
    if a.epsilon_placement != "after":
        raise ValueError(f"torch's Adam adds eps after bias correction ('after'); settings ask for "
                         f"{a.epsilon_placement!r} (tfpt.adapters.steps.keras_epsilon_hat emulates 'hat' per step)")
    return torch.optim.Adam(params, lr=a.learning_rate, betas=(a.beta_1, a.beta_2), eps=a.epsilon)


class ProbabilityNLL(torch.nn.Module):
    """Cross-entropy on probabilities, as Keras computes it with from_logits=False: -log(clip(p_y, 1e-7, 1-1e-7))."""

    def __init__(self, reduction: str = "mean", clip: float = 1e-7):
        super().__init__()
        self.reduction, self.clip = reduction, clip

    def forward(self, probs, target):
        return torch.nn.functional.nll_loss(torch.log(probs.clamp(self.clip, 1 - self.clip)), target,
                                            reduction=self.reduction)


def make_loss(settings: TrainSettings = STUDY, head: str = "logits"):
    """Cross-entropy on what the settings say the loss of a `head` model takes: CrossEntropyLoss on logits,
    ProbabilityNLL on probabilities."""
    if settings.loss_for(head) == "logits":
        return torch.nn.CrossEntropyLoss(reduction=settings.reduction)
    return ProbabilityNLL(reduction=settings.reduction)


def optimizer_config(optimizer) -> dict:
    """The hyperparameters an optimizer object actually holds, in the settings' terms."""
    g = optimizer.param_groups[0]
    return {"optimizer": type(optimizer).__name__.lower(), "learning_rate": float(g["lr"]),
            "beta_1": float(g["betas"][0]), "beta_2": float(g["betas"][1]), "epsilon": float(g["eps"]),
            "epsilon_placement": "after"}


def loss_config(loss) -> dict:
    return {"loss_form": "probabilities" if isinstance(loss, ProbabilityNLL) else "logits",
            "reduction": loss.reduction}


def native_loader(x, y, batch_size: int, seed: int):
    g = torch.Generator()
    g.manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=g)


def shared_loader(x, y, batch_size: int, seed: int, epoch: int):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, sampler=shared_order(len(x), seed, epoch).tolist())


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray, settings: TrainSettings = STUDY) -> float:
    device = next(model.parameters()).device
    if device.type != "cpu":
        model = model.to("cpu")
    acc = float((torch_models.predict(model, settings.scale_inputs(x_test_uint8)).argmax(1) == y_test).mean())
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


def train(ds: Dataset, epochs: int = 1, seed: int = 0, order: str | None = None, batch_size: int | None = None,
          spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
          model=None, evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written",
          options: dict | None = None, settings: TrainSettings = STUDY, recorder=None) -> tuple[object, RunResult]:
    """Train with `settings` (the study's by default; `order` and `batch_size` override theirs when given);
    `evaluate_epochs=False` skips the per-epoch test evaluation (benchmarks time training alone); `device` is
    "cpu" or "gpu"; `mode` "as-written" or "tuned" (or explicit `options`); `recorder` sees every step's batch,
    loss and weights."""
    from tfpt.adapters.devices import torch_device
    settings = settings.changed(**{k: v for k, v in (("order", order), ("batch_size", batch_size)) if v is not None})
    order, batch_size = settings.order, settings.batch_size
    opts = {**MODES[mode], **(options or {})}
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = (model if model is not None else torch_models.build(spec)).to(dev)
    if opts["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if opts["compile"] else model
    optimizer = make_optimizer(settings, model.parameters())
    loss_fn = make_loss(settings, torch_models.spec_of(model).head)
    if recorder is not None:
        recorder.on_start(config={**optimizer_config(optimizer), **loss_config(loss_fn)},
                          weights=torch_models.get_weights(model))
    x, y = to_tensors(ds.x_train, ds.y_train, settings)
    steps = settings.steps_per_epoch(len(x))
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
            if recorder is not None:
                recorder.on_batch(xb.detach().cpu().permute(0, 2, 3, 1).numpy(), yb.cpu().numpy())
                recorder.on_loss(float(loss.detach()))
                recorder.on_step(torch_models.get_weights(model))
            loss_sum += loss.detach() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            seen += len(yb)
            if step % bar.every == 0:
                bar.step(epoch, step, loss_sum.item() / seen, correct.item() / seen)
            if eval_every and step % eval_every == 0 and step != steps:
                e0 = time.perf_counter()
                acc = evaluate(model, ds.x_test, ds.y_test, settings)
                eval_time += time.perf_counter() - e0
                result.record_eval((epoch - 1) * steps + step, time.perf_counter() - start, acc)
                model.train()
        if dev.type != "cpu":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        e0 = time.perf_counter()
        acc = evaluate(model, ds.x_test, ds.y_test, settings) if evaluate_epochs else float("nan")
        eval_seconds = time.perf_counter() - e0
        if evaluate_epochs:
            result.record_eval(epoch * steps, time.perf_counter() - start, acc)
        log = EpochLog(epoch, loss_sum.item() / seen, correct.item() / seen, acc, seconds - eval_time, eval_seconds + eval_time)
        eval_time = 0.0
        result.epochs.append(log)
        bar.epoch(log)
    return model, result
