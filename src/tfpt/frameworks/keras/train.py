"""Keras training with the study's settings (tfpt.settings.STUDY: batch 32, Adam with Keras' defaults, sparse
categorical cross-entropy on logits, or on probabilities for a softmax head, inputs x / 255),
model.fit(shuffle=True) one epoch at a time (so each epoch is evaluated on its own; each is timed on Keras' own
epoch boundaries, with fit's set-up and teardown apart: tfpt.training.clock). Test accuracy on
the full test set per epoch, computed as for PyTorch. The optimizer, loss, scaling and batch size are built from
a `TrainSettings` by `make_optimizer` / `make_loss` here and nowhere else.

The same module trains Keras on its torch and JAX backends (tfpt-compare --frameworks keras-torch,keras-jax): the
worker process fixes the backend (KERAS_BACKEND) before Keras loads, TensorFlow is then never imported, and fit
runs on the numpy arrays as it does on TensorFlow. Only the step recorder (tf.py_function) and tf.data feeding are
TensorFlow's own."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from tfpt import frameworks
from tfpt.data.datasets import Dataset
from tfpt.frameworks import import_keras as _keras, import_tf
from tfpt.frameworks.keras import cnn as keras_models
from tfpt.settings import EVAL_BATCH, STUDY, TrainSettings
from tfpt.spec import CNN
from tfpt.training.clock import Stamp, describe as clock_describe
from tfpt.training.history import EpochLog, Progress, RunResult
from tfpt.training.order import shared_order

tf = import_tf() if frameworks.keras_on_tf() else None  # None in a Keras-on-torch or -JAX worker
keras = _keras()
FRAMEWORK = frameworks.keras_framework()  # "tf", "keras-torch" or "keras-jax": what results and clocks are filed as


def evaluate(model, x_test_uint8: np.ndarray, y_test: np.ndarray, settings: TrainSettings = STUDY,
             batch: int = 1000) -> float:
    """Test accuracy, predicting `batch` images per call (the peak RSS of evaluation grows with it)."""
    return float((keras_models.predict(model, settings.scale_inputs(x_test_uint8), batch).argmax(1) == y_test).mean())


def make_optimizer(settings: TrainSettings = STUDY):
    """Keras' Adam with the settings' hyperparameters (Keras places epsilon before bias correction: 'hat')."""
    a = settings.adam(FRAMEWORK)
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
# bfloat16: Keras' "mixed_bfloat16" policy (layers compute in bf16, variables and the loss stay float32).
MODES = {"as-written": AS_WRITTEN, "tuned": TUNED, "tuned-bf16": {**TUNED, "precision": "bfloat16"}}
if frameworks.keras_backend_name() == "torch":
    # Keras' torch backend refuses more than one step per execution ("steps_per_execution must be 1 with the
    # PyTorch backend"); nothing else was tuned for it, so its tuned mode is its as-written one (bf16 aside).
    MODES = {m: {**o, "steps_per_execution": 1} for m, o in MODES.items()}


def _need_tf(what: str) -> None:
    if tf is None:
        raise ValueError(f"{what} is TensorFlow's own; Keras here runs on {frameworks.keras_backend_name()} "
                         f"(KERAS_BACKEND): use Keras on TensorFlow for it")


def placed(device: str):
    """Where the work runs: TensorFlow's device scope; on the other backends the CPU (a GPU is not offered)."""
    from tfpt.frameworks.keras.devices import device as tf_device
    if tf is not None:
        return tf.device(tf_device(device))
    if device != "cpu":
        raise ValueError(f"device {device!r}: Keras on {frameworks.keras_backend_name()} runs on the CPU in this suite")
    import contextlib
    return contextlib.nullcontext()


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
    _need_tf("the step recorder (tf.py_function inside fit's graph)")
    step, compute_loss = model.train_step, model.compute_loss

    def record_batch(x, y):
        recorder.on_batch(x.numpy(), y.numpy())

    def record_loss(value):
        recorder.on_loss(float(value.numpy()))

    def train_step(data):
        tf.py_function(record_batch, [data[0], data[1]], [])
        return step(data)

    def recording_loss(*args, **kwargs):  # Keras 3 passes training=, Keras 2 (TF 2.15) does not know it
        loss = compute_loss(*args, **kwargs)
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
    _need_tf("tf.data feeding")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=False)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class _EpochClock(keras.callbacks.Callback):
    """The epoch's clock on Keras' own boundaries, `on_epoch_begin` -> `on_epoch_end` (what Keras' progress bar
    times): model.fit's set-up before it and its teardown after it (the tf.data iterator's destructor, which
    can wait up to the autotuner's next wake-up: tfpt.training.clock) are stamped apart, never in the epoch.
    `plant_idle_s` (a negative control's option) sleeps inside the epoch after its first step."""

    def __init__(self, plant_idle_s: float = 0.0):
        super().__init__()
        self.begin = self.end = None
        self.spans: list = []  # one per epoch of the fit call: (begin Stamp, end Stamp)
        self.plant_idle_s = plant_idle_s

    def on_epoch_begin(self, epoch, logs=None):
        self.planted = False
        self.begin = Stamp()

    def on_train_batch_end(self, batch, logs=None):
        if self.plant_idle_s and not self.planted:
            self.planted = True
            time.sleep(self.plant_idle_s)

    def on_epoch_end(self, epoch, logs=None):
        self.end = Stamp()
        self.spans.append((self.begin, self.end))


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


