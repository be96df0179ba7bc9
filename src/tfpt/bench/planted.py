"""The regression gate's planted slowdowns, zero unless a gate test asks for them: --bench-sleep S
(TFPT_BENCH_SLEEP) adds S seconds to every timed benchmark body; --bench-slower F (TFPT_BENCH_SLOWER) makes every
timed body F slower, each call by F x its own duration spent busy (the benchmarks' `timed` fixture wraps each in
`slowed`), and every timed epoch F slower (the epoch worker's client sleeps F x the epoch's seconds beside the
worker's own figures). They exist to prove the gate and tfpt-ab fire: `tfpt-ab --b-env TFPT_BENCH_SLOWER=0.05` is
"B 5 % slower". No framework is imported here."""
from __future__ import annotations

import os
import time


def injected_sleep() -> float:
    """The planted-slowdown test hook: TFPT_BENCH_SLEEP seconds are added to every benchmarked body (the
    --bench-sleep option sets it; the benchmarks' `timed` fixture applies it through `slowed`). Zero unless asked
    for: it exists to prove the regression gate fires."""
    return float(os.environ.get("TFPT_BENCH_SLEEP", "0") or 0)


def injected_slowdown() -> float:
    """The proportional planted slowdown: every timed body (`slowed`) and every timed epoch is made this fraction
    slower (TFPT_BENCH_SLOWER, set by --bench-slower). Zero unless asked for."""
    return float(os.environ.get("TFPT_BENCH_SLOWER", "0") or 0)


def spin(seconds: float, clock=time.perf_counter) -> None:
    """Busy-wait until `clock` has advanced `seconds`. Not time.sleep: a sleep of tens of µs overshoots by about as
    much as it asks for (the timer slack), costs no CPU time (a CPU-time clock would not see it) and is a wait the
    idle rule flags; a busy core is what a slower kernel costs."""
    end = clock() + seconds
    while clock() < end:
        pass


def slowed(body, proportional: bool = True, clock=time.perf_counter):
    """`body` with the planted slowdowns: TFPT_BENCH_SLEEP seconds slept before each call, and (`proportional`)
    each call followed by busy-waiting TFPT_BENCH_SLOWER x that call's own duration, so a body that takes t takes
    (1 + F) t. `clock`: the one the benchmark times with (pytest-benchmark's timer; tfpt-ab's --timer cpu is
    process CPU time): a spin timed in wall seconds gave 1.87x instead of 1.5x in CPU time on a busy box, where
    the body lost more of its wall time to other processes than the short spin did. `proportional=False` for a
    body that plants F itself (the epoch worker's client)."""
    pause, frac = injected_sleep(), (injected_slowdown() if proportional else 0.0)
    if not pause and not frac:
        return body

    def with_planted(*args, **kwargs):
        if pause:
            time.sleep(pause)
        start = clock()
        out = body(*args, **kwargs)
        if frac:
            spin(frac * (clock() - start), clock)
        return out
    return with_planted
