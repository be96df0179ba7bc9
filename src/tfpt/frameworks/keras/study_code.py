"""The study's Keras code as it was written, run for its figures: images scaled as `x / 255.0` (float64 arrays,
376 MB for MNIST's training set), `model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
metrics=["accuracy"])` on its softmax model, ONE `model.fit(train_images, train_labels, epochs=N)` call with
Keras' defaults (batch 32, shuffle, its progress bar) and `model.evaluate(test_images, test_labels)` at its
default batch (32). The one addition: a callback that stamps Keras' own epoch boundaries on the suite's clock
(tfpt.training.clock) — the seconds the study read from Keras' progress bar. fit's set-up (before the first
epoch) and teardown (after the last: its tf.data iterator freed) are recorded apart.
"""
from __future__ import annotations

import math

from tfpt.data import datasets
from tfpt.data.datasets import Dataset
from tfpt.frameworks import import_keras as _keras
from tfpt.frameworks.keras import cnn as keras_models
from tfpt.frameworks.keras.train import _EpochClock
from tfpt.spec import STUDY_KERAS
from tfpt.training.clock import Stamp, describe as clock_describe
from tfpt.training.history import EpochLog, RunResult

keras = _keras()
MODE = "study-code"
EVAL_BATCH = 32  # model.evaluate's default batch


def run(dataset: str, epochs: int, seed: int, phases, options: dict | None = None,
        limit: int | None = None) -> RunResult:
    """Train and evaluate as the study's code does; `phases.mark` at the worker's RSS boundaries. `limit`: the
    first images only (plumbing tests; never for figures)."""
    ds = datasets.load(dataset)  # uint8 arrays, as keras.datasets.mnist.load_data() gives them
    if limit:
        ds = Dataset(ds.name, ds.x_train[:limit], ds.y_train[:limit], ds.x_test[:limit], ds.y_test[:limit], ds.source)
    phases.mark("data")
    keras.utils.set_random_seed(seed)  # the study did not seed; seeding only fixes the initial weights and order
    n, m = len(ds.x_train), len(ds.x_test)
    train_images = ds.x_train.reshape((n, 28, 28, 1)) / 255.0
    test_images = ds.x_test.reshape((m, 28, 28, 1)) / 255.0
    train_labels, test_labels = ds.y_train, ds.y_test
    model = keras_models.build(STUDY_KERAS)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    phases.mark("model")
    clock = _EpochClock(float((options or {}).get("plant_idle_s", 0.0)))
    t0 = Stamp()
    hist = model.fit(train_images, train_labels, epochs=epochs, callbacks=[clock])
    t1 = Stamp()
    phases.mark("train")
    e0 = Stamp()
    _, test_acc = model.evaluate(test_images, test_labels)
    eval_s = (Stamp() - e0).wall_s
    result = RunResult("tf", ds.name, seed, "native", mode=MODE)
    h = hist.history
    for i, (begin, end) in enumerate(clock.spans):
        span, last = end - begin, i == len(clock.spans) - 1
        idle = clock_describe(span, "tf", MODE)
        result.epochs.append(EpochLog(
            i + 1, float(h["loss"][i]), float(h["accuracy"][i]), float(test_acc) if last else math.nan,
            span.wall_s, eval_s if last else 0.0, cpu_seconds=span.cpu_s,
            setup_seconds=begin.wall - (t0.wall if i == 0 else clock.spans[i - 1][1].wall),
            teardown_seconds=t1.wall - end.wall if last else 0.0,
            idle_seconds=idle["idle_seconds"], idle=idle["idle"]))
    return result
