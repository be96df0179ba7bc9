"""PyTorch training with the study's settings (tfpt.settings.STUDY: batch 32, Adam with torch's defaults,
CrossEntropyLoss on logits, inputs x / 255), a per-sample DataLoader with shuffle=True (as the study wrote it).
Test accuracy on the full test set per epoch. The optimizer, loss, scaling and batch size are built from a
`TrainSettings` by `make_optimizer` / `make_loss` here and nowhere else."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tfpt.data.datasets import Dataset
from tfpt.frameworks import import_torch
from tfpt.frameworks.torch import cnn as torch_models
from tfpt.settings import EVAL_BATCH, STUDY, TrainSettings
from tfpt.spec import CNN
from tfpt.training.clock import Stamp, describe as clock_describe
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order

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
                         f"{a.epsilon_placement!r} (tfpt.frameworks.torch.steps.keras_epsilon_hat emulates 'hat' per "
                         "step)")
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


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray, settings: TrainSettings = STUDY,
             batch: int = 1000) -> float:
    """Test accuracy, `batch` images per forward pass (the peak RSS of evaluation grows with it)."""
    device = next(model.parameters()).device
    if device.type != "cpu":
        model = model.to("cpu")
    acc = float((torch_models.predict(model, settings.scale_inputs(x_test_uint8), batch).argmax(1) == y_test).mean())
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
# bfloat16: torch.autocast around forward and loss (bf16 convolutions and matmuls, float32 parameters and
# optimizer state, the loss computed in float32 from the bf16 logits).
MODES = {"as-written": AS_WRITTEN, "tuned": TUNED, "tuned-bf16": {**TUNED, "precision": "bfloat16"}}


def autocast(dev, opts):
    """The precision context of one forward + loss: bf16 autocast, or nothing (float32)."""
    return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=opts.get("precision") == "bfloat16")


def preloaded_batches(x, y, batch_size: int, order):
    """Batches sliced from the preloaded tensors by index: no per-sample __getitem__ and collate."""
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]


def epoch_batches(x, y, batch_size, seed, epoch, order, loader):
    if loader == "dataloader":
        if order == "native":
            return native_loader(x, y, batch_size, seed + epoch)
        return shared_loader(x, y, batch_size, seed, epoch)
    if order == "native":
        g = torch.Generator()
        g.manual_seed(seed + epoch)
        perm = torch.randperm(len(x), generator=g)
    else:
        perm = torch.from_numpy(shared_order(len(x), seed, epoch))
    return preloaded_batches(x, y, batch_size, perm)


WARMUP_STEPS = 10  # steps `prepare` runs on a copy of the model, so first-call kernel set-up is not in epoch 1


@dataclass
class TrainState:
    """Everything `epoch` needs; built by `prepare` (model, optimizer, data conversion, warm-up)."""
    model: object
    step_model: object
    optimizer: object
    loss_fn: object
    ds: Dataset
    settings: TrainSettings
    opts: dict
    dev: object
    x: object
    y: object
    steps: int
    epochs: int
    seed: int
    eval_every: int | None
    evaluate_epochs: bool
    eval_batch: int
    recorder: object
    result: RunResult
    bar: Progress
    done: int = 0
    start: float | None = None
    on_trained: object = None  # called between an epoch's training and its evaluation (the worker's RSS phases)


def prepare(ds: Dataset, epochs: int = 1, seed: int = 0, order: str | None = None, batch_size: int | None = None,
            spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
            model=None, evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written",
            options: dict | None = None, settings: TrainSettings = STUDY, recorder=None,
            eval_batch: int = EVAL_BATCH, warmup_steps: int = WARMUP_STEPS) -> TrainState:
    """Everything before the first timed epoch: seed, build, optimizer, loss, the 60k images as tensors, and
    `warmup_steps` steps on a deep copy of the model with its own optimizer (the trained model, the global RNG
    and the data order are untouched; skipped with torch.compile, whose copy would compile apart)."""
    from tfpt.frameworks.torch.devices import device as torch_device
    settings = settings.changed(**{k: v for k, v in (("order", order), ("batch_size", batch_size)) if v is not None})
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
    if warmup_steps and not opts["compile"]:
        _warm_up(model, loss_fn, settings, x, y, dev, warmup_steps, opts, seed)
    steps = settings.steps_per_epoch(len(x))
    return TrainState(model, step_model, optimizer, loss_fn, ds, settings, opts, dev, x, y, steps, epochs, seed,
                      eval_every, evaluate_epochs, eval_batch, recorder,
                      RunResult("torch", ds.name, seed, settings.order, target=target, mode=mode),
                      Progress("torch", epochs, steps, enabled=progress))


def _warm_up(model, loss_fn, settings, x, y, dev, steps, opts, seed):
    import copy
    twin = copy.deepcopy(model).train()
    opt = make_optimizer(settings, twin.parameters())
    n = min(len(x), steps * settings.batch_size)
    batches = epoch_batches(x[:n], y[:n], settings.batch_size, seed, 0, "shared", opts["loader"])
    for xb, yb in batches:
        xb, yb = xb.to(dev), yb.to(dev)
        if opts["channels_last"]:
            xb = xb.contiguous(memory_format=torch.channels_last)
        opt.zero_grad()
        with autocast(dev, opts):
            loss = loss_fn(twin(xb).float(), yb)
        loss.backward()
        opt.step()
    if dev.type != "cpu":
        torch.cuda.synchronize()


def epoch(state: TrainState) -> EpochLog:
    """One epoch: training timed (wall and CPU: tfpt.training.clock) around exactly the batch loop (mid-epoch
    evaluations for time to accuracy subtracted; the loader's creation is its set-up), then the test evaluation
    (timed apart) unless evaluate_epochs is off."""
    model, step_model, optimizer, loss_fn = state.model, state.step_model, state.optimizer, state.loss_fn
    ds, settings, opts, dev, recorder, result, bar = (state.ds, state.settings, state.opts, state.dev,
                                                      state.recorder, state.result, state.bar)
    state.done += 1
    n, steps, eval_every = state.done, state.steps, state.eval_every
    if state.start is None:
        state.start = time.perf_counter()
    start, evals = state.start, []
    plant_idle_s = float(opts.get("plant_idle_s", 0.0))  # a negative control's option: a wait inside the epoch
    s0 = Stamp()
    loader = epoch_batches(state.x, state.y, settings.batch_size, state.seed, n, settings.order, opts["loader"])
    model.train()
    t0 = Stamp()
    # on the training device: a CPU accumulator beside GPU losses fails (found on an H200)
    loss_sum, correct, seen = torch.zeros((), device=dev), torch.zeros((), dtype=torch.long, device=dev), 0
    for step, (xb, yb) in enumerate(loader, 1):
        if dev.type != "cpu":
            xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
        if opts["channels_last"]:
            xb = xb.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad()
        with autocast(dev, opts):
            out = step_model(xb).float()
            loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        if recorder is not None:
            recorder.on_batch(xb.detach().cpu().permute(0, 2, 3, 1).numpy(), yb.cpu().numpy())
            recorder.on_loss(float(loss.detach()))
            recorder.on_step(torch_models.get_weights(model))
        if plant_idle_s and step == 1:
            time.sleep(plant_idle_s)
        loss_sum += loss.detach() * len(yb)
        correct += (out.detach().argmax(1) == yb).sum()
        seen += len(yb)
        if step % bar.every == 0:
            bar.step(n, step, loss_sum.item() / seen, correct.item() / seen)
        if eval_every and step % eval_every == 0 and step != steps:
            e0 = Stamp()
            acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch)
            evals.append(Stamp() - e0)
            result.record_eval((n - 1) * steps + step, time.perf_counter() - start, acc)
            model.train()
    if dev.type != "cpu":
        torch.cuda.synchronize()
    span = Stamp() - t0
    for e in evals:
        span = span.minus(e)
    if state.on_trained is not None:
        state.on_trained(state)
    e0 = time.perf_counter()
    acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch) if state.evaluate_epochs else float("nan")
    eval_seconds = time.perf_counter() - e0
    if state.evaluate_epochs:
        result.record_eval(n * steps, time.perf_counter() - start, acc)
    idle = clock_describe(span, "torch", result.mode)
    log = EpochLog(n, loss_sum.item() / seen, correct.item() / seen, acc, span.wall_s,
                   eval_seconds + sum(e.wall_s for e in evals), cpu_seconds=span.cpu_s,
                   setup_seconds=t0.wall - s0.wall, idle_seconds=idle["idle_seconds"], idle=idle["idle"])
    result.epochs.append(log)
    bar.epoch(log)
    return log


def serving_call(state: TrainState, x: np.ndarray):
    """The trained module's plain inference call on `x` (channels-last float32, given to it as NCHW on its
    device), under inference_mode (tfpt.training.serving times it)."""
    model, dev = state.model, state.dev
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(dev)
    model.eval()

    def call():
        with torch.inference_mode():
            out = model(t)
        if dev.type != "cpu":
            torch.cuda.synchronize()
        return out
    return call


def train(ds: Dataset, epochs: int = 1, **options) -> tuple[object, RunResult]:
    """`prepare(ds, epochs, **options)` then `epoch` per epoch: the same two calls the worker and the epoch
    benchmark make, so every recorded second is the same measurement. The options are `prepare`'s: `settings`
    (the study's by default; `order` and `batch_size` override theirs), `evaluate_epochs=False` skips the
    per-epoch test evaluation, `device` "cpu" or "gpu", `mode` or explicit `options`, and a `recorder` that sees
    every step's batch, loss and weights."""
    state = prepare(ds, epochs, **options)
    for _ in range(epochs):
        epoch(state)
    return state.model, state.result
