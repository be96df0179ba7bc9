"""Synchronised timings of the spec CNN on one device, in a process holding one framework (tfpt.bench.cuda_compare
starts one per framework and device): a training step, batch-1 latency and throughput at large batches, with peak
device memory and peak RSS per quantity.

What is timed is what the gpu benchmarks time (tfpt.adapters.workloads: the study's batch 32, Adam and loss; the
plain inference call), float32 with TF32 off (tfpt.adapters.devices.torch_device), each call between two
`torch.cuda.synchronize()` so a figure holds the device's work, not its queueing. Native PyTorch and Keras on torch
(KERAS_BACKEND=torch, its own process) allocate through torch's one CUDA allocator, so their
`torch.cuda.max_memory_allocated` figures compare. Inputs are a seeded synthetic set with MNIST's shapes
(tfpt.data.datasets.synthetic): the work of this CNN does not depend on pixel values.
"""
from __future__ import annotations

import os
import time

import numpy as np

from tfpt import frameworks
from tfpt.adapters import workloads
from tfpt.settings import STUDY
from tfpt.spec import CNN

SUPPORTED = ("torch", "keras-torch")  # the frameworks that run on torch's CUDA (one allocator, one synchronize)
QUANTITIES = ("step", "latency", "throughput")


class Plan:
    """How long each quantity is timed: rounds sized from one call so a quantity takes about `budget_s`,
    between `fewest` and `most` rounds, after `warmup` untimed calls."""

    def __init__(self, budget_s: float = 3.0, fewest: int = 10, most: int = 300, warmup: int = 10,
                 batches: tuple[int, ...] = (1024, 16384)):
        self.budget_s, self.fewest, self.most, self.warmup, self.batches = budget_s, fewest, most, warmup, batches


QUICK = Plan(budget_s=0.05, fewest=3, most=3, warmup=1, batches=(256,))  # a dry run: every path, seconds in all


def peak_rss_mib() -> float | None:
    """This process's peak RSS (VmHWM) in MiB; None where /proc cannot tell."""
    try:
        with open("/proc/self/status") as fh:
            line = next((s for s in fh if s.startswith("VmHWM:")), None)
    except OSError:
        return None
    return int(line.split()[1]) / 1024 if line else None


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current RSS (Linux: `5` to /proc/self/clear_refs), so each quantity's peak is its own;
    False where the kernel refuses (the figure is then the process's peak so far, and says so)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _keras_body(quantity: str, ds, device: str, seed: int, batch: int):
    """Keras on torch, as a user calls it: train_on_batch (which returns the loss as numpy: a device sync) and the
    model's plain call, on inputs already on the device."""
    torch = frameworks.import_torch()
    from tfpt.frameworks.keras import cnn as study_keras
    from tfpt.frameworks.keras.train import compile_study_settings
    keras = study_keras.keras
    place = "cuda" if device == "gpu" else "cpu"
    with keras.device(place):
        model = study_keras.build(CNN, seed=seed)
        if quantity == "step":
            model = compile_study_settings(model, settings=STUDY)
            x = keras.ops.convert_to_tensor(STUDY.scale_inputs(ds.x_train[:batch]))
            y = keras.ops.convert_to_tensor(ds.y_train[:batch].astype(np.int32))

            def step():
                with keras.device(place):
                    return model.train_on_batch(x, y)
            return step
        x = keras.ops.convert_to_tensor(workloads.test_batch(ds.x_test, batch))

    def infer():
        with keras.device(place), torch.inference_mode():
            return model(x, training=False)
    return infer


def body(fw: str, quantity: str, ds, device: str, seed: int, batch: int):
    """The call `quantity` times for framework `fw` on `device` ("gpu" or "cpu")."""
    if fw == "keras-torch":
        return _keras_body(quantity, ds, device, seed, batch)
    if quantity == "step":
        return workloads.torch_step(ds, device, seed)
    return workloads.torch_infer(ds, device, seed, batch, "as-written")


def _timed(call, plan: Plan, sync) -> list[float]:
    """Per-call seconds, each call between two syncs. The first call (graph building, allocation, cuDNN's
    choice of kernels) and the warm-up are not timed; a call over a tenth of the budget is warmed up once."""
    def clock() -> float:
        sync()
        t0 = time.perf_counter()
        call()
        sync()
        return time.perf_counter() - t0
    first = clock()
    for _ in range(plan.warmup if first * 10 < plan.budget_s else 1):
        call()
    first = clock()
    rounds = int(min(plan.most, max(plan.fewest, plan.budget_s / max(first, 1e-6))))
    return [clock() for _ in range(rounds)]


def measure(fw: str, device: str, plan: Plan, seed: int = 0) -> dict:
    """Every quantity of `fw` on `device`: {"rows": [...], "env": {...}} or {"skipped": reason}."""
    if fw not in SUPPORTED:
        raise ValueError(f"framework {fw!r}: one of {', '.join(SUPPORTED)} (they run on torch's CUDA)")
    torch = frameworks.import_torch()
    if device == "gpu" and not torch.cuda.is_available():
        return {"skipped": f"no CUDA GPU visible to torch {torch.__version__} (torch.cuda.is_available() is False)"}
    from tfpt.adapters.devices import torch_device
    from tfpt.data import datasets
    dev = torch_device(device)  # TF32 off on the GPU: true float32, as the conformance checks run
    cuda = dev.type == "cuda"

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
        samples = _timed(body(fw, quantity, ds, device, seed, batch), plan, sync)
        median = float(np.median(samples))
        rows.append({"quantity": quantity, "batch": batch, "rounds": len(samples), "median_s": median,
                     "samples_s": samples, "images_per_s": batch / median,
                     "device_peak_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
                     "device_reserved_mib": torch.cuda.max_memory_reserved() / 2**20 if cuda else None,
                     "peak_rss_mib": peak_rss_mib(), "peak_rss_scope": "quantity" if own_rss else "process"})
    versions = frameworks.versions()
    env = {"framework": fw, "device": device, "torch": torch.__version__, "cuda": torch.version.cuda,
           "keras": versions.get("keras") if fw == "keras-torch" else None,
           "device_name": torch.cuda.get_device_name(0) if cuda else _cpu_name(),
           "threads": torch.get_num_threads(), "tf32": False, "precision": "float32",
           "keras_backend": os.environ.get("KERAS_BACKEND") if fw == "keras-torch" else None}
    return {"rows": rows, "env": env}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            line = next((s for s in fh if s.startswith("model name")), "")
        return line.split(":", 1)[1].strip() if line else "cpu"
    except OSError:
        return "cpu"


def device_info() -> dict:
    """What torch sees of the machine's accelerator, for the run's record (imports torch, nothing else)."""
    torch = frameworks.import_torch()
    info = {"torch": torch.__version__, "cuda": torch.version.cuda, "cuda_available": torch.cuda.is_available(),
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "cpu": _cpu_name(), "cpu_threads": torch.get_num_threads()}
    if info["cuda_available"]:
        props = torch.cuda.get_device_properties(0)
        info.update(device_count=torch.cuda.device_count(), device_name=props.name,
                    device_memory_gib=round(props.total_memory / 2**30, 1),
                    capability=f"{props.major}.{props.minor}", multiprocessors=props.multi_processor_count)
    return info
