"""Which devices each framework can use here, asked lazily (TensorFlow is only imported if it is needed)."""
from __future__ import annotations

import functools

from tfpt import frameworks


@functools.cache
def gpu_missing_reason(fw: str) -> str | None:
    """None when `fw` sees a GPU, else a reason naming the missing device, for a skip."""
    if not frameworks.installed(fw):
        return frameworks.missing_reason(fw)
    if fw == "torch":
        torch = frameworks.import_torch()
        if torch.cuda.is_available():
            return None
        return f"no CUDA GPU visible to torch {torch.__version__} (torch.cuda.is_available() is False)"
    tf = frameworks.import_tf()
    if tf.config.list_physical_devices("GPU"):
        return None
    return f"no GPU visible to TensorFlow {tf.__version__} (tf.config.list_physical_devices('GPU') is empty)"


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
        torch = sys.modules["torch"]
        return f"torch cuda={'yes: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no'}"
    return "cpu"


def torch_device(dev: str):
    torch = frameworks.import_torch()
    if dev == "gpu":
        # TF32 would change float32 matmul/conv results by ~1e-3; conformance compares true float32.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        return torch.device("cuda")
    return torch.device("cpu")


def tf_device(dev: str) -> str:
    return "/GPU:0" if dev == "gpu" else "/CPU:0"


def peak_memory_mb(framework: str, device: str) -> float | None:
    """Peak accelerator memory from the framework's own counters (None on the CPU)."""
    if device != "gpu":
        return None
    if framework == "torch":
        import torch
        return torch.cuda.max_memory_allocated() / 2**20
    import tensorflow as tf
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
