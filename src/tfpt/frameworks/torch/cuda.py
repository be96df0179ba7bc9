"""Synchronised timings of the spec CNN on one device, in a process holding one framework (tfpt.bench.cuda_compare
starts one per framework and device): a training step, batch-1 latency and throughput at large batches, with peak
device memory and peak RSS per quantity; PyTorch's bodies, and the measurement of every framework on torch's CUDA.

What is timed is what the gpu benchmarks time (tfpt.frameworks.torch.bench: the study's batch 32, Adam and loss;
the plain inference call), float32 with TF32 off (tfpt.frameworks.torch.devices.device), each call between two
`torch.cuda.synchronize()` so a figure holds the device's work, not its queueing. Native PyTorch and Keras on torch
(KERAS_BACKEND=torch, its own process; its bodies in tfpt.frameworks.keras.cuda) allocate through torch's one CUDA
allocator, so their `torch.cuda.max_memory_allocated` figures compare. Inputs are a seeded synthetic set with
MNIST's shapes (tfpt.data.datasets.synthetic): the work of this CNN does not depend on pixel values.
"""
from __future__ import annotations

import os

import numpy as np

from tfpt import frameworks
from tfpt.bench import workloads
from tfpt.bench.cuda_timing import Plan, cpu_name, peak_rss_mib, reset_peak_rss, timed

SUPPORTED = ("torch", "keras-torch")  # the frameworks that run on torch's CUDA (one allocator, one synchronize)


def body(quantity: str, ds, device: str, seed: int, batch: int):
    """The call `quantity` times for PyTorch on `device` ("gpu" or "cpu")."""
    from tfpt.frameworks.torch import bench
    if quantity == "step":
        return bench.step(ds, device, seed)
    return bench.infer(ds, device, seed, batch, "as-written")


def measure(fw: str, device: str, plan: Plan, seed: int = 0) -> dict:
    """Every quantity of `fw` on `device`: {"rows": [...], "env": {...}} or {"skipped": reason}; `fw`'s bodies
    are its folder's `cuda` module."""
    if fw not in SUPPORTED:
        raise ValueError(f"framework {fw!r}: one of {', '.join(SUPPORTED)} (they run on torch's CUDA)")
    torch = frameworks.import_torch()
    if device == "gpu" and not torch.cuda.is_available():
        return {"skipped": f"no CUDA GPU visible to torch {torch.__version__} (torch.cuda.is_available() is False)"}
    from tfpt.data import datasets
    from tfpt.frameworks.torch.devices import device as torch_device
    dev = torch_device(device)  # TF32 off on the GPU: true float32, as the conformance checks run
    cuda = dev.type == "cuda"
    bodies = frameworks.get(fw).part("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()
    ds = datasets.synthetic(n_train=max(workloads.BATCH, 256), n_test=256, seed=seed)
    jobs = [("step", workloads.BATCH), ("latency", workloads.LATENCY_BATCH)] + [("throughput", b) for b in plan.batches]
    rows = []
    for quantity, batch in jobs:
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        own_rss = reset_peak_rss()
        samples = timed(bodies.body(quantity, ds, device, seed, batch), plan, sync)
        median = float(np.median(samples))
        rows.append({"quantity": quantity, "batch": batch, "rounds": len(samples), "median_s": median,
                     "samples_s": samples, "images_per_s": batch / median,
                     "device_peak_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
                     "device_reserved_mib": torch.cuda.max_memory_reserved() / 2**20 if cuda else None,
                     "peak_rss_mib": peak_rss_mib(), "peak_rss_scope": "quantity" if own_rss else "process"})
    versions = frameworks.versions()
    env = {"framework": fw, "device": device, "torch": torch.__version__, "cuda": torch.version.cuda,
           "keras": versions.get("keras") if fw == "keras-torch" else None,
           "device_name": torch.cuda.get_device_name(0) if cuda else cpu_name(),
           "threads": torch.get_num_threads(), "tf32": False, "precision": "float32",
           "keras_backend": os.environ.get("KERAS_BACKEND") if fw == "keras-torch" else None}
    return {"rows": rows, "env": env}


def device_info() -> dict:
    """What torch sees of the machine's accelerator, for the run's record (imports torch, nothing else)."""
    torch = frameworks.import_torch()
    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "cuda_available": torch.cuda.is_available(),
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "cpu": cpu_name(), "cpu_threads": torch.get_num_threads()}
    if info["cuda_available"]:
        props = torch.cuda.get_device_properties(0)
        info.update(device_count=torch.cuda.device_count(), device_name=props.name,
                    device_memory_gib=round(props.total_memory / 2**30, 1),
                    capability=f"{props.major}.{props.minor}", multiprocessors=props.multi_processor_count)
    return info
