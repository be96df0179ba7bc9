"""What the benchmarks time, per framework and device, kept apart from pytest (the fixture only calls these).

Each `make_*` returns (setup, body) for `benchmark.pedantic`: setup builds fresh state outside the timing, body
is the timed work. FLOP counts come from the spec (tfpt.study.spec), so the report can turn times into GFLOP/s.
Optimizer, loss, input scaling and batch size come from the study's settings (tfpt.settings.STUDY) through the
trainers' make_optimizer / make_loss, as in training.
"""
from __future__ import annotations

import os
import time

import numpy as np

from tfpt.study.spec import CNN, forward_macs, train_flops_per_image
from tfpt.settings import STUDY

BATCH = STUDY.batch_size
LATENCY_BATCH = 1
THROUGHPUT_BATCH = 1024


def injected_sleep() -> float:
    """The planted-slowdown test hook: TFPT_BENCH_SLEEP seconds are added to every benchmarked body (the
    --bench-sleep option sets it). Zero unless asked for: it exists to prove the regression gate fires."""
    return float(os.environ.get("TFPT_BENCH_SLEEP", "0") or 0)


def _slowed(body):
    pause = injected_sleep()
    if not pause:
        return body

    def slowed(*args, **kwargs):
        time.sleep(pause)
        return body(*args, **kwargs)
    return slowed


def flops(quantity: str, batch: int = BATCH, samples: int = 60000) -> float:
    if quantity == "epoch":
        return float(train_flops_per_image(CNN)) * samples
    if quantity == "step":
        return float(train_flops_per_image(CNN)) * batch
    return 2.0 * forward_macs(CNN) * batch


# ------------------------------------------------------------------------------------------- PyTorch

def torch_epoch(ds, device: str, seed: int, mode: str = "as-written"):
    from tfpt.adapters import torch_train
    state = {}

    def body():
        state["model"], state["result"] = torch_train.train(ds, epochs=1, seed=seed, progress=False,
                                                            evaluate_epochs=False, device=device, mode=mode)
    return _slowed(body), state


def torch_step(ds, device: str, seed: int):
    import torch
    from tfpt.adapters.devices import torch_device
    from tfpt.adapters import study_torch as torch_models
    from tfpt.adapters.torch_train import make_loss, make_optimizer, to_tensors
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).train()
    opt = make_optimizer(STUDY, model.parameters())
    x, y = to_tensors(ds.x_train[:BATCH], ds.y_train[:BATCH], STUDY)
    x, y = x.to(dev), y.to(dev)
    loss_fn = make_loss(STUDY, CNN.head)

    def body():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        if dev.type != "cpu":
            torch.cuda.synchronize()
    return _slowed(body)


def torch_infer(ds, device: str, seed: int, batch: int):
    import torch
    from tfpt.adapters.devices import torch_device
    from tfpt.adapters import study_torch as torch_models
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).eval()
    reps = -(-batch // len(ds.x_test))
    x_all = np.concatenate([ds.x_test] * reps)[:batch]
    x = torch.from_numpy(np.ascontiguousarray(STUDY.scale_inputs(x_all).transpose(0, 3, 1, 2))).to(dev)

    def body():
        with torch.inference_mode():
            out = model(x)
        if dev.type != "cpu":
            torch.cuda.synchronize()
        return out
    return _slowed(body)


# ---------------------------------------------------------------------------------------- TensorFlow

def tf_epoch(ds, device: str, seed: int, mode: str = "as-written"):
    from tfpt.adapters import keras_train
    state = {}

    def body():
        state["model"], state["result"] = keras_train.train(ds, epochs=1, seed=seed, progress=False,
                                                            evaluate_epochs=False, device=device, mode=mode)
    return _slowed(body), state


def tf_step(ds, device: str, seed: int):
    from tfpt.adapters.devices import tf_device
    from tfpt.adapters import study_keras as keras_models
    from tfpt.adapters.keras_train import compile_study_settings
    keras_models.keras.utils.set_random_seed(seed)
    with keras_models.tf.device(tf_device(device)):
        model = compile_study_settings(keras_models.build(CNN), settings=STUDY)
    x, y = STUDY.scale_inputs(ds.x_train[:BATCH]), ds.y_train[:BATCH].astype(np.int32)

    def body():
        with keras_models.tf.device(tf_device(device)):
            return model.train_on_batch(x, y)
    return _slowed(body)


def tf_infer(ds, device: str, seed: int, batch: int):
    from tfpt.adapters.devices import tf_device
    from tfpt.adapters import study_keras as keras_models
    keras_models.keras.utils.set_random_seed(seed)
    model = keras_models.build(CNN)
    reps = -(-batch // len(ds.x_test))
    x = STUDY.scale_inputs(np.concatenate([ds.x_test] * reps)[:batch])

    def body():
        with keras_models.tf.device(tf_device(device)):
            return np.asarray(model(x, training=False))
    return _slowed(body)


def matmul_peak(n: int = 2048):
    """float32 n x n matrix multiply in torch if present (else numpy): the machine's practical GEMM peak."""
    try:
        import torch
        a, b = torch.rand(n, n), torch.rand(n, n)
        return lambda: torch.mm(a, b), 2.0 * n ** 3
    except ImportError:
        a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
        return lambda: a @ b, 2.0 * n ** 3


STEP = {"tf": tf_step, "torch": torch_step}
INFER = {"tf": tf_infer, "torch": torch_infer}
EPOCH = {"tf": tf_epoch, "torch": torch_epoch}
