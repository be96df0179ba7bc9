"""Each figure and mode the suite reports rests on one detail; here each detail has a check that fails when it
changes, cheap (fakes, a few images, a virtual clock) and each with its negative control: the detail changed in a
copy of the module's own source (`planted`) and the check shown to fail on it.

- `--mode study-code`, Keras: the images as `x / 255.0` (float64), ONE `fit` call of all epochs, the study's compile.
- `--mode study-code`, PyTorch: training and test loaders unshuffled (sequential), batch 32.
- A Keras epoch: timed from `on_epoch_begin` to `on_epoch_end` inside `fit`, fit's set-up and teardown apart.
- A worker's frameworks: its Keras backend fixed, every other framework's modules hidden (torchvision with torch).
- tfpt-ab: B / A, "B slower" above 1; tfpt-compare: A / B in the order given, seconds per epoch the mean of the
  run's epochs, each figure's better direction (throughput: higher); the report: TF / PyTorch, the bfloat16
  speed-up as tuned float32 epoch / bf16 epoch."""
from __future__ import annotations

import inspect
import sys
import types
from types import SimpleNamespace

import numpy as np
import pytest

from tfpt import frameworks, stats


def planted(monkeypatch, module, old: str, new: str) -> types.ModuleType:
    """A copy of `module` built from its own source with the one detail `old` replaced by `new`."""
    src = inspect.getsource(module)
    assert src.count(old) == 1, f"{module.__name__} no longer writes {old!r} once: update this test's detail"
    copy = types.ModuleType(f"{module.__name__}_planted")
    copy.__file__ = module.__file__
    monkeypatch.setitem(sys.modules, copy.__name__, copy)
    exec(compile(src.replace(old, new), module.__file__, "exec"), copy.__dict__)
    return copy


def raises_or_false(check, *args) -> bool:
    """True where `check` passes; the negative controls expect False (an assertion in it failed)."""
    try:
        check(*args)
    except AssertionError:
        return False
    return True


# ------------------------------------------------------------------------------------------ study code, Keras

def run_keras_study_code(monkeypatch, module, epochs=3) -> dict:
    """Run study_code_keras.run with a fake model (records compile, fit, evaluate) on 64 uint8 images."""
    from tfpt.data import datasets
    from tfpt.frameworks.keras import cnn as study_keras
    calls: dict = {"fit": [], "epochs": 0}

    class Model:
        def compile(self, **kw):
            calls["compile"] = kw

        def fit(self, x, y, epochs, callbacks):
            calls["fit"].append((x, epochs))
            for e in range(epochs):  # Keras' own boundaries, as fit calls them
                callbacks[0].on_epoch_begin(e)
                callbacks[0].on_epoch_end(e)
            calls["epochs"] += epochs
            return SimpleNamespace(history={"loss": [0.5] * calls["epochs"], "accuracy": [0.9] * calls["epochs"]})

        def evaluate(self, x, y):
            calls["evaluate"] = x
            return 0.4, 0.9

    ds = datasets.synthetic(64, 32)
    monkeypatch.setattr(study_keras, "build", lambda spec: Model())
    monkeypatch.setattr(datasets, "load", lambda name: ds)
    calls["result"] = module.run("mnist", epochs, 0, SimpleNamespace(mark=lambda phase: None))
    calls["x_uint8"] = ds.x_train
    return calls


def check_keras_study_code(calls, epochs=3):
    assert len(calls["fit"]) == 1  # one fit call ...
    ((x, fit_epochs),) = calls["fit"]
    assert fit_epochs == epochs and len(calls["result"].epochs) == epochs  # ... of all the epochs
    assert x.dtype == np.float64 and calls["evaluate"].dtype == np.float64
    np.testing.assert_array_equal(x, calls["x_uint8"].reshape(-1, 28, 28, 1) / 255.0)
    assert calls["compile"] == {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                                "metrics": ["accuracy"]}


@pytest.mark.tf
def test_study_code_keras_is_float64_x_over_255_in_one_fit_call(monkeypatch):
    from tfpt.frameworks.keras import study_code as study_code_keras
    check_keras_study_code(run_keras_study_code(monkeypatch, study_code_keras))


@pytest.mark.tf
@pytest.mark.parametrize("old, new", [
    ("train_images = ds.x_train.reshape((n, 28, 28, 1)) / 255.0",
     "train_images = (ds.x_train.reshape((n, 28, 28, 1)) / 255.0).astype('float32')"),
    ("hist = model.fit(train_images, train_labels, epochs=epochs, callbacks=[clock])",
     "for _ in range(epochs):\n        hist = model.fit(train_images, train_labels, epochs=1, callbacks=[clock])"),
    ('    model.compile(optimizer="adam"', '    model.compile(optimizer="sgd"'),
], ids=["float32-input", "a-fit-per-epoch", "another-optimizer"])
def test_study_code_keras_check_fails_on_a_changed_detail(monkeypatch, old, new):
    from tfpt.frameworks.keras import study_code as study_code_keras
    copy = planted(monkeypatch, study_code_keras, old, new)
    assert not raises_or_false(check_keras_study_code, run_keras_study_code(monkeypatch, copy))


