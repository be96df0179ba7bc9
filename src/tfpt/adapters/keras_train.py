"""Keras training with the study's settings (tfpt.settings.STUDY: batch 32, Adam with Keras' defaults, sparse
categorical cross-entropy on logits, or on probabilities for a softmax head, inputs x / 255),
model.fit(shuffle=True) one epoch at a time (so each epoch is timed and evaluated on its own). Test accuracy on
the full test set per epoch, computed as for PyTorch. The optimizer, loss, scaling and batch size are built from
a `TrainSettings` by `make_optimizer` / `make_loss` here and nowhere else."""
from __future__ import annotations

import time

import numpy as np

from tfpt.data.datasets import Dataset
from tfpt.frameworks import import_tf, keras as _keras
from models import keras_models
from models.spec import CNN
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order
from tfpt.settings import STUDY, TrainSettings

tf = import_tf()
keras = _keras()


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray, settings: TrainSettings = STUDY) -> float:
    return float((keras_models.predict(model, settings.scale_inputs(x_test_uint8)).argmax(1) == y_test).mean())


def make_optimizer(settings: TrainSettings = STUDY):
    """Keras' Adam with the settings' hyperparameters (Keras places epsilon before bias correction: 'hat')."""
    a = settings.adam("tf")
    if a.epsilon_placement != "hat":
        raise ValueError(f"Keras' Adam adds epsilon before bias correction ('hat'); settings ask for "
                         f"{a.epsilon_placement!r}")
    return keras.optimizers.Adam(learning_rate=a.learning_rate, beta_1=a.beta_1, beta_2=a.beta_2, epsilon=a.epsilon)


_REDUCTION = {"mean": "sum_over_batch_size", "sum": "sum"}


def make_loss(settings: TrainSettings = STUDY, head: str = "logits"):
    """Sparse categorical cross-entropy on what the settings say the loss of a `head` model takes."""
    form = settings.loss_for(head)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=form == "logits",
                                                      reduction=_REDUCTION[settings.reduction])


def optimizer_config(optimizer) -> dict:
    """The hyperparameters an optimizer object actually holds, in the settings' terms."""
    return {"optimizer": type(optimizer).__name__.lower(), "learning_rate": float(optimizer.learning_rate),
            "beta_1": float(optimizer.beta_1), "beta_2": float(optimizer.beta_2), "epsilon": float(optimizer.epsilon),
            "epsilon_placement": "hat"}


def loss_config(loss) -> dict:
    cfg = loss.get_config()
    return {"loss_form": "logits" if cfg.get("from_logits") else "probabilities",
            "reduction": {v: k for k, v in _REDUCTION.items()}.get(cfg.get("reduction"), cfg.get("reduction"))}


# The tuned mode: the same model, optimizer, loss and batch size; only how the work is fed and run changes.
# Measured with `python -m tfpt.cli.tune` (2-core CPU, TF 2.21, seconds of epoch 1 / epoch 2; this machine
# drifts by up to 40 % between minutes, so only large effects count):
#   fit on numpy 21.7/20.8 and 21.7/15.8; tf.data + prefetch 21.7/13.1; jit_compile (XLA) 42.1/24.2;
#   steps_per_execution 50: 12.2/11.9 and 12.9/20.8; XLA + steps_per_execution 50: 42.3/41.5;
#   tf.data + steps_per_execution 50: 22.4/12.3.
# steps_per_execution (one Python round trip per 50 steps) is kept; XLA is slower here and stays off.
AS_WRITTEN = {"data": "numpy", "jit_compile": False, "steps_per_execution": 1}
TUNED = {"data": "numpy", "jit_compile": False, "steps_per_execution": 50}
MODES = {"as-written": AS_WRITTEN, "tuned": TUNED}


def compile_study_settings(model, jit_compile: bool = False, steps_per_execution: int = 1,
                           settings: TrainSettings = STUDY):
    kwargs = {"jit_compile": jit_compile} if jit_compile else {}
    if steps_per_execution > 1:
        kwargs["steps_per_execution"] = steps_per_execution
    model.compile(optimizer=make_optimizer(settings), loss=make_loss(settings, keras_models.spec_of(model).head),
                  metrics=["accuracy"], **kwargs)
    return model


