"""Benchmark fixtures: what every saved run carries (framework versions, device, dataset, FLOPs)."""
import pytest

from tfpt import frameworks


@pytest.fixture
def describe(benchmark, request):
    """Fill `extra_info` for a framework x device case; returns the dict to add figures to."""
    def fill(fw: str, device: str, quantity: str, flops: float, **more):
        v = frameworks.versions()
        benchmark.extra_info.update(
            framework=fw, device=device, quantity=quantity, dataset="mnist", flops=flops,
            version=v.get("tensorflow" if fw == "tf" else "torch"),
            keras=v.get("keras") if fw == "tf" else None, mode="as-written", **more)
        return benchmark.extra_info
    return fill
