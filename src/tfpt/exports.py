"""Exporting a trained model in every common format, in the training process: what every framework's exporter
shares (tfpt.frameworks.<folder>.export writes the artifacts; `export` picks it through the framework's record).

Each exporter writes one artifact under a folder and returns an `Artifact`: the format, its path, the layout
its input takes (NHWC for the formats of a pair's Keras side, NCHW for its PyTorch side's), and its size in bytes.
The artifacts are reloaded in fresh processes by `tfpt.deploy` (the tfpt-deploy command), which imports only what a
deployer needs. What each format is (its file, its runtime, what it needs) is the folders' table,
tfpt.frameworks.formats.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfpt.frameworks import EXPORT_FORMATS, KERAS_SIDE, get, native
from tfpt.frameworks.formats import table


@dataclass(frozen=True)
class Artifact:
    format: str
    path: Path
    layout: str  # "NHWC" | "NCHW"

    @property
    def size_bytes(self) -> int:
        if self.path.is_dir():
            return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        size = self.path.stat().st_size
        data = Path(str(self.path) + ".data")  # ONNX external data, if any
        return size + (data.stat().st_size if data.is_file() else 0)


# What exporting and reloading each format needs beyond the framework; a missing one skips with a reason.
NEEDS = {name: f.needs for name, f in table().items() if f.needs}
FORMATS = EXPORT_FORMATS


def artifact_path(fmt: str, folder: Path) -> Path:
    """Where the exporter of `fmt` writes its artifact in `folder` (the format's file, tfpt.frameworks.formats)."""
    return folder / table()[fmt].file


def write_input_sidecar(artifact: Artifact, shape, name: str = "input", dtype: str = "float32") -> Path:
    """`<artifact>.input.json`: the input the artifact takes (batch axis null), which the deployer checks before
    loading any runtime; TorchScript declares no input of its own, so for it this file is the only source."""
    import json
    path = Path(str(artifact.path) + ".input.json")
    path.write_text(json.dumps({"format": artifact.format, "name": name, "dtype": dtype, "layout": artifact.layout,
                                "shape": [None] + [int(d) for d in list(shape)[1:]]}) + "\n")
    return path


def image_layout(fw: str) -> str:
    """The layout images take in the formats `fw`'s models write: NHWC on a pair's Keras side, NCHW on its
    PyTorch side."""
    return "NHWC" if get(fw).side == KERAS_SIDE else "NCHW"


def layout(rank: int, framework: str) -> str:
    """Images (rank 4) are NHWC in TensorFlow's formats and NCHW in PyTorch's; other inputs are taken as they are."""
    return image_layout(framework) if rank == 4 else "plain"


def to_layout(x_nhwc: np.ndarray, layout: str) -> np.ndarray:
    return np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2) if layout == "NCHW" else x_nhwc)


def export(fw: str, model, fmt: str, folder: Path, example: np.ndarray) -> Artifact:
    """`fw`'s exporter (the `export` module of its folder: Keras' for every Keras backend) writes `model` as `fmt`
    (`example`: a batch in the input layout of the pair's side `fw` runs)."""
    return get(fw).part("export").export(model, fmt, folder, example)


def build_for_export(fw: str, seed: int) -> tuple[object, np.ndarray]:
    """(model, example) for `export(fw, ...)`: the study's spec CNN built by `fw` from `seed` (untrained), and a
    batch of two zero images in the layout its artifacts declare."""
    from tfpt.spec import CNN
    return get(fw).module("cnn").build(CNN, seed), to_layout(np.zeros((2, *CNN.input_shape), np.float32),
                                                             image_layout(fw))


def framework_of(fmt: str) -> str:
    """The in-process framework whose models write `fmt`."""
    for fw in native():
        if fmt in fw.formats:
            return fw.id
    raise ValueError(f"unknown export format {fmt!r}; choose from {FORMATS}")
