"""The regression gate's planted slowdowns, zero unless a gate test asks for them: --bench-sleep S
(TFPT_BENCH_SLEEP) adds S seconds to every timed benchmark body (the benchmarks' `timed` fixture wraps each in
`slowed`); --bench-slower F (TFPT_BENCH_SLOWER) makes every timed epoch F slower (the epoch worker's client
sleeps F x the epoch's seconds). They exist to prove the gate fires. No framework is imported here."""
from __future__ import annotations

import os
import time


def injected_sleep() -> float:
    """The planted-slowdown test hook: TFPT_BENCH_SLEEP seconds are added to every benchmarked body (the
    --bench-sleep option sets it; the benchmarks' `timed` fixture applies it through `slowed`). Zero unless asked
    for: it exists to prove the regression gate fires."""
    return float(os.environ.get("TFPT_BENCH_SLEEP", "0") or 0)


def injected_slowdown() -> float:
    """The planted-slowdown hook for the epoch: every timed epoch is made this fraction slower (TFPT_BENCH_SLOWER,
    set by --bench-slower). Zero unless asked for."""
    return float(os.environ.get("TFPT_BENCH_SLOWER", "0") or 0)


def slowed(body):
    pause = injected_sleep()
    if not pause:
        return body

    def with_pause(*args, **kwargs):
        time.sleep(pause)
        return body(*args, **kwargs)
    return with_pause
