"""Keras' devices (TensorFlow's): whether it sees a GPU, the device string of "cpu"/"gpu", its peak GPU memory."""
from __future__ import annotations

from tfpt import frameworks


def gpu_missing_reason() -> str | None:
    """None when TensorFlow sees a GPU, else the reason, for a skip (imports TensorFlow)."""
    tf = frameworks.import_tf()
    if tf.config.list_physical_devices("GPU"):
        return None
    return f"no GPU visible to TensorFlow {tf.__version__} (tf.config.list_physical_devices('GPU') is empty)"


def device(dev: str) -> str:
    return "/GPU:0" if dev == "gpu" else "/CPU:0"


def peak_memory_mb() -> float:
    """Peak GPU memory from TensorFlow's own counter."""
    import tensorflow as tf
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