# ---------------------------------------------------------------------------------------- study code, PyTorch

def run_torch_study_code(monkeypatch, module) -> list:
    """Run study_code_torch.run on 64 images (torchvision's ToTensor layout); returns the loaders it built."""
    import torch
    from torch.utils import data
    loaders = []

    class Recorded(data.DataLoader):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            loaders.append(self)

    rng = np.random.default_rng(0)
    sets = [data.TensorDataset(torch.tensor(rng.random((n, 1, 28, 28), np.float32)),
                               torch.tensor(rng.integers(0, 10, n))) for n in (64, 32)]
    monkeypatch.setattr(module, "_datasets", lambda name, limit: sets)
    monkeypatch.setattr(data, "DataLoader", Recorded)
    module.run("mnist", 1, 0, SimpleNamespace(mark=lambda phase: None))
    return loaders


def check_torch_study_code(loaders):
    from torch.utils.data import SequentialSampler
    train, test = loaders
    assert isinstance(train.sampler, SequentialSampler) and train.batch_size == 32  # unshuffled, as written
    assert isinstance(test.sampler, SequentialSampler) and test.batch_size == 32


@pytest.mark.torch
def test_study_code_torch_loaders_are_unshuffled_batches_of_32(monkeypatch):
    from tfpt.frameworks.torch import study_code as study_code_torch
    check_torch_study_code(run_torch_study_code(monkeypatch, study_code_torch))


@pytest.mark.torch
@pytest.mark.parametrize("old, new", [
    ("DataLoader(train_dataset, batch_size=BATCH)", "DataLoader(train_dataset, batch_size=BATCH, shuffle=True)"),
    ("\nBATCH = 32", "\nBATCH = 64"),
], ids=["shuffled", "batch-64"])
def test_study_code_torch_check_fails_on_a_changed_detail(monkeypatch, old, new):
    from tfpt.frameworks.torch import study_code as study_code_torch
    copy = planted(monkeypatch, study_code_torch, old, new)
    assert not raises_or_false(check_torch_study_code, run_torch_study_code(monkeypatch, copy))


# ------------------------------------------------------------------------------------- the Keras epoch's clock

