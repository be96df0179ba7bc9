"""The records of Keras' folder: Keras on TensorFlow (in the suite's process) and Keras 3 on its torch and JAX
backends (each in a worker process of its own: tfpt.frameworks.keras_backend). Imports no framework."""
from __future__ import annotations

from tfpt.frameworks.base import KERAS_SIDE, Framework

_FOLDER = __name__.rsplit(".", 1)[0]  # tfpt.frameworks.keras
_K = _FOLDER + "."
_KB = _FOLDER + "_backend"  # tfpt.frameworks.keras_backend: the worker client of the other backends

TF = Framework("tf", "TensorFlow", KERAS_SIDE, ("tensorflow", "keras"), ("tensorflow", "keras"),
               aliases=("tensorflow",), adapter=_K + "pair", trainer=_K + "train", cnn=_K + "cnn",
               study_code=_K + "study_code", formats=("savedmodel", "keras", "tflite", "onnx-tf"),
               seed_bits=32, hides=("keras",), folder=_FOLDER, short="TF",
               published=(("acc", 99.14), ("epoch_s", 11.19), ("ram_gb", 1.7)), rank=0)
KERAS_TORCH = Framework("keras-torch", "Keras on PyTorch", KERAS_SIDE, ("keras", "torch"), ("keras", "torch"),
                        keras_backend="torch", adapter=_KB, trainer=_K + "train",
                        cnn=_K + "cnn", seed_bits=32, folder=_FOLDER, short="Keras", rank=2)
KERAS_JAX = Framework("keras-jax", "Keras on JAX", KERAS_SIDE, ("keras", "jax"), ("keras", "jax", "jaxlib"),
                      keras_backend="jax", adapter=_KB, trainer=_K + "train",
                      cnn=_K + "cnn", seed_bits=32, folder=_FOLDER, short="Keras", rank=3)

RECORDS = (TF, KERAS_TORCH, KERAS_JAX)
