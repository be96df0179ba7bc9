"""Whole-model weight files, read into a built model and written from one: Keras' `.weights.h5` and a PyTorch
`state_dict` (`.pt`/`.pth`, or a checkpoint dict holding one under "state_dict", "model_state_dict" or "model").
A file that does not fit the model raises `WeightFileError` with one line naming what differs; writing goes to a
temporary file beside the target, renamed over it only when complete (nothing half-written stays). State_dict
entries no Keras layer holds (BatchNorm's `num_batches_tracked`) travel in the `.weights.h5` file in a group of their
own, which Keras' `load_weights` leaves alone, so a state_dict comes back whole from the round trip."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from tfpt.frameworks import import_torch

CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
TORCH_ONLY_GROUP = "tfpt_torch_only"  # the .weights.h5 group holding state_dict entries Keras has no place for


class WeightFileError(ValueError):
    """The file cannot be read into this model: the message says what was expected; `fix`, where the usual fix
    (a file saved from this model) is not the one."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.fix = fix


def _said(exc: BaseException) -> str:
    """An exception's message as one clean line: terminal colour codes dropped, its first non-empty line (torch's
    load errors run to 1,200 characters over several lines), the exception's name where it says nothing."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def _atomic(path: Path, suffix: str, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make the weights unreadable to others
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_torch(model, path: Path) -> None:
    torch = import_torch()
    if path.stat().st_size == 0:
        raise WeightFileError("a PyTorch state_dict saved with torch.save, got an empty file (0 bytes)",
                              "convert the file the training run saved; this one was cut short or never written")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickle error, a zip error, a non-tensor object refused by weights_only
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", re.sub(r"\x1b\[[0-9;]*m", "", str(exc)))
        if refused and refused.group(1).startswith("torch.nn.modules."):  # torch.save(model): the class pickled too
            raise WeightFileError(f"a state_dict (a dict of tensors), got a whole pickled module "
                                  f"({refused.group(1)}), which torch.save(model) writes",
                                  "save the weights alone with torch.save(model.state_dict(), path) and convert "
                                  "that file") from None
        if refused:
            raise WeightFileError(f"a state_dict (a dict of tensors), got a pickled {refused.group(1)} object, "
                                  f"which torch.load(weights_only=True) refuses",
                                  "save the weights alone with torch.save(model.state_dict(), path) and convert "
                                  "that file") from None
        raise WeightFileError(f"a PyTorch state_dict saved with torch.save (read with weights_only=True), got "
                              f"{_said(exc)}") from None
    if isinstance(state, dict) and not any(hasattr(v, "shape") for v in state.values()):
        state = next((state[k] for k in CHECKPOINT_KEYS if isinstance(state.get(k), dict)), state)
    if not isinstance(state, dict):
        raise WeightFileError(f"a dict of tensors (a state_dict), got a {type(state).__name__}")
    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        more = (" ..." if len(missing) > 5 else "", " ..." if len(unexpected) > 5 else "")
        raise WeightFileError(f"the model's {len(own)} entries; missing {missing[:5]}{more[0]}, unexpected "
                              f"{unexpected[:5]}{more[1]}")
    wrong = [f"{k} {tuple(state[k].shape)} (model {tuple(v.shape)})" for k, v in own.items()
             if tuple(state[k].shape) != tuple(v.shape)]
    if wrong:
        raise WeightFileError(f"the model's shapes; differ: {', '.join(wrong[:5])}")
    model.load_state_dict(state, strict=True)


def write_torch(model, path: Path) -> None:
    torch = import_torch()
    _atomic(path, ".pt", lambda tmp: torch.save(model.state_dict(), tmp))


def torch_only(model, held: set) -> dict:
    """{state_dict key: tensor} of the model's entries not in `held` (the keys the converters write): what a Keras
    weights file has no place for."""
    return {k: t.detach().cpu() for k, t in model.state_dict().items() if k not in held}


def restore_torch_only(model, kept: dict, held: set) -> list[str]:
    """Copy entries `read_keras` returned back into the model where it has them, with the same shape, and the
    converters do not write them (a file of another model restores nothing it cannot hold); the keys restored."""
    torch = import_torch()
    own, put = model.state_dict(), {}
    for key, (arr, dtype) in kept.items():
        if key not in held and key in own and tuple(arr.shape) == tuple(own[key].shape):
            put[key] = torch.from_numpy(np.array(arr)).to(getattr(torch, dtype, own[key].dtype))
    if put:
        model.load_state_dict(put, strict=False)
    return sorted(put)


def read_keras(model, path: Path) -> dict:
    """Load the weights into the Keras model; return the PyTorch entries the file carries beside them, {key:
    (array, torch dtype name)} ({} for a file Keras alone wrote)."""
    if path.stat().st_size == 0:
        raise WeightFileError("Keras weights saved with model.save_weights, got an empty file (0 bytes)",
                              "convert the file the training run saved; this one was cut short or never written")
    try:
        model.load_weights(str(path))
    except Exception as exc:  # Keras raises ValueError, OSError or KeyError for a file of another model
        raise WeightFileError(f"Keras weights of this model (model.save_weights), got {_said(exc)}") from None
    import h5py
    with h5py.File(path, "r") as f:
        group = f.get(TORCH_ONLY_GROUP)
        return {} if group is None else {k: (np.asarray(ds[()]), str(ds.attrs.get("torch_dtype", "")))
                                         for k, ds in group.items()}


def write_keras(model, path: Path, kept: dict | None = None) -> None:
    """Save the Keras weights; `kept` (from `torch_only`): PyTorch entries no Keras layer holds, in a group of the
    file's own, each with its torch dtype, for the way back (Keras' load_weights reads its layers' groups only)."""
    def write(tmp):
        model.save_weights(tmp)
        if kept:
            import h5py
            torch = import_torch()
            with h5py.File(tmp, "a") as f:
                group = f.create_group(TORCH_ONLY_GROUP)
                for k, t in kept.items():
                    # bfloat16 has no numpy dtype: stored as float32, which holds every bfloat16 value exactly
                    ds = group.create_dataset(k, data=(t.float() if t.dtype == torch.bfloat16 else t).numpy())
                    ds.attrs["torch_dtype"] = str(t.dtype).removeprefix("torch.")
    _atomic(path, ".weights.h5", write)
