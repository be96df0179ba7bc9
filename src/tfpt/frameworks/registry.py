"""The one registry of frameworks: every check, command and report table iterates it.

TensorFlow and PyTorch run in the suite's own process (imported in the safe order, tfpt.frameworks);
Keras 3 on its torch and JAX backends each runs in a worker process (tfpt.frameworks.keras_backend), because a
Keras backend is fixed per process. A new Keras backend is one line here; a new framework one record plus its
folder (tfpt.frameworks.keras, tfpt.frameworks.torch, tfpt.frameworks.flax: the same module names in each).
"""
from __future__ import annotations

from tfpt.frameworks.base import KERAS_SIDE, TORCH_SIDE, Framework

_K, _T = "tfpt.frameworks.keras.", "tfpt.frameworks.torch."
_KB = "tfpt.frameworks.keras_backend"

TF = Framework("tf", "TensorFlow", KERAS_SIDE, ("tensorflow", "keras"), ("tensorflow", "keras"),
               aliases=("tensorflow",), adapter=_K + "pair", trainer=_K + "train", cnn=_K + "cnn",
               study_code=_K + "study_code", formats=("savedmodel", "keras", "tflite", "onnx-tf"),
               seed_bits=32, hides=("keras",), folder=_K[:-1])
TORCH = Framework("torch", "PyTorch", TORCH_SIDE, ("torch",), ("torch", "torchvision"),
                  aliases=("pytorch",), adapter=_T + "pair", trainer=_T + "train", cnn=_T + "cnn",
                  study_code=_T + "study_code", formats=("torchscript", "exported-program", "onnx-torch"),
                  hides=("torchvision",), folder=_T[:-1])
KERAS_TORCH = Framework("keras-torch", "Keras on PyTorch", KERAS_SIDE, ("keras", "torch"), ("keras", "torch"),
                        keras_backend="torch", adapter=_KB, trainer=_K + "train",
                        cnn=_K + "cnn", seed_bits=32, folder=_K[:-1])
KERAS_JAX = Framework("keras-jax", "Keras on JAX", KERAS_SIDE, ("keras", "jax"), ("keras", "jax", "jaxlib"),
                      keras_backend="jax", adapter=_KB, trainer=_K + "train",
                      cnn=_K + "cnn", seed_bits=32, folder=_K[:-1])

FLAX = Framework("flax", "Flax NNX", KERAS_SIDE, ("flax", "jax", "optax"), ("flax", "jax", "jaxlib", "optax"),
                 own_process=True, adapter="tfpt.frameworks.flax", trainer="tfpt.frameworks.flax.train",
                 cnn="tfpt.frameworks.flax.cnn", seed_bits=32, folder="tfpt.frameworks.flax")

REGISTRY: dict[str, Framework] = {fw.id: fw for fw in (TF, TORCH, KERAS_TORCH, KERAS_JAX, FLAX)}


def get(fw_id: str) -> Framework:
    try:
        return REGISTRY[fw_id]
    except KeyError:
        raise ValueError(f"unknown framework {fw_id!r}; registered: {', '.join(REGISTRY)}") from None


def native() -> tuple[Framework, ...]:
    """The frameworks that run in this process (TensorFlow, PyTorch)."""
    return tuple(fw for fw in REGISTRY.values() if fw.in_process)


def keras_backends() -> tuple[Framework, ...]:
    """Keras on a backend other than TensorFlow, each in a worker process of its own."""
    return tuple(fw for fw in REGISTRY.values() if fw.keras_backend)


def with_study_code() -> list[str]:
    """The frameworks the study wrote code for (their study_code modules run it as written)."""
    return [fw.id for fw in REGISTRY.values() if fw.study_code]


def on_side(side: str) -> Framework:
    """The in-process framework that runs one side of a ModelPair."""
    return next(fw for fw in native() if fw.side == side)


def other(fw_id: str) -> Framework:
    """The in-process framework on the other side of a pair from `fw_id`."""
    mine = get(fw_id).side
    return next(fw for fw in native() if fw.side != mine)
