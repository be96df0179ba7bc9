"""Which devices each framework can use here, asked lazily through its folder's `devices` module (a framework is
only imported if it is needed), and whether this CPU computes bfloat16 in hardware."""
from __future__ import annotations

import functools

from tfpt import frameworks


@functools.cache
def gpu_missing_reason(fw: str) -> str | None:
    """None when `fw` sees a GPU, else a reason naming the missing device, for a skip."""
    if not frameworks.installed(fw):
        return frameworks.missing_reason(fw)
    return frameworks.get(fw).part("devices").gpu_missing_reason()


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 flags of bfloat16 arithmetic in hardware


def cpu_bf16_native(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bfloat16 in hardware (an x86 `avx512_bf16` or `amx_bf16` flag in /proc/cpuinfo);
    True where that cannot be read (not Linux, not x86: nothing is known to be slow). Without it, oneDNN and XLA
    emulate bf16: a tuned-bf16 MNIST epoch took about 230 s here against about 35 s in float32 (an AMD EPYC
    without AVX512_BF16, 2 cores)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            return True
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                  if line.startswith("flags")), None)
    return flags is None or any(flag in flags for flag in BF16_CPU_FLAGS)


def describe() -> str:
    """For the report header, without importing TensorFlow: torch's view only if torch is already loaded."""
    import sys
    if "torch" in sys.modules:
        return frameworks.get("torch").part("devices").describe()
    return "cpu"


def peak_memory_mb(framework: str, device: str) -> float | None:
    """Peak accelerator memory from the framework's own counters (None on the CPU)."""
    if device != "gpu":
        return None
    return frameworks.get(framework).part("devices").peak_memory_mb()
