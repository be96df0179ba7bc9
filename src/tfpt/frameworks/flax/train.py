"""Flax NNX training with the study's settings (tfpt.settings.STUDY: batch 32, Adam as the Keras side places its
epsilon, cross-entropy as the model's head asks, inputs x / 255): one `nnx.jit` train step (forward, loss,
gradients, the Optax update) per batch, numpy batches sliced from an order JAX's own RNG draws per epoch (native)
or the shared one. The same `prepare` / `epoch` / `evaluate` / `serving_call` as the Keras and PyTorch trainers,
timed by the one clock (tfpt.training.clock) and reported as tfpt.training.history records, so tfpt-compare and
the epoch benchmark take it as they take theirs. Imports JAX: it runs in a Flax worker process only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfpt.data.datasets import Dataset
from tfpt.frameworks.flax import cnn as flax_models
from tfpt.settings import EVAL_BATCH, STUDY, TrainSettings
from tfpt.spec import CNN
from tfpt.training.clock import Stamp, describe as clock_describe
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order

FRAMEWORK = flax_models.FRAMEWORK
# No tuning has been measured for Flax: "tuned" feeds as written; "tuned-bf16" computes in bfloat16 (float32
# parameters, optimizer state and loss), as the other trainers' bf16 modes do.
MODES = {"as-written": {}, "tuned": {}, "tuned-bf16": {"precision": "bfloat16"}}
WARMUP_STEPS = 10  # steps on a clone of the model and optimizer: XLA compiles the step before the first clock


@dataclass
class TrainState:
    model: object
    optimizer: object
    step: object
    ds: Dataset
    settings: TrainSettings
    opts: dict
    x: np.ndarray
    y: np.ndarray
    steps: int
    epochs: int
    seed: int
    eval_every: int | None
    evaluate_epochs: bool
    eval_batch: int
    result: RunResult
    bar: Progress
    done: int = 0
    start: float | None = None
    on_trained: object = None  # called between an epoch's training and its evaluation (the worker's RSS phases)


def make_step(loss_fn):
    """The jitted train step: (model, optimizer, x, y) -> (loss, correct); model and optimizer updated in place."""
    @nnx.jit
    def step(model, optimizer, x, y):
        def loss_of(m):
            out = m(x)
            return loss_fn(out, y), out
        (loss, out), grads = nnx.value_and_grad(loss_of, has_aux=True)(model)
        optimizer.update(model, grads)
        return loss, (out.argmax(-1) == y).sum()
    return step


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray, settings: TrainSettings = STUDY,
             batch: int = EVAL_BATCH) -> float:
    """Test accuracy, `batch` images per jitted forward pass."""
    return float((flax_models.predict(model, settings.scale_inputs(x_test_uint8), batch).argmax(1) == y_test).mean())


def epoch_order(n: int, seed: int, epoch: int, order: str) -> np.ndarray:
    """The epoch's sample order: JAX's own permutation (native) or the one shared by every framework."""
    if order == "native":
        return np.asarray(jax.random.permutation(jax.random.key(seed + epoch), n))
    return shared_order(n, seed, epoch)


def prepare(ds: Dataset, epochs: int = 1, seed: int = 0, order: str | None = None, batch_size: int | None = None,
            spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
            evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written", options: dict | None = None,
            settings: TrainSettings = STUDY, eval_batch: int = EVAL_BATCH,
            warmup_steps: int = WARMUP_STEPS) -> TrainState:
    """Everything before the first timed epoch: build (seeded), Optax Adam, the images scaled to float32, and
    `warmup_steps` steps on a clone of the model and optimizer (the trained ones untouched) that compile the step."""
    if device != "cpu":
        raise ValueError(f"device {device!r}: Flax runs on the CPU in this suite")
    settings = settings.changed(**{k: v for k, v in (("order", order), ("batch_size", batch_size)) if v is not None})
    opts = {**MODES[mode], **(options or {})}
    dtype = jnp.bfloat16 if opts.get("precision") == "bfloat16" else None
    model = flax_models.build(spec, seed, dtype)
    optimizer = nnx.Optimizer(model, flax_models.make_optimizer(settings), wrt=nnx.Param)
    step = make_step(flax_models.make_loss(settings, spec.head))
    x, y = settings.scale_inputs(ds.x_train), ds.y_train.astype(np.int32)
    b = settings.batch_size
    if warmup_steps:
        twin_model, twin_opt = nnx.clone(model), nnx.clone(optimizer)
        sizes = [b] * min(warmup_steps, len(x) // b) + ([len(x) % b] if len(x) % b else [])  # every batch shape
        for n in sizes:
            out = step(twin_model, twin_opt, x[:n], y[:n])
        jax.block_until_ready(out)
        predict_shapes = {min(eval_batch, len(ds.x_test)), len(ds.x_test) % eval_batch} - {0}
        for n in predict_shapes:
            flax_models.predict(twin_model, settings.scale_inputs(ds.x_test[:n]), eval_batch)
    steps = settings.steps_per_epoch(len(x))
    return TrainState(model, optimizer, step, ds, settings, opts, x, y, steps, epochs, seed, eval_every,
                      evaluate_epochs, eval_batch, RunResult(FRAMEWORK, ds.name, seed, settings.order, target=target,
                                                             mode=mode), Progress(FRAMEWORK, epochs, steps,
                                                                                  enabled=progress))


def epoch(state: TrainState) -> EpochLog:
    """One epoch: training timed (wall and CPU: tfpt.training.clock) around exactly the batch loop, ended by
    waiting for JAX's dispatched work (jax.block_until_ready), mid-epoch evaluations subtracted; the order's
    draw is its set-up; then the test evaluation (timed apart) unless evaluate_epochs is off."""
    model, optimizer, step_fn, settings, result, bar, ds = (state.model, state.optimizer, state.step, state.settings,
                                                            state.result, state.bar, state.ds)
    state.done += 1
    n, steps, eval_every, b = state.done, state.steps, state.eval_every, settings.batch_size
    if state.start is None:
        state.start = time.perf_counter()
    evals = []
    s0 = Stamp()
    order = epoch_order(len(state.x), state.seed, n, settings.order)
    t0 = Stamp()
    loss_sum, correct, seen = jnp.zeros(()), jnp.zeros((), jnp.int32), 0
    for i in range(steps):
        idx = order[i * b:(i + 1) * b]
        loss, right = step_fn(model, optimizer, state.x[idx], state.y[idx])
        loss_sum, correct, seen = loss_sum + loss * len(idx), correct + right, seen + len(idx)
        if (i + 1) % bar.every == 0:
            bar.step(n, i + 1, float(loss_sum) / seen, int(correct) / seen)
        if eval_every and (i + 1) % eval_every == 0 and i + 1 != steps:
            e0 = Stamp()
            acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch)
            evals.append(Stamp() - e0)
            result.record_eval((n - 1) * steps + i + 1, time.perf_counter() - state.start, acc)
    jax.block_until_ready((loss_sum, correct, nnx.state(model)))
    span = Stamp() - t0
    for e in evals:
        span = span.minus(e)
    if state.on_trained is not None:
        state.on_trained(state)
    e0 = time.perf_counter()
    acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch) if state.evaluate_epochs else float("nan")
    eval_seconds = time.perf_counter() - e0
    if state.evaluate_epochs:
        result.record_eval(n * steps, time.perf_counter() - state.start, acc)
    idle = clock_describe(span, FRAMEWORK, result.mode)
    log = EpochLog(n, float(loss_sum) / seen, int(correct) / seen, acc, span.wall_s,
                   eval_seconds + sum(e.wall_s for e in evals), cpu_seconds=span.cpu_s,
                   setup_seconds=t0.wall - s0.wall, idle_seconds=idle["idle_seconds"], idle=idle["idle"])
    result.epochs.append(log)
    bar.epoch(log)
    return log


def serving_call(state: TrainState, x: np.ndarray):
    """The trained model's jitted forward on `x` (channels-last float32), waited for (tfpt.training.serving)."""
    forward, model, xj = flax_models.forward, state.model, jnp.asarray(x)

    def call():
        return jax.block_until_ready(forward(model, xj))
    return call


def train(ds: Dataset, epochs: int = 1, **options) -> tuple[object, RunResult]:
    """`prepare(ds, epochs, **options)` then `epoch` per epoch, as the worker runs them."""
    state = prepare(ds, epochs, **options)
    for _ in range(epochs):
        epoch(state)
    return state.model, state.result
