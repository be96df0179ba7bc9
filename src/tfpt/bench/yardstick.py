"""The machine's speed beside the benchmarks: the matmul peak (a float32 2048^3 multiply, the practical GEMM
limit) and the Yardstick (a 1024^3 multiply timed between a benchmark's rounds), in torch where installed
(tfpt.frameworks.torch.bench.matmul), else in numpy."""
from __future__ import annotations

import time

import numpy as np


def _torch_matmul(n: int, device: str = "cpu"):
    """torch's multiply body (imports torch), or None where torch cannot be imported."""
    from tfpt.frameworks.torch.bench import matmul
    try:
        return matmul(n, device)
    except ImportError:
        return None


def matmul_peak(n: int = 2048):
    """float32 n x n matrix multiply in torch if present (else numpy): the machine's practical GEMM peak."""
    body = _torch_matmul(n)
    if body is not None:
        return body, 2.0 * n ** 3
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    return lambda: a @ b, 2.0 * n ** 3


class Yardstick:
    """The drift-robust clock: a float32 1024³ matrix multiply timed between a benchmark's rounds (every `every`-th
    round, in pedantic's untimed setup), so each round is divided by the machine's speed of the same seconds.
    On this project's 2-core box, whose speed drifts 30-40 % between minutes, a matmul measured once per run moved
    39 % against the workloads' 4-20 % and gave false regressions; measured beside the rounds it moves with them.
    On a GPU device the multiply runs there (synchronised), so GPU rounds are divided by GPU speed."""

    N = 1024

    def __init__(self, device: str = "cpu", every: int = 1, warmup_rounds: int = 0):
        self.every, self.skip, self.calls, self.seconds = max(1, every), warmup_rounds, 0, []
        body = _torch_matmul(self.N, device)
        if body is not None:
            self._body = body
        else:
            a, b = (np.random.rand(self.N, self.N).astype(np.float32) for _ in range(2))
            self._body = lambda: a @ b
        self._body()  # first call allocates

    def sample(self) -> None:
        """pedantic's setup: called before every round (warm-up rounds too); times the multiply every `every`-th
        timed round. Returns None: pytest-benchmark takes anything a setup returns as the round's (args, kwargs)."""
        self._sampled()

    def _sampled(self) -> bool:
        i, self.calls = self.calls - self.skip, self.calls + 1
        if i >= 0 and i % self.every == 0:
            t0 = time.perf_counter()
            self._body()
            self.seconds.append(time.perf_counter() - t0)
            return True
        return False

    def settled(self, body, calls: int):
        """A setup that samples, then runs `body` `calls` times untimed after each sample. The multiply disturbs
        the sub-millisecond workload that follows it (caches, threads still busy): measured here (3,000 rounds,
        a multiply every 10th), the round after it took 3.0x the median of TensorFlow's tuned batch-1 call and
        3.3x of PyTorch's, the next two 1.2-1.6x; three untimed calls put the clock's rounds back on the steady
        state."""
        def setup():
            if self._sampled():
                for _ in range(calls):
                    body()
        return setup

    def info(self) -> dict:
        """What a saved run carries: the samples and which rounds each belongs to (round j -> sample j // every)."""
        return {"yardstick_s": list(self.seconds), "yardstick_every": self.every, "yardstick_flops": 2.0 * self.N ** 3}
