"""Every registered pair's cost per framework: a training step (batch 32, Adam), latency (batch 1) and
throughput (batch 256) of inference, on the CPU. The study's CNN has its own, fuller benchmarks beside."""
import numpy as np
import pytest

from fixtures.params import FRAMEWORKS
from tfpt import frameworks
from tfpt.checks import pairs as P

pytestmark = pytest.mark.benchmark
QUANTITIES = {"pair-step": 32, "pair-latency": 1, "pair-throughput": 256}


def _inputs(pair, fw, n):
    """A batch of `n` in the layout `fw`'s side of the pair takes, and its labels."""
    return frameworks.get(fw).inputs(pair, pair.input.batch(n, 0)), P.labels(pair, n, 0)


@pytest.mark.parametrize("quantity", list(QUANTITIES))
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_pair_cost(model_pair, fw, quantity, benchmark, timed):
    adapter, n = frameworks.get(fw).module("adapter"), QUANTITIES[quantity]
    model = adapter.build(model_pair, 0)
    x, y = _inputs(model_pair, fw, n)
    head = frameworks.get(fw).head(model_pair)
    body = adapter.step_fn(model, x, y, head) if quantity == "pair-step" else adapter.infer_fn(model, x)
    body()  # first call builds graphs and allocates
    benchmark.group = f"{quantity}-{model_pair.name}"
    timed(body, rounds=20 if quantity == "pair-step" else 50, warmup_rounds=2)
    benchmark.extra_info.update(quantity=quantity, framework=fw, device="cpu", pair=model_pair.name, batch=n)
    assert np.isfinite(np.asarray(body() if quantity != "pair-step" else 0.0)).all()