def attach_recorder(model, recorder):
    """Let `recorder` (tfpt.training.conformance.Recorder) see what fit feeds and computes, step by step: the
    batch (x, y) and the loss of each train_step (through tf.py_function, so fit keeps its compiled graph).
    Weights after each step come from a callback (see `_RecordWeights`)."""
    step, compute_loss = model.train_step, model.compute_loss

    def record_batch(x, y):
        recorder.on_batch(x.numpy(), y.numpy())

    def record_loss(value):
        recorder.on_loss(float(value.numpy()))

    def train_step(data):
        tf.py_function(record_batch, [data[0], data[1]], [])
        return step(data)

    def recording_loss(x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = compute_loss(x, y, y_pred, sample_weight, training=training)
        tf.py_function(record_loss, [loss], [])
        return loss

    model.train_step, model.compute_loss = train_step, recording_loss
    recorder.on_start(config={**optimizer_config(model.optimizer), **loss_config(model.loss)},
                      weights=keras_models.get_weights(model))
    return _RecordWeights(recorder)


class _RecordWeights(keras.callbacks.Callback):
    def __init__(self, recorder):
        super().__init__()
        self.recorder = recorder

    def on_train_batch_end(self, batch, logs=None):
        self.recorder.on_step(keras_models.get_weights(self.model))


def _tf_dataset(x, y, batch_size, shuffle, seed):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=False)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class _Hooks(keras.callbacks.Callback):
    """Progress lines every `bar.every` steps and, optionally, an evaluation every `eval_every` steps."""

    def __init__(self, bar, epoch, steps, eval_every, on_eval):
        super().__init__()
        self.bar, self.epoch, self.steps, self.eval_every, self.on_eval = bar, epoch, steps, eval_every, on_eval

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if step % self.bar.every == 0:
            self.bar.step(self.epoch, step, float(logs["loss"]), float(logs.get("accuracy", logs.get("acc", 0.0))))
        if self.eval_every and step % self.eval_every == 0 and step != self.steps:
            self.on_eval(step)


def train(ds: Dataset, epochs: int = 1, seed: int = 0, order: str | None = None, batch_size: int | None = None,
          spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
          model=None, evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written",
          options: dict | None = None, settings: TrainSettings = STUDY, recorder=None) -> tuple[object, RunResult]:
    """Train with `settings` (the study's by default; `order` and `batch_size` override theirs when given);
    `evaluate_epochs=False` skips the per-epoch test evaluation (benchmarks time training alone); `device` is
    "cpu" or "gpu"; `mode` "as-written" or "tuned" (or explicit `options`); `recorder` sees every step's batch,
    loss and weights (one step per execution only)."""
    from tfpt.adapters.devices import tf_device
    settings = settings.changed(**{k: v for k, v in (("order", order), ("batch_size", batch_size)) if v is not None})
    opts = {**MODES[mode], **(options or {})}
    if recorder is not None and (opts["steps_per_execution"] != 1 or opts["data"] != "numpy"):
        raise ValueError("a recorder sees each step only with steps_per_execution 1 and numpy data (as-written)")
    with tf.device(tf_device(device)):
        return _train(ds, epochs, seed, settings, spec, target, eval_every, progress, model,
                      evaluate_epochs, mode, opts, recorder)


def _train(ds, epochs, seed, settings, spec, target, eval_every, progress, model, evaluate_epochs,
           mode, opts, recorder):
    keras.utils.set_random_seed(seed)
    order, batch_size = settings.order, settings.batch_size
    model = compile_study_settings(model if model is not None else keras_models.build(spec),
                                   opts["jit_compile"], opts["steps_per_execution"], settings)
    x, y = settings.scale_inputs(ds.x_train), ds.y_train.astype(np.int32)
    steps = settings.steps_per_epoch(len(x))
    record = [attach_recorder(model, recorder)] if recorder is not None else []
    result = RunResult("tf", ds.name, seed, order, target=target, mode=mode)
    bar = Progress("tf", epochs, steps, enabled=progress)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        eval_time = [0.0]

        def on_eval(step, epoch=epoch):
            e0 = time.perf_counter()
            acc = evaluate(model, ds.x_test, ds.y_test, settings)
            eval_time[0] += time.perf_counter() - e0
            result.record_eval((epoch - 1) * steps + step, time.perf_counter() - start, acc)

        if order == "native":
            xs, ys, shuffle = x, y, True
        else:
            idx = shared_order(len(x), seed, epoch)
            xs, ys, shuffle = x[idx], y[idx], False
        hooks = ([_Hooks(bar, epoch, steps, eval_every, on_eval)] if (progress or eval_every) else []) + record
        t0 = time.perf_counter()
        if opts["data"] == "tf.data":
            data = _tf_dataset(xs, ys, batch_size, shuffle, seed + epoch)
            hist = model.fit(data, epochs=1, verbose=0, callbacks=hooks)
        else:
            hist = model.fit(xs, ys, batch_size=batch_size, epochs=1, shuffle=shuffle, verbose=0, callbacks=hooks)
        seconds = time.perf_counter() - t0
        e0 = time.perf_counter()
        acc = evaluate(model, ds.x_test, ds.y_test, settings) if evaluate_epochs else float("nan")
        eval_seconds = time.perf_counter() - e0
        if evaluate_epochs:
            result.record_eval(epoch * steps, time.perf_counter() - start, acc)
        h = hist.history
        log = EpochLog(epoch, float(h["loss"][-1]), float(h.get("accuracy", h.get("acc"))[-1]), acc,
                       seconds - eval_time[0], eval_seconds + eval_time[0])
        result.epochs.append(log)
        bar.epoch(log)
    return model, result


def recorded_batches(x: np.ndarray, batch_size: int, seed: int, shuffle: bool) -> list:
    """The batches model.fit feeds, in order, for one epoch of `x` (records them in an eager train_step)."""
    keras.utils.set_random_seed(seed)
    seen = []

    class Recorder(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            seen.append(np.asarray(data[0]))
            return {"seen": tf.constant(float(len(seen)))}

    model = Recorder()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(x, np.zeros(len(x), np.float32), batch_size=batch_size, epochs=1, shuffle=shuffle, verbose=0)
    return seen
