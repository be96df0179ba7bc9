"""Whole-model weight files, read into a built model and written from one: Keras' `.weights.h5` and a PyTorch
`state_dict` (`.pt`/`.pth`, or a checkpoint dict holding one under "state_dict", "model_state_dict" or "model").
A file that does not fit the model raises `WeightFileError` with one line naming what differs; writing goes to a
temporary file beside the target, renamed over it only when complete (nothing half-written stays)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tfpt.frameworks import import_torch

CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


class WeightFileError(ValueError):
    """The file cannot be read into this model: the message says what was expected."""


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
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickle error, a zip error, a non-tensor object refused by weights_only
        raise WeightFileError(f"a PyTorch state_dict saved with torch.save (read with weights_only=True), got "
                              f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
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


def read_keras(model, path: Path) -> None:
    try:
        model.load_weights(str(path))
    except Exception as exc:  # Keras raises ValueError, OSError or KeyError for a file of another model
        raise WeightFileError(f"Keras weights of this model (model.save_weights), got {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]}") from None


def write_keras(model, path: Path) -> None:
    _atomic(path, ".weights.h5", lambda tmp: model.save_weights(tmp))
