"""The one clock of every timed region (an epoch, a fit call's set-up and teardown): wall seconds
(time.perf_counter) beside the process's CPU seconds (time.process_time, all threads), and the test that calls
a region idle. numpy-free, framework-free.

Why CPU time beside wall time: TensorFlow 2.21's `model.fit` on numpy arrays, in about half of fresh processes,
returned 18-21 s after its training ended with under 2 s of CPU used: the main thread waited in the destructor of
fit's tf.data iterator (`RootDataset::Iterator::~Iterator` -> `UnboundedThreadPool::LogicalThreadWrapper`) for
tf.data's autotuning thread (`model::Model::OptimizeLoop`, started by `EnsureModelThreadStarted`), which sleeps on
a condition variable between optimisations with a period doubling from 10 ms (10, 30, 70, ... 10 * (2^k - 1) ms:
10.2, 20.5, 41.0 s after it started), and was not woken when the iterator was cancelled. A wall clock alone
reads such a wait as a slow epoch; CPU time shows it at once.

A region is *idle* when its wall time holds more than `IDLE_MIN_S` and `IDLE_FRACTION` of itself that its CPU
time does not explain at the framework's normal CPU/wall ratio (`NORMAL_CPU_RATIO`, measured per framework and
mode on this machine kind: 2 cores). `idle_seconds` is that unexplained wall time.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from tfpt.frameworks.registry import KERAS_JAX, KERAS_TORCH, TF, TORCH

# CPU seconds per wall second of a full-MNIST training epoch, measured here (2 cores, TF 2.21 / Keras 3.15,
# torch 2.14.1, nothing else running) over fresh workers (docs/measurements/2026-12-01-epoch-clock.md): TF as
# written 1.755-1.771 over 10 workers; PyTorch as written 1.99 (3); the study's code TF 1.615-1.716, PyTorch
# 1.988-1.99; tuned TF 1.89, PyTorch 1.99; bfloat16 TF 1.95, PyTorch 1.92 (one worker each). Keras as written on
# torch 1.988-1.992 and on JAX 1.486-1.502 over 3 workers each (docs/measurements/2026-12-01-four-columns.md: XLA's
# CPU client keeps the second core less busy).
NORMAL_CPU_RATIO = {
    (KERAS_TORCH.id, "as-written"): 1.99, (KERAS_JAX.id, "as-written"): 1.49,
    (TF.id, "as-written"): 1.76, (TF.id, "tuned"): 1.89, (TF.id, "tuned-bf16"): 1.95, (TF.id, "study-code"): 1.61,
    (TORCH.id, "as-written"): 1.99, (TORCH.id, "tuned"): 1.99, (TORCH.id, "tuned-bf16"): 1.92,
    (TORCH.id, "study-code"): 1.99,
}
DEFAULT_CPU_RATIO = 1.5  # a framework or mode not measured yet (a wait is then flagged only when larger)
IDLE_MIN_S = 1.0  # unexplained wall seconds below this are never flagged (short epochs' set-up noise)
# ... nor below this fraction of the region. The normal ratios above were measured on the AMD box; on an AVX-512
# Xeon TensorFlow as written used 1.69 (2026-12-05, morning) and 1.57 (evening, idle, 3 repeats) CPU seconds per wall
# second: 4-11 % of each epoch "unexplained" at 1.76, so at 10 % every TF epoch of an idle machine was flagged and
# tfpt-compare withheld its verdict. 15 % holds a machine whose ratio is up to 15 % under the table's; a planted
# 5 s wait in a 20 s epoch (20 %) and the waits of a busy box (PyTorch 9.8-69.4 s of 29-138 s epochs) still show.
IDLE_FRACTION = 0.15


@dataclass(frozen=True)
class Span:
    """One timed region: wall and CPU seconds."""
    wall_s: float
    cpu_s: float

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    def minus(self, other: "Span") -> "Span":
        """This region less a nested one (an evaluation inside an epoch)."""
        return Span(self.wall_s - other.wall_s, self.cpu_s - other.cpu_s)

    def as_dict(self) -> dict:
        return asdict(self)


class Stamp:
    """A point on both clocks; `Stamp() - earlier` is the Span between them."""
    __slots__ = ("wall", "cpu")

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __sub__(self, earlier: "Stamp") -> Span:
        return Span(self.wall - earlier.wall, self.cpu - earlier.cpu)


# Per-call regions (a model pair's training steps, batch-1 calls, large-batch calls: tfpt.training.pair_cost) are
# judged at one busy core: their normal ratio depends on the model and the call, not only the framework. Measured
# here, quiet (docs/measurements/2026-12-06-pair-costs.md): TensorFlow's batch-1 calls 1.00-1.02 CPU s per wall s
# (ResNet50, MobileNetV2, the transformer encoder), its large-batch calls 0.98-1.49, Keras on JAX's 1.06-1.77,
# PyTorch's 1.71-2.33; at the epoch table's 1.76 every TensorFlow batch-1 region (5-8 s) was flagged idle. A wait
# still shows: it leaves the CPU under one core.
PER_CALL = "per-call"
PER_CALL_RATIO = 1.0


def normal_ratio(framework: str, mode: str) -> float:
    if mode == PER_CALL:
        return PER_CALL_RATIO
    return NORMAL_CPU_RATIO.get((framework, mode), DEFAULT_CPU_RATIO)


def idle_seconds(span: Span, framework: str, mode: str) -> float:
    """Wall seconds of `span` its CPU time does not explain at the framework's normal CPU/wall ratio (>= 0)."""
    return max(0.0, span.wall_s - span.cpu_s / normal_ratio(framework, mode))


