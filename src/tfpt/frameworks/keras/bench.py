"""Keras' benchmark bodies: the training step and the inference call the benchmarks time on TensorFlow
(tfpt.bench.workloads holds the batches and FLOP counts), and a model pair's Keras side as the cost worker drives
it (tfpt.training.pair_cost), on whichever backend the process runs."""
from __future__ import annotations

import numpy as np

from tfpt import frameworks
from tfpt.bench.workloads import BATCH, test_batch
from tfpt.settings import STUDY
from tfpt.spec import CNN


def step(ds, device: str, seed: int, precision: str = "float32"):
    from tfpt.frameworks.keras import cnn as keras_models
    from tfpt.frameworks.keras.devices import device as tf_device
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


# Inference modes: the same model and weights; only how the call is run changes. "as-written" is the study's
# plain call (eager Keras on a numpy batch). `python -m tfpt.cli.tune --inference --rounds 7` (2-core CPU,
# TF 2.21, torch 2.14.1, interleaved; median ms at batch 1 / at batch 1,024, % of the float32 2048³ matmul of the
# same rounds; PyTorch's in tfpt.frameworks.torch.bench):
#   tf     as-written 5.648 / 75.4 (57 %); tf.function 0.726 / 46.6 (93 %); tf.function + XLA 0.543 / 76.2 (57 %);
#          concrete function 0.584 / 47.1 (92 %); concrete + XLA 0.360 / 75.5 (57 %).
#          An earlier run: bf16 policy + tf.function 1.005 / 32.4 (163 % of the float32 matmul)
# TensorFlow's tuned call: one concrete function traced for the served shape (no signature matching per call; the
# cast to float32 inside the graph), compiled with XLA at batch 1 only. `python -m tfpt.cli.tune --inference` and
# a batch sweep, interleaved, 2-core box: XLA won only at batch 1 (0.41 vs 0.52-0.77 ms); from batch 8 on the
# oneDNN-fused graph won (batch 8 0.85 vs 1.0 ms, 32 1.9 vs 3.2, 128 7.4 vs 10.5, 256 13.8 vs 21.3, 1,024 47 vs
# 76 ms; eager 5.6 / 75 ms at batch 1 / 1,024). Batches 2-7 were not measured and get the graph.
# Option xla_max_batch: compile with XLA up to this batch size (XLA_ALWAYS: every batch).
XLA_ALWAYS = float("inf")
INFER_MODES = {"as-written": {}, "tuned": {"function": True, "concrete": True, "xla_max_batch": 1},
               "tuned-bf16": {"function": True, "concrete": True, "precision": "bfloat16"}}


def infer(ds, device: str, seed: int, batch: int, mode: str = "as-written", options: dict | None = None):
    from tfpt.frameworks.keras import cnn as keras_models
    from tfpt.frameworks.keras.devices import device as tf_device
    tf = keras_models.tf
    opts = INFER_MODES[mode] if options is None else options
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


class Side:
    """The Keras model of a model pair as the cost worker (tfpt.training.pair_cost) drives it, on this process's
    backend (TensorFlow, torch or JAX): built, the weights the parent wrote loaded; its plain output, a training
    step with the study's settings (tfpt.settings.STUDY: Adam through the trainer's make_optimizer, the loss
    through its make_loss) and its plain inference call. Keras is imported when `load_framework` is called."""
    HOW = "train_on_batch (compiled, jit_compile off) / model(x, training=False)"

    @staticmethod
    def load_framework():
        return frameworks.import_keras()

    def __init__(self, pair, weights: str, seed: int):
        keras = self.keras = frameworks.import_keras()
        keras.utils.set_random_seed(seed)
        self.model = pair.keras()
        if not getattr(self.model, "built", False) or not getattr(self.model, "inputs", None):
            self.model(pair.input.batch(2, seed))
        self.model.load_weights(weights)

    def output(self, x):
        out = self.model(x, training=False)
        ops = getattr(self.keras, "ops", None)  # Keras 3 on any backend; Keras 2 (tf.keras) returns a tf.Tensor
        return np.asarray(ops.convert_to_numpy(out) if ops is not None else out)

    def step_fn(self, x, y, head: str):
        from tfpt.frameworks.keras import train as keras_train
        self.model.compile(optimizer=keras_train.make_optimizer(STUDY), loss=keras_train.make_loss(STUDY, head),
                           jit_compile=False)
        return lambda: self.model.train_on_batch(x, y)

    def infer_fn(self, x):
        return lambda: self.model(x, training=False)
