"""A model pair's two sides as the cost worker (tfpt.training.pair_cost) drives them: build the side's model, load
the weights the parent wrote, its plain output, a training step with the study's settings (tfpt.settings.STUDY:
Adam through each trainer's make_optimizer, the loss through its make_loss) and its plain inference call. Each
side imports its framework when `load_framework` is called (Keras on whichever backend the process runs)."""
from __future__ import annotations

import numpy as np

from tfpt import frameworks
from tfpt.settings import STUDY


class KerasSide:
    """The Keras model of the pair on this process's backend (TensorFlow, torch or JAX)."""
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


class TorchSide:
    """The PyTorch module of the pair, its state_dict loaded."""
    HOW = "zero_grad + loss.backward + Adam.step / module under inference_mode"

    @staticmethod
    def load_framework():
        return frameworks.import_torch()

    def __init__(self, pair, weights: str, seed: int):
        torch = self.torch = frameworks.import_torch()
        torch.manual_seed(seed)
        self.model = pair.torch()
        self.model.load_state_dict(torch.load(weights, weights_only=True))
        self.model.eval()

    def output(self, x):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x)).numpy()

    def step_fn(self, x, y, head: str):
        from tfpt.frameworks.torch import train as torch_train
        torch, model = self.torch, self.model
        model.train()
        opt, loss_fn = torch_train.make_optimizer(STUDY, model.parameters()), torch_train.make_loss(STUDY, head)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

        def step():
            opt.zero_grad()
            loss = loss_fn(model(xt), yt)
            loss.backward()
            opt.step()
        return step

    def infer_fn(self, x):
        torch, model, xt = self.torch, self.model, self.torch.from_numpy(x)

        def infer():
            model.eval()
            with torch.inference_mode():
                return model(xt)
        return infer


SIDES = {frameworks.KERAS_SIDE: KerasSide, frameworks.TORCH_SIDE: TorchSide}