def keras_epoch_on_a_virtual_clock(monkeypatch, module):
    """One epoch of keras_train on 64 images with a virtual clock: fit's set-up (on_train_begin) takes 100
    units, each step 1, its teardown (on_train_end) 1000. Returns the epoch's record."""
    from tfpt.data import datasets
    from tfpt.training.clock import Span
    now = [0.0]

    class Stamp:
        def __init__(self):
            self.wall = self.cpu = now[0]

        def __sub__(self, earlier):
            return Span(self.wall - earlier.wall, self.cpu - earlier.cpu)

    class Ticks(module.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            now[0] += 100

        def on_train_batch_end(self, batch, logs=None):
            now[0] += 1

        def on_train_end(self, logs=None):
            now[0] += 1000

    monkeypatch.setattr(module, "Stamp", Stamp)
    state = module.prepare(datasets.synthetic(64, 32), progress=False, evaluate_epochs=False, warmup_steps=0)
    state.record.append(Ticks())
    return module.epoch(state)


def check_keras_epoch(log):
    assert (log.seconds, log.setup_seconds, log.teardown_seconds) == (2, 100, 1000)  # 2 steps of 32 images


@pytest.mark.tf
def test_a_keras_epoch_is_timed_on_its_own_boundaries_inside_fit(monkeypatch):
    from tfpt.frameworks.keras import train as keras_train
    check_keras_epoch(keras_epoch_on_a_virtual_clock(monkeypatch, keras_train))


@pytest.mark.tf
def test_the_keras_epoch_check_fails_when_the_whole_fit_call_is_timed(monkeypatch):
    from tfpt.frameworks.keras import train as keras_train
    copy = planted(monkeypatch, keras_train, "span = clock.end - clock.begin", "span = t1 - t0")
    assert not raises_or_false(check_keras_epoch, keras_epoch_on_a_virtual_clock(monkeypatch, copy))


# ---------------------------------------------------------------------------------- what a worker hides

def check_worker_envs():
    hides = {fw: set(frameworks.worker_env(fw)["TFPT_WORKER_HIDES"].split(",")) for fw in frameworks.REGISTRY}
    assert frameworks.worker_env("tf")["KERAS_BACKEND"] == "tensorflow"
    assert {"torch", "torchvision", "jax"} <= hides["tf"] and not hides["tf"] & {"tensorflow", "keras"}
    assert {"tensorflow", "keras", "jax"} <= hides["torch"] and not hides["torch"] & {"torch", "torchvision"}
    for backend in frameworks.keras_backends():  # Keras on torch / JAX: its backend fixed, TensorFlow hidden
        env = frameworks.worker_env(backend.id)
        assert env["KERAS_BACKEND"] == backend.keras_backend and "tensorflow" in hides[backend.id]
        assert "keras" not in hides[backend.id] and not hides[backend.id] & set(backend.modules)


def test_a_worker_fixes_its_keras_backend_and_hides_every_other_framework():
    check_worker_envs()


def test_the_worker_check_fails_when_the_modules_hidden_beside_a_framework_are_not(monkeypatch):
    real = frameworks._foreign_modules
    monkeypatch.setattr(frameworks, "_foreign_modules", lambda fw, with_hides=False: real(fw, False))
    assert not raises_or_false(check_worker_envs)  # torchvision (hidden beside torch) would load into TF's RSS


# ------------------------------------------------------------------------------ which way round each ratio is

def check_ab(module):
    got = {"A": [{"t": 10.0}, {"t": 10.2}, {"t": 9.9}], "B": [{"t": 20.0}, {"t": 20.3}, {"t": 19.8}]}
    (row,) = module.verdicts(got)
    assert row["ratio"]["value"] == pytest.approx(2.0, rel=0.02) and row["verdict"] == "B slower"


def test_ab_is_b_over_a_and_a_slower_b_is_called_slower():
    from tfpt.cli import ab
    check_ab(ab)


def test_the_ab_check_fails_when_the_ratio_is_turned_round(monkeypatch):
    from tfpt.cli import ab
    assert not raises_or_false(check_ab, planted(monkeypatch, ab, "stats.ratio(b, a)", "stats.ratio(a, b)"))


def compare_run(fw, epochs, rss, latency, throughput):
    return {"framework": fw, "pair": "spec", "peak_rss_mb": rss, "epochs": [{"seconds": s} for s in epochs],
            "serving": {"latency_ms": latency, "throughput_ips": throughput}}


def check_compare(module):
    tf = [compare_run("tf", [10.0, 20.0], 900.0 + i, 4.0 + i / 10, 20000.0 + i) for i in range(3)]
    torch = [compare_run("torch", [30.0, 30.0], 1800.0 + i, 0.2 + i / 100, 10000.0 + i) for i in range(3)]
    assert module.epoch_seconds(tf[0]) == 15.0  # the mean of the run's epochs
    r = module.ratio_figures(tf, torch)  # A / B, in the order given
    assert r["epoch_s"].value == pytest.approx(0.5) and r["epoch_verdict"] == "TensorFlow faster"
    assert r["rss_verdict"] == "TensorFlow smaller" and r["latency_ms_verdict"] == "PyTorch faster"
    assert r["throughput_ips"].value == pytest.approx(2.0, rel=0.01) and r["throughput_ips_verdict"] == \
        "TensorFlow faster"  # throughput: higher is better


def test_compare_ratios_are_a_over_b_and_each_figure_knows_its_better_side():
    from tfpt.cli import compare
    check_compare(compare)


@pytest.mark.parametrize("old, new", [
    ('"throughput_ips_verdict"),', '"throughput_ips_verdict")[:3] + ("lower", "throughput_ips_verdict"),'),
    ('return sum(e["seconds"] for e in r["epochs"]) / len(r["epochs"])', 'return r["epochs"][-1]["seconds"]'),
    ("r = stats.ratio(va, vb)", "r = stats.ratio(vb, va)"),
], ids=["throughput-lower-is-better", "epoch-is-the-last-one", "b-over-a"])
def test_the_compare_check_fails_on_a_changed_detail(monkeypatch, old, new):
    from tfpt.cli import compare
    assert not raises_or_false(check_compare, planted(monkeypatch, compare, old, new))


def check_report(module, tmp_path):
    from tests.report_runs import bench, save
    from tfpt.report.storage import load_runs

    def epoch(fw, mode, s):
        return bench(f"test_epoch[{fw}-cpu-{mode}]", [s, s * 1.01, s * 0.99], "epoch", fw, mode)
    save(tmp_path, 1, [epoch("tf", "as-written", 12.0), epoch("torch", "as-written", 8.0),
                       epoch("tf", "tuned", 9.0), epoch("tf", "tuned-bf16", 6.0)])
    study = module.study_figures(load_runs(tmp_path))
    assert study["study.epoch_s.ratio"] == pytest.approx(1.5) and study["study.bf16_speedup.tf"] == 1.5
    (said,) = [h["verdict"] for h in module.headline_verdicts(study) if h["key"] == "epoch_s"]
    assert said == "PyTorch faster" and stats.verdict(stats.ratio([1.0] * 3, [2.0] * 3), "x", "y") == "y"


def test_the_report_is_tf_over_pytorch_and_bf16_speedup_is_float32_over_bf16(tmp_path):
    from tfpt.report import tables
    check_report(tables, tmp_path)


@pytest.mark.parametrize("old, new", [
    ('f32["stats"]["median"] / bf16["stats"]["median"]', 'bf16["stats"]["median"] / f32["stats"]["median"]'),
    ('above, below = f"{b.name} {word}", f"{a.name} {word}"', 'above, below = f"{a.name} {word}", f"{b.name} {word}"'),
], ids=["bf16-over-float32", "verdict-words-swapped"])
def test_the_report_check_fails_on_a_changed_detail(monkeypatch, tmp_path, old, new):
    from tfpt.report import tables
    assert not raises_or_false(check_report, planted(monkeypatch, tables, old, new), tmp_path)
