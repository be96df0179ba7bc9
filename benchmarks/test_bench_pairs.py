"""Every registered pair's cost per framework: a training step (batch 32, Adam), latency (batch 1) and
throughput (batch 256) of inference, on the CPU. The study's CNN has its own, fuller benchmarks beside."""
import numpy as np
import pytest

from tfpt.adapters import get
from tfpt.checks import pairs as P

pytestmark = pytest.mark.benchmark
FRAMEWORKS = [pytest.param("tf", marks=pytest.mark.tf), pytest.param("torch", marks=pytest.mark.torch)]
QUANTITIES = {"pair-step": 32, "pair-latency": 1, "pair-throughput": 256}


def _inputs(pair, fw, n):
    x, y = pair.input.batch(n, 0), P.labels(pair, n, 0)
    return (x if fw == "tf" else pair.input.to_torch_layout(x)), y


@pytest.mark.parametrize("quantity", list(QUANTITIES))
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_pair_cost(model_pair, fw, quantity, benchmark, timed):
    adapter, n = get(fw), QUANTITIES[quantity]
    model = adapter.build(model_pair, 0)
    x, y = _inputs(model_pair, fw, n)
    head = model_pair.keras_head if fw == "tf" else model_pair.torch_head
    body = adapter.step_fn(model, x, y, head) if quantity == "pair-step" else adapter.infer_fn(model, x)
    body()  # first call builds graphs and allocates
    benchmark.group = f"{quantity}-{model_pair.name}"
    timed(body, rounds=20 if quantity == "pair-step" else 50, warmup_rounds=2)
    benchmark.extra_info.update(quantity=quantity, framework=fw, device="cpu", pair=model_pair.name, batch=n)
    assert np.isfinite(np.asarray(body() if quantity != "pair-step" else 0.0)).all()