WARMUP_STEPS = 10  # steps `prepare` runs and undoes, so fit's first trace is not inside epoch 1's time


@dataclass
class TrainState:
    """Everything `epoch` needs; built by `prepare` (model, compile, data conversion, first trace)."""
    model: object
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
    device: str
    record: list
    progress: bool
    result: RunResult
    bar: Progress
    done: int = 0  # epochs trained so far
    start: float | None = None  # perf_counter at the start of epoch 1 (time to accuracy counts from here)
    on_trained: object = None  # called between an epoch's training and its evaluation (the worker's RSS phases)


def prepare(ds: Dataset, epochs: int = 1, seed: int = 0, order: str | None = None, batch_size: int | None = None,
            spec=CNN, target: float | None = None, eval_every: int | None = None, progress: bool = True,
            model=None, evaluate_epochs: bool = True, device: str = "cpu", mode: str = "as-written",
            options: dict | None = None, settings: TrainSettings = STUDY, recorder=None,
            eval_batch: int = EVAL_BATCH, warmup_steps: int = WARMUP_STEPS) -> TrainState:
    """Everything before the first timed epoch: seed, build, compile, inputs scaled to float32, and
    `warmup_steps` training steps that trace fit's train function, then are undone (weights and optimizer
    variables restored, so the run trains exactly as without them; none with a recorder)."""
    settings = settings.changed(**{k: v for k, v in (("order", order), ("batch_size", batch_size)) if v is not None})
    opts = {**MODES[mode], **(options or {})}
    if recorder is not None and (opts["steps_per_execution"] != 1 or opts["data"] != "numpy"):
        raise ValueError("a recorder sees each step only with steps_per_execution 1 and numpy data (as-written)")
    with placed(device):
        keras.utils.set_random_seed(seed)
        with keras_models.precision(opts.get("precision", "float32")):
            model = model if model is not None else keras_models.build(spec)
        model = compile_study_settings(model, opts["jit_compile"], opts["steps_per_execution"], settings)
        x, y = settings.scale_inputs(ds.x_train), ds.y_train.astype(np.int32)
        if warmup_steps and recorder is None:
            _warm_up(model, x, y, settings.batch_size, warmup_steps, opts)
        record = [attach_recorder(model, recorder)] if recorder is not None else []
    steps = settings.steps_per_epoch(len(x))
    return TrainState(model, ds, settings, opts, x, y, steps, epochs, seed, eval_every, evaluate_epochs, eval_batch,
                      device, record, progress,
                      RunResult(FRAMEWORK, ds.name, seed, settings.order, target=target, mode=mode),
                      Progress(FRAMEWORK, epochs, steps, enabled=progress))


