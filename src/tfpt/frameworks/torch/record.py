"""The record of PyTorch's folder (run in the suite's process). Imports no framework."""
from __future__ import annotations

from tfpt.frameworks.base import TORCH_SIDE, Framework

_FOLDER = __name__.rsplit(".", 1)[0]  # tfpt.frameworks.torch
_T = _FOLDER + "."

TORCH = Framework("torch", "PyTorch", TORCH_SIDE, ("torch",), ("torch", "torchvision"),
                  aliases=("pytorch",), adapter=_T + "pair", trainer=_T + "train", cnn=_T + "cnn",
                  study_code=_T + "study_code", formats=("torchscript", "exported-program", "onnx-torch"),
                  hides=("torchvision",), folder=_FOLDER, short="torch",
                  published=(("acc", 98.95), ("epoch_s", 7.67), ("ram_gb", 3.5)), rank=1)

RECORDS = (TORCH,)