def is_idle(span: Span, framework: str, mode: str) -> bool:
    idle = idle_seconds(span, framework, mode)
    return idle > IDLE_MIN_S and idle > IDLE_FRACTION * span.wall_s


def describe(span: Span, framework: str, mode: str) -> dict:
    """What a result records of one region: its seconds, CPU seconds, and the idle verdict."""
    idle = idle_seconds(span, framework, mode)
    return {"seconds": span.wall_s, "cpu_seconds": span.cpu_s, "idle_seconds": idle,
            "idle": is_idle(span, framework, mode)}


# The parent's view of a worker's epoch (the request's round trip) must equal what the worker accounts for: the
# fit call's set-up, the epoch, its teardown and evaluation. More than this much unaccounted, in either
# direction, means a reported figure is not what was timed.
ACCOUNT_TOLERANCE = 0.01  # of the parent's seconds
ACCOUNT_SLACK_S = 0.05  # the request's pipe round trip, JSON and the worker's bookkeeping around the epoch


def allowance(parent_s: float) -> float:
    """The seconds of a parent's view of `parent_s` that the figures may leave unaccounted, either sign."""
    return ACCOUNT_SLACK_S + ACCOUNT_TOLERANCE * parent_s


def unaccounted(parent_s: float, log: dict) -> float | None:
    """Seconds of the parent's view that the worker's figures for one epoch do not add up to, when that exceeds
    the tolerance (either sign); None when they agree."""
    parts = log["seconds"] + log.get("setup_seconds", 0.0) + log.get("teardown_seconds", 0.0) \
        + log.get("eval_seconds", 0.0)
    gap = parent_s - parts
    return gap if abs(gap) > allowance(parent_s) else None


CONTROL_SHORTFALL = 0.10  # the negative control's figure is this fraction short ...
CONTROL_MARGIN = 2.0  # ... or this many allowances short, whichever is more


def shortened(seconds: float, parent_s: float) -> float:
    """The negative control of `unaccounted`: a figure short by 10 %, or by twice the check's allowance at the
    measured size where that is more. The allowance's fixed 50 ms makes a 10 % shortfall invisible below 0.55 s:
    on an AVX-512 Xeon the epoch benchmark's served epochs (2,048 images) took 0.24-0.44 s and the study's code
    0.29 s for 512 images, and a 10 % control passed there; a machine 4x faster than that must still fail it."""
    return seconds - max(CONTROL_SHORTFALL * seconds, CONTROL_MARGIN * allowance(parent_s))