def _warm_up(model, x, y, batch_size, steps, opts):
    """Trace fit's train function on `steps` batches fed as an epoch feeds them, then restore the weights and the
    optimizer's variables (built first, so they exist to restore). Unshuffled: no random draw is consumed."""
    n = min(len(x), batch_size * max(steps, opts["steps_per_execution"]))
    model.optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    opt_values = [v.numpy() for v in model.optimizer.variables]
    if opts["data"] == "tf.data":
        model.fit(_tf_dataset(x[:n], y[:n], batch_size, False, 0), epochs=1, verbose=0)
    else:
        model.fit(x[:n], y[:n], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    model.set_weights(weights)
    for v, value in zip(model.optimizer.variables, opt_values, strict=False):
        v.assign(value)


def epoch(state: TrainState) -> EpochLog:
    """One epoch, one model.fit(epochs=1) call: training timed from Keras' on_epoch_begin to on_epoch_end
    (wall and CPU; mid-epoch evaluations for time to accuracy subtracted), fit's set-up and teardown recorded
    apart; then the test evaluation (timed apart) unless evaluate_epochs is off."""
    with placed(state.device):
        return _epoch(state)


def _epoch(state: TrainState) -> EpochLog:
    model, ds, settings, result = state.model, state.ds, state.settings, state.result
    state.done += 1
    n, steps, seed = state.done, state.steps, state.seed
    if state.start is None:
        state.start = time.perf_counter()
    start = state.start
    evals: list = []  # Spans of mid-epoch evaluations (time to accuracy), taken out of the epoch's figure

    def on_eval(step):
        e0 = Stamp()
        acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch)
        evals.append(Stamp() - e0)
        result.record_eval((n - 1) * steps + step, time.perf_counter() - start, acc)

    if settings.order == "native":
        xs, ys, shuffle = state.x, state.y, True
    else:
        idx = shared_order(len(state.x), seed, n)
        xs, ys, shuffle = state.x[idx], state.y[idx], False
    clock = _EpochClock(float(state.opts.get("plant_idle_s", 0.0)))
    hooks = [clock] + ([_Hooks(state.bar, n, steps, state.eval_every, on_eval)] if (state.progress or state.eval_every)
                       else []) + state.record
    if state.opts["data"] == "tf.data":
        data = _tf_dataset(xs, ys, settings.batch_size, shuffle, seed + n)
        t0 = Stamp()
        hist = model.fit(data, epochs=1, verbose=0, callbacks=hooks)
    else:
        t0 = Stamp()
        hist = model.fit(xs, ys, batch_size=settings.batch_size, epochs=1, shuffle=shuffle, verbose=0,
                         callbacks=hooks)
    t1 = Stamp()
    span = clock.end - clock.begin
    for e in evals:
        span = span.minus(e)
    if state.on_trained is not None:
        state.on_trained(state)
    e0 = time.perf_counter()
    acc = evaluate(model, ds.x_test, ds.y_test, settings, state.eval_batch) if state.evaluate_epochs else float("nan")
    eval_seconds = time.perf_counter() - e0
    if state.evaluate_epochs:
        result.record_eval(n * steps, time.perf_counter() - start, acc)
    h = hist.history
    mid_eval = sum(e.wall_s for e in evals)
    idle = clock_describe(span, FRAMEWORK, result.mode)
    log = EpochLog(n, float(h["loss"][-1]), float(h.get("accuracy", h.get("acc"))[-1]), acc,
                   span.wall_s, eval_seconds + mid_eval, cpu_seconds=span.cpu_s,
                   setup_seconds=clock.begin.wall - t0.wall, teardown_seconds=t1.wall - clock.end.wall,
                   idle_seconds=idle["idle_seconds"], idle=idle["idle"])
    result.epochs.append(log)
    state.bar.epoch(log)
    return log


