"""What a training run reports, the same for both frameworks, and the progress lines it prints."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field


@dataclass
class EpochLog:
    epoch: int
    loss: float  # mean training loss over the epoch's batches
    train_acc: float  # fraction of the epoch's training samples classified right, as it trained
    test_acc: float  # full test set, after the epoch, argmax of the model's outputs
    seconds: float  # training only: the framework's own epoch boundaries (tfpt.training.clock)
    eval_seconds: float
    cpu_seconds: float = float("nan")  # process CPU seconds over the same region (all threads)
    setup_seconds: float = 0.0  # before the epoch's clock starts: model.fit's set-up (adapter, iterator, callbacks)
    teardown_seconds: float = 0.0  # after it stops: model.fit's return (its tf.data iterator freed), never timed
    idle_seconds: float = 0.0  # wall seconds of the epoch its CPU time does not explain (tfpt.training.clock)
    idle: bool = False  # idle_seconds beyond the clock's threshold: the figure holds a wait, not training


@dataclass
class RunResult:
    framework: str
    dataset: str
    seed: int
    order: str
    mode: str = "as-written"
    epochs: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)  # [(step, seconds since start incl. evaluation, test_acc)]
    target: float | None = None
    time_to_accuracy: float | None = None  # MLPerf: start of training -> first evaluation >= target

    def record_eval(self, step: int, elapsed: float, acc: float) -> None:
        self.evaluations.append((step, elapsed, acc))
        if self.target is not None and self.time_to_accuracy is None and acc >= self.target:
            self.time_to_accuracy = elapsed

    def as_dict(self) -> dict:
        return asdict(self)


class Progress:
    """Prints a line every `every` steps and at each epoch's end, to stderr, so a long run is visibly alive."""

    def __init__(self, framework: str, epochs: int, steps: int, every: int = 300, stream=None, enabled=True):
        self.fw, self.epochs, self.steps, self.every = framework, epochs, steps, every
        self.stream, self.enabled = stream or sys.stderr, enabled
        self.t0 = time.perf_counter()

    def step(self, epoch: int, step: int, loss: float, acc: float) -> None:
        if self.enabled:
            print(f"[{self.fw}] epoch {epoch}/{self.epochs} step {step}/{self.steps} loss {loss:.4f} "
                  f"acc {100 * acc:.2f}% ({time.perf_counter() - self.t0:.1f} s)", file=self.stream, flush=True)

    def epoch(self, log: EpochLog) -> None:
        if self.enabled:
            print(f"[{self.fw}] epoch {log.epoch}/{self.epochs} done: loss {log.loss:.4f} train acc "
                  f"{100 * log.train_acc:.2f}% test acc {100 * log.test_acc:.2f}% in {log.seconds:.1f} s "
                  f"(+{log.eval_seconds:.1f} s eval)", file=self.stream, flush=True)
