"""What the benchmarks time, per framework and device, kept apart from pytest (the fixture only calls these).

Each `*_step` / `*_infer` returns the body `benchmark.pedantic` times, its state built outside the timing. The epoch
is timed in a worker process holding one framework (tfpt.bench.epoch_worker), through the trainer's `epoch` call:
the same measurement tfpt-compare reports; the machine's speed beside them is tfpt.adapters.yardstick. FLOP counts
come from the spec (tfpt.spec), so the report can turn times into GFLOP/s.
Optimizer, loss, input scaling and batch size come from the study's settings (tfpt.settings.STUDY) through the
trainers' make_optimizer / make_loss, as in training.
"""
from __future__ import annotations

import numpy as np

from tfpt.settings import STUDY
from tfpt.spec import CNN, forward_macs, layer_macs, train_flops_per_image  # noqa: F401  (re-exported)

BATCH = STUDY.batch_size
LATENCY_BATCH = 1
LATENCY_SETTLE = 3  # untimed calls after each yardstick sample of a latency benchmark (Yardstick.settled)
THROUGHPUT_BATCH = 1024


def flops(quantity: str, batch: int = BATCH, samples: int = 60000) -> float:
    if quantity == "epoch":
        return float(train_flops_per_image(CNN)) * samples
    if quantity == "step":
        return float(train_flops_per_image(CNN)) * batch
    return 2.0 * forward_macs(CNN) * batch


# ------------------------------------------------------------------------------------------- PyTorch

def torch_step(ds, device: str, seed: int, precision: str = "float32"):
    import torch

    from tfpt.adapters.devices import torch_device
    from tfpt.frameworks.torch import cnn as torch_models
    from tfpt.frameworks.torch.train import autocast, make_loss, make_optimizer, to_tensors
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).train()
    opt = make_optimizer(STUDY, model.parameters())
    x, y = to_tensors(ds.x_train[:BATCH], ds.y_train[:BATCH], STUDY)
    x, y = x.to(dev), y.to(dev)
    loss_fn = make_loss(STUDY, CNN.head)
    opts = {"precision": precision}

    def body():
        opt.zero_grad()
        with autocast(dev, opts):
            loss = loss_fn(model(x).float(), y)
        loss.backward()
        opt.step()
        if dev.type != "cpu":
            torch.cuda.synchronize()
    return body


# Inference modes: the same model and weights; only how the call is run changes. "as-written" is the study's
# plain call (eager Keras on a numpy batch; nn.Module under inference_mode, NCHW). `python -m tfpt.cli.tune
# --inference --rounds 7` (2-core CPU, TF 2.21, torch 2.14.1, interleaved; median ms at batch 1 / at batch 1,024,
# % of the float32 2048³ matmul of the same rounds):
#   torch  as-written 0.460 / 201.5 (22 %); channels_last 0.267 / 119.7 (37 %); TorchScript trace + freeze +
#          optimize_for_inference 0.244 / 76.4 (57 %); that + channels_last 0.235 / 72.6 (60 %);
#          torch.compile 0.336 / 117.9 (37 %). An earlier run: bf16 autocast + channels_last 0.642 / 86.1 (61 %)
#   tf     as-written 5.648 / 75.4 (57 %); tf.function 0.726 / 46.6 (93 %); tf.function + XLA 0.543 / 76.2 (57 %);
#          concrete function 0.584 / 47.1 (92 %); concrete + XLA 0.360 / 75.5 (57 %).
#          An earlier run: bf16 policy + tf.function 1.005 / 32.4 (163 % of the float32 matmul)
TORCH_INFER_MODES = {"as-written": {}, "tuned": {"freeze": True},
                     "tuned-bf16": {"channels_last": True, "precision": "bfloat16"}}
