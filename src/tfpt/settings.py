"""The study's training settings, declared once. Every training code path builds its optimizer, loss, input
scaling and batching from a `TrainSettings` (the trainers, the benchmark workloads, the overhead script and the
numeric step tests), through `make_optimizer` / `make_loss` in tfpt.frameworks.keras.train and
tfpt.frameworks.torch.train.

The study trained one MNIST CNN in both frameworks with: batch 32, Adam with each framework's defaults, 5 epochs,
inputs x / 255 as float32, a mean-reduced cross-entropy. Adam's defaults differ in one figure and one placement:

    Keras:   lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7 added to sqrt(v) *before* bias correction
             ("epsilon hat": w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps))
    PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8 added to sqrt(v_hat) *after* bias correction
             (w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps))

The loss takes what the model's head emits: a logits head is trained on logits (from_logits=True /
CrossEntropyLoss); the study's Keras model, with a softmax head, on probabilities (sparse categorical
cross-entropy with from_logits=False). tests/test_trainer_conformance.py runs each trainer for a few steps and
checks it against an independent NumPy reference of these settings (tfpt.training.reference).

numpy only: no framework is imported here.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

LOSS_FORMS = ("logits", "probabilities")
REDUCTIONS = ("mean", "sum")
PLACEMENTS = ("hat", "after")
ORDERS = ("native", "shared")
# How a trainer runs the same settings: the study's code paths, the measured-fastest feeding (same math), and
# that with bfloat16 mixed precision (bf16 compute, float32 master weights, float32 loss): a dtype axis.
TRAIN_MODES = ("as-written", "tuned", "tuned-bf16")
# Test images per forward pass of a trainer's evaluation (tfpt-compare --eval-batch): what both trainers have
# always done (predict(..., batch=1000)); its peak RSS grows with it.
EVAL_BATCH = 1000
# The study's own code, as written (tfpt.frameworks.keras.study_code / tfpt.frameworks.torch.study_code): its models,
# its data pipelines (Keras: float64 x / 255.0 and one fit(epochs=N); PyTorch: torchvision's MNIST + ToTensor through an
# unshuffled DataLoader) and its evaluation. "as-written" above is the study's *settings* on the spec CNN through
# the suite's trainers; this is the study's *code*.
STUDY_CODE = "study-code"
RUN_MODES = TRAIN_MODES + (STUDY_CODE,)


@dataclass(frozen=True)
class AdamSettings:
    learning_rate: float = 1e-3
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    # "hat": epsilon added to sqrt(v) before bias correction (Keras); "after": to sqrt(v_hat) (PyTorch)
    epsilon_placement: str = "hat"

    def __post_init__(self):
        if self.epsilon_placement not in PLACEMENTS:
            raise ValueError(f"epsilon_placement must be one of {PLACEMENTS}, got {self.epsilon_placement!r}")


@dataclass(frozen=True)
class TrainSettings:
    optimizer: str = "adam"
    keras_adam: AdamSettings = field(default_factory=lambda: AdamSettings(epsilon=1e-7, epsilon_placement="hat"))
    torch_adam: AdamSettings = field(default_factory=lambda: AdamSettings(epsilon=1e-8, epsilon_placement="after"))
    loss_form: str = "logits"  # what the loss of a logits-head model takes: "logits" or "probabilities"
    softmax_head_loss: str = "probabilities"  # a softmax head emits probabilities; the study's Keras loss takes them
    reduction: str = "mean"  # over the batch
    input_divisor: float = 255.0  # inputs are uint8 pixels / input_divisor
    input_dtype: str = "float32"
    batch_size: int = 32
    order: str = "native"  # "native": each framework's own shuffle; "shared": tfpt.training.order.shared_order
    epochs: int = 5  # the study's; the suite's tests and benchmarks train 1 epoch unless told otherwise

    def __post_init__(self):
        if self.optimizer != "adam":
            raise ValueError(f"only the study's optimizer, 'adam', is supported, got {self.optimizer!r}")
        for name, value, allowed in (("loss_form", self.loss_form, LOSS_FORMS),
                                     ("softmax_head_loss", self.softmax_head_loss, LOSS_FORMS),
                                     ("reduction", self.reduction, REDUCTIONS), ("order", self.order, ORDERS)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    def adam(self, fw: str) -> AdamSettings:
        """The Adam hyperparameters of framework `fw` ("tf" or "torch")."""
        from tfpt.frameworks import KERAS_SIDE, get
        return self.keras_adam if get(fw).side == KERAS_SIDE else self.torch_adam

    def loss_for(self, head: str) -> str:
        """The loss form for a model whose head emits `head` ("logits" or "softmax")."""
        if head == "softmax":
            return self.softmax_head_loss
        if head == "logits":
            return self.loss_form
        raise ValueError(f"unknown head {head!r}; use 'logits' or 'softmax'")

    def changed(self, fw: str | None = None, **changes) -> "TrainSettings":
        """A copy with `changes`; Adam's fields (learning_rate, epsilon, ...) go to framework `fw`'s Adam (to
        both when fw is None), the others to the settings themselves."""
        adam_names = {f.name for f in fields(AdamSettings)}
        adam = {k: v for k, v in changes.items() if k in adam_names}
        rest = {k: v for k, v in changes.items() if k not in adam_names}
        out = replace(self, **rest) if rest else self
        if adam:
            from tfpt.frameworks import KERAS_SIDE, TORCH_SIDE, get
            sides = {KERAS_SIDE, TORCH_SIDE} if fw is None else {get(fw).side}
            if KERAS_SIDE in sides:
                out = replace(out, keras_adam=replace(out.keras_adam, **adam))
            if TORCH_SIDE in sides:
                out = replace(out, torch_adam=replace(out.torch_adam, **adam))
        return out

    def scale_inputs(self, x_uint8: np.ndarray) -> np.ndarray:
        """uint8 (N, 28, 28) -> (N, 28, 28, 1) in the declared dtype: x / input_divisor, channels-last."""
        dtype = np.dtype(self.input_dtype).type
        return (x_uint8.astype(dtype) / dtype(self.input_divisor))[..., None]

    def steps_per_epoch(self, n: int) -> int:
        return -(-n // self.batch_size)


# The study as it ran (see the module docstring for each figure's source).
STUDY = TrainSettings()
