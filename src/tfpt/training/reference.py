"""An independent NumPy reference of what each trainer is documented to do with a `TrainSettings`: the batches it
feeds, the loss it computes and the Adam update it applies. numpy only, float64 throughout.

The conformance check (tfpt.training.conformance) feeds it the network's gradients from the framework (the
reference owns the loss and its derivative with respect to the model's output; the framework only back-propagates
that derivative through the network), so what is checked here is everything a trainer decides: batch size,
order, input scaling, loss form and reduction, optimizer and every hyperparameter.

Documented updates (t counts from 1, g the gradient, m and v start at 0):
    both:    m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2
    Keras:   w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)              (keras.optimizers.Adam)
    PyTorch: w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)              (torch.optim.Adam)
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.frameworks.registry import TF, TORCH
from tfpt.settings import AdamSettings, TrainSettings
from tfpt.training.order import shared_order

# The framework each placement is documented for.
PLACEMENT = {TF.id: "hat", TORCH.id: "after"}
PROBABILITY_CLIP = 1e-7  # Keras' backend.epsilon(), the clip of sparse_categorical_crossentropy on probabilities


def scale(x_uint8: np.ndarray, settings: TrainSettings) -> np.ndarray:
    dtype = np.dtype(settings.input_dtype).type
    return (x_uint8.astype(dtype) / dtype(settings.input_divisor))[..., None]


def expected_batches(x_uint8: np.ndarray, y: np.ndarray, settings: TrainSettings, seed: int,
                     epoch: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """The batches (channels-last inputs, labels) of one epoch in the shared order."""
    if settings.order != "shared":
        raise ValueError("the reference knows the batches of the shared order only (native orders are each "
                         "framework's own RNG)")
    idx = shared_order(len(x_uint8), seed, epoch)
    xs, ys = scale(x_uint8[idx], settings), y[idx]
    b = settings.batch_size
    return [(xs[i:i + b], ys[i:i + b]) for i in range(0, len(xs), b)]


def cross_entropy(output: np.ndarray, y: np.ndarray, form: str, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """Loss and its derivative with respect to `output` (logits or probabilities, shape (N, classes))."""
    out = output.astype(np.float64)
    n = len(y)
    rows = np.arange(n)
    if form == "logits":
        z = out - out.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        per = -logp[rows, y]
        grad = np.exp(logp)
        grad[rows, y] -= 1.0
    elif form == "probabilities":
        p = np.clip(out, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
        per = -np.log(p[rows, y])
        grad = np.zeros_like(out)
        inside = (out[rows, y] > PROBABILITY_CLIP) & (out[rows, y] < 1 - PROBABILITY_CLIP)
        grad[rows, y] = np.where(inside, -1.0 / p[rows, y], 0.0)
    else:
        raise ValueError(f"unknown loss form {form!r}")
    if reduction == "mean":
        return float(per.mean()), grad / n
    if reduction == "sum":
        return float(per.sum()), grad
    raise ValueError(f"unknown reduction {reduction!r}")


class Adam:
    """The documented Adam of one framework, applied to named float64 arrays."""

    def __init__(self, fw: str, settings: AdamSettings):
        if fw not in PLACEMENT:
            raise ValueError(f"unknown framework {fw!r}")
        self.fw, self.s, self.t = fw, settings, 0
        self.m: dict = {}
        self.v: dict = {}

    def step(self, weights: "OrderedDict[str, np.ndarray]", grads: "OrderedDict[str, np.ndarray]") -> OrderedDict:
        s, self.t = self.s, self.t + 1
        t, out = self.t, OrderedDict()
        for name, w in weights.items():
            g = grads[name].astype(np.float64)
            m = self.m[name] = s.beta_1 * self.m.get(name, 0.0) + (1 - s.beta_1) * g
            v = self.v[name] = s.beta_2 * self.v.get(name, 0.0) + (1 - s.beta_2) * g * g
            if PLACEMENT[self.fw] == "hat":
                update = (s.learning_rate * np.sqrt(1 - s.beta_2 ** t) / (1 - s.beta_1 ** t)
                          * m / (np.sqrt(v) + s.epsilon))
            else:
                update = (s.learning_rate / (1 - s.beta_1 ** t)
                          * m / (np.sqrt(v) / np.sqrt(1 - s.beta_2 ** t) + s.epsilon))
            out[name] = w.astype(np.float64) - update
        return out
