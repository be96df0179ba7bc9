"""Which CPUs count as computing bfloat16 in hardware (the tuned-bf16 training check is `slow` on the others)."""
import pytest

from tfpt.frameworks.devices import cpu_bf16_native

EPYC_NO_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni\n"


@pytest.mark.parametrize("extra, native", [("", False), (" avx512_bf16", True), (" amx_bf16 amx_tile", True)])
def test_bf16_flags_decide(extra, native):
    assert cpu_bf16_native(EPYC_NO_BF16.rstrip("\n") + extra + "\n") is native


def test_unknown_cpu_is_not_called_slow():
    assert cpu_bf16_native("processor\t: 0\nmodel name\t: something\n") is True
