"""PyTorch's devices: whether it sees a CUDA GPU, the torch.device of "cpu"/"gpu", its peak GPU memory."""
from __future__ import annotations

from tfpt import frameworks


def gpu_missing_reason() -> str | None:
    """None when torch sees a CUDA GPU, else the reason, for a skip (imports torch)."""
    torch = frameworks.import_torch()
    if torch.cuda.is_available():
        return None
    return f"no CUDA GPU visible to torch {torch.__version__} (torch.cuda.is_available() is False)"


def device(dev: str):
    torch = frameworks.import_torch()
    if dev == "gpu":
        # TF32 would change float32 matmul/conv results by ~1e-3; conformance compares true float32.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        return torch.device("cuda")
    return torch.device("cpu")


def peak_memory_mb() -> float:
    """Peak GPU memory from torch's own counter."""
    import torch
    return torch.cuda.max_memory_allocated() / 2**20


def describe() -> str:
    """torch's view of the accelerator, for the report header."""
    import torch
    return f"torch cuda={'yes: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no'}"