def serving_call(state: TrainState, x: np.ndarray):
    """The trained model's plain inference call on `x` (channels-last float32), as the study's Keras code calls
    it: model(x, training=False) on a numpy batch (tfpt.training.serving times it)."""
    model = state.model

    def call():
        with placed(state.device):
            return keras_models.to_numpy(model(x, training=False))
    return call


def serve_epochs(state: TrainState, requests, say) -> str | None:
    """The epoch benchmark's epochs on request inside ONE model.fit call, so no fit set-up or teardown (its
    tf.data iterator's destructor, which can wait for tf.data's autotuner) falls inside a request: at each
    epoch's end a callback replies with the epoch's record and blocks for the next request ("epoch": train one
    more; anything else ends fit after this epoch). Returns the request that ended it ("done"), or None at the
    end of input. For the shared order or tf.data feeding (a new dataset per epoch), returns "per-epoch": the
    caller serves each epoch with its own fit call."""
    if state.settings.order != "native" or state.opts["data"] != "numpy" or state.eval_every or state.record:
        return "per-epoch"
    first = next(requests, None)
    while first not in (None, "epoch", "done"):
        say({"error": f"unknown request {first!r}; expected epoch or done"})
        first = next(requests, None)
    if first != "epoch":
        return first
    clock = _EpochClock(float(state.opts.get("plant_idle_s", 0.0)))
    ended = [None]

    class _Gate(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.asked = Stamp()  # when the request for the coming epoch arrived

        def on_epoch_end(self, epoch, logs=None):
            begin, end = clock.spans[-1]
            span = end - begin
            idle = clock_describe(span, FRAMEWORK, state.result.mode)
            state.done += 1
            log = EpochLog(state.done, float(logs["loss"]), float(logs.get("accuracy", logs.get("acc", 0.0))),
                           float("nan"), span.wall_s, 0.0, cpu_seconds=span.cpu_s,
                           setup_seconds=begin.wall - self.asked.wall, idle_seconds=idle["idle_seconds"],
                           idle=idle["idle"])
            state.result.epochs.append(log)
            say(asdict(log))
            nxt = next(requests, None)
            while nxt not in (None, "epoch", "done"):
                say({"error": f"unknown request {nxt!r}; expected epoch or done"})
                nxt = next(requests, None)
            self.asked = Stamp()
            if nxt != "epoch":
                ended[0] = nxt
                self.model.stop_training = True

    with placed(state.device):
        state.model.fit(state.x, state.y, batch_size=state.settings.batch_size, epochs=10**6, shuffle=True,
                        verbose=0, callbacks=[clock, _Gate()])
    return ended[0]


def train(ds: Dataset, epochs: int = 1, **options) -> tuple[object, RunResult]:
    """`prepare(ds, epochs, **options)` then `epoch` per epoch: the same two calls the worker and the epoch
    benchmark make, so every recorded second is the same measurement. The options are `prepare`'s: `settings`
    (the study's by default; `order` and `batch_size` override theirs), `evaluate_epochs=False` skips the
    per-epoch test evaluation, `device` "cpu" or "gpu", `mode` or explicit `options`, and a `recorder` that sees
    every step's batch, loss and weights (one step per execution only)."""
    state = prepare(ds, epochs, **options)
    for _ in range(epochs):
        epoch(state)
    return state.model, state.result


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
            return {"seen": tf.constant(float(len(seen))) if tf is not None
                    else keras.ops.convert_to_tensor(float(len(seen)))}

    model = Recorder()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(x, np.zeros(len(x), np.float32), batch_size=batch_size, epochs=1, shuffle=shuffle, verbose=0)
    return seen
