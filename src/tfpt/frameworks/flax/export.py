"""Flax NNX's exporter, run in the Flax worker (imports JAX): the model's forward as a pure function of its input
(nnx.split: the weights closed over, so they travel in the artifact as constants), exported by jax.export with a
symbolic batch axis, its serialized bytes written atomically, with the sidecar naming its input (tfpt.exports)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from tfpt.exports import Artifact, artifact_path, layout, write_input_sidecar
from tfpt.frameworks.flax import FRAMEWORK, formats as own_formats

FORMATS = tuple(f.name for f in own_formats.FORMATS)  # its own table's: ("jax-export",)


def serialized(model, sample_shape: tuple, dtype: str = "float32") -> bytes:
    """jax.export's bytes of `model`'s forward on a batch of any size of `sample_shape` samples."""
    import jax
    from flax import nnx
    graphdef, state = nnx.split(model)

    def forward(x):
        return nnx.merge(graphdef, state)(x)
    shape = jax.export.symbolic_shape(", ".join(["b", *map(str, sample_shape)]))
    return bytes(jax.export.export(jax.jit(forward))(jax.ShapeDtypeStruct(shape, dtype)).serialize())


def _write(path: Path, data: bytes) -> None:
    """`data` at `path` through a temp file in its folder and a rename: never a half-written artifact."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(model, fmt: str, folder: Path, example: np.ndarray | None = None) -> Artifact:
    """`example`: a batch whose sample shape and dtype the artifact takes; without it, the model's spec input in
    float32 (a Flax model of the Keras side takes Keras' NHWC)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt not in FORMATS:
        raise ValueError(f"unknown Flax export format {fmt!r}; choose from {FORMATS}")
    sample = tuple(example.shape[1:]) if example is not None else tuple(model.spec.input_shape)
    dtype = str(example.dtype) if example is not None else "float32"
    path = artifact_path(fmt, folder)
    _write(path, serialized(model, sample, dtype))
    artifact = Artifact(fmt, path, layout(len(sample) + 1, FRAMEWORK))
    write_input_sidecar(artifact, (1, *sample), name="x", dtype=dtype)
    return artifact