# TensorFlow's tuned call: one concrete function traced for the served shape (no signature matching per call; the
# cast to float32 inside the graph), compiled with XLA at batch 1 only. `python -m tfpt.cli.tune --inference` and
# a batch sweep, interleaved, 2-core box: XLA won only at batch 1 (0.41 vs 0.52-0.77 ms); from batch 8 on the
# oneDNN-fused graph won (batch 8 0.85 vs 1.0 ms, 32 1.9 vs 3.2, 128 7.4 vs 10.5, 256 13.8 vs 21.3, 1,024 47 vs
# 76 ms; eager 5.6 / 75 ms at batch 1 / 1,024). Batches 2-7 were not measured and get the graph.
# Option xla_max_batch: compile with XLA up to this batch size (XLA_ALWAYS: every batch).
XLA_ALWAYS = float("inf")
TF_INFER_MODES = {"as-written": {}, "tuned": {"function": True, "concrete": True, "xla_max_batch": 1},
                  "tuned-bf16": {"function": True, "concrete": True, "precision": "bfloat16"}}


def test_batch(x_test_uint8: np.ndarray, batch: int) -> np.ndarray:
    """The first `batch` test images (repeated when the set is smaller), scaled as in training."""
    reps = -(-batch // len(x_test_uint8))
    return STUDY.scale_inputs(np.concatenate([x_test_uint8] * reps)[:batch])


def torch_infer(ds, device: str, seed: int, batch: int, mode: str = "as-written", options: dict | None = None):
    import torch

    from tfpt.adapters.devices import torch_device
    from tfpt.frameworks.torch import cnn as torch_models
    opts = TORCH_INFER_MODES[mode] if options is None else options
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).eval()
    x = torch.from_numpy(np.ascontiguousarray(test_batch(ds.x_test, batch).transpose(0, 3, 1, 2))).to(dev)
    if opts.get("channels_last"):
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    if opts.get("freeze"):  # TorchScript trace, frozen: constants folded, conv + ReLU fused by oneDNN
        import warnings
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            # torch 2.14 deprecates torch.jit; it is still the fastest CPU inference path measured here
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
            model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x).eval()))
    if opts.get("compile"):
        model = torch.compile(model)

    bf16 = opts.get("precision") == "bfloat16"

    def body():
        with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(x).float()
        if dev.type != "cpu":
            torch.cuda.synchronize()
        return out
    return body


# ---------------------------------------------------------------------------------------- TensorFlow

def tf_step(ds, device: str, seed: int, precision: str = "float32"):
    from tfpt.adapters.devices import tf_device
    from tfpt.frameworks.keras import cnn as keras_models
    from tfpt.frameworks.keras.train import compile_study_settings
    keras_models.keras.utils.set_random_seed(seed)
    with keras_models.tf.device(tf_device(device)), keras_models.precision(precision):
        model = keras_models.build(CNN)
    with keras_models.tf.device(tf_device(device)):
        model = compile_study_settings(model, settings=STUDY)
    x, y = STUDY.scale_inputs(ds.x_train[:BATCH]), ds.y_train[:BATCH].astype(np.int32)

    def body():
        with keras_models.tf.device(tf_device(device)):
            return model.train_on_batch(x, y)
    return body


def tf_infer(ds, device: str, seed: int, batch: int, mode: str = "as-written", options: dict | None = None):
    from tfpt.adapters.devices import tf_device
    from tfpt.frameworks.keras import cnn as keras_models
    tf = keras_models.tf
    opts = TF_INFER_MODES[mode] if options is None else options
    keras_models.keras.utils.set_random_seed(seed)
    with keras_models.precision(opts.get("precision", "float32")):
        model = keras_models.build(CNN)
    x = test_batch(ds.x_test, batch)
    if not opts.get("function"):
        def body():
            with tf.device(tf_device(device)):
                return np.asarray(model(x, training=False))
        return body
    with tf.device(tf_device(device)):
        xt = tf.constant(x)  # converted once, as a served model receives a tensor
        call = tf.function(lambda t: tf.cast(model(t, training=False), tf.float32),
                           jit_compile=batch <= opts.get("xla_max_batch", 0), reduce_retracing=True)
        if opts.get("concrete"):  # traced here, under the device: placement is fixed in the graph
            concrete = call.get_concrete_function(tf.TensorSpec(xt.shape, xt.dtype))
            return lambda: concrete(xt).numpy()

    def body():
        with tf.device(tf_device(device)):
            return call(xt).numpy()
    return body


STEP = {"tf": tf_step, "torch": torch_step}
INFER = {"tf": tf_infer, "torch": torch_infer}
