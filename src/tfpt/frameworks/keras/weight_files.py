"""Keras' whole-model weights file (`.weights.h5`), read into a built model and written from one. PyTorch
state_dict entries no Keras layer holds (BatchNorm's `num_batches_tracked`, tfpt.frameworks.torch.weight_files)
travel in the file in a group of their own, which Keras' `load_weights` leaves alone."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tfpt.convert.weight_files import WeightFileError, atomic, said

TORCH_ONLY_GROUP = "tfpt_torch_only"  # the .weights.h5 group holding state_dict entries Keras has no place for


def read(model, path: Path) -> dict:
    """Load the weights into the Keras model; return the PyTorch entries the file carries beside them, {key:
    (array, torch dtype name)} ({} for a file Keras alone wrote)."""
    if path.stat().st_size == 0:
        raise WeightFileError("Keras weights saved with model.save_weights, got an empty file (0 bytes)",
                              "convert the file the training run saved; this one was cut short or never written")
    try:
        model.load_weights(str(path))
    except Exception as exc:  # Keras raises ValueError, OSError or KeyError for a file of another model
        raise WeightFileError(f"Keras weights of this model (model.save_weights), got {said(exc)}") from None
    import h5py
    with h5py.File(path, "r") as f:
        group = f.get(TORCH_ONLY_GROUP)
        return {} if group is None else {k: (np.asarray(ds[()]), str(ds.attrs.get("torch_dtype", "")))
                                         for k, ds in group.items()}


def write(model, path: Path, kept: dict | None = None) -> None:
    """Save the Keras weights; `kept` (tfpt.frameworks.torch.weight_files.torch_only: {key: (array, torch dtype
    name)}): PyTorch entries no Keras layer holds, in a group of the file's own, each with its torch dtype, for the
    way back (Keras' load_weights reads its layers' groups only)."""
    def write_to(tmp):
        model.save_weights(tmp)
        if kept:
            import h5py
            with h5py.File(tmp, "a") as f:
                group = f.create_group(TORCH_ONLY_GROUP)
                for k, (arr, dtype) in kept.items():
                    ds = group.create_dataset(k, data=arr)
                    ds.attrs["torch_dtype"] = dtype
    atomic(path, ".weights.h5", write_to)
