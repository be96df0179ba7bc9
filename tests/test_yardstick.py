"""The benchmarks' drift clock: sampled every `every`-th timed round, and for sub-millisecond bodies followed by
untimed calls that put the next round back on the steady state."""
from tfpt.bench.yardstick import Yardstick


def test_settled_setup_samples_every_nth_round_and_runs_the_body_after_each_sample_only():
    stick, calls = Yardstick(every=10, warmup_rounds=2), []
    setup = stick.settled(lambda: calls.append(1), calls=3)
    for _ in range(2 + 30):  # pedantic calls setup before warm-up rounds too
        setup()
    assert len(stick.seconds) == 3 and all(s > 0 for s in stick.seconds)
    assert len(calls) == 3 * 3  # three untimed calls after each of the three samples, none after the others


def test_setups_return_none_as_pytest_benchmark_requires():
    """pytest-benchmark unpacks whatever a pedantic setup returns as the round's (args, kwargs)."""
    stick = Yardstick(every=2)
    settled = stick.settled(lambda: 1, calls=1)
    assert [stick.sample() for _ in range(4)] + [settled() for _ in range(2)] == [None] * 6
    assert len(stick.seconds) == 3  # rounds 0, 2 and 4 of the six
