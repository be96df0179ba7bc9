"""A PyTorch `state_dict` file (`.pt`/`.pth`, or a checkpoint dict holding one under "state_dict",
"model_state_dict" or "model"), read into a built module and written from one; and the state_dict entries no Keras
layer holds (BatchNorm's `num_batches_tracked`), which Keras' weights file carries beside its own
(tfpt.frameworks.keras.weight_files), so a state_dict comes back whole from the round trip."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tfpt.convert.weight_files import WeightFileError, atomic, said
from tfpt.frameworks import import_torch

CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


def read(model, path: Path) -> None:
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
                              f"{said(exc)}") from None
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


def write(model, path: Path) -> None:
    torch = import_torch()
    atomic(path, ".pt", lambda tmp: torch.save(model.state_dict(), tmp))


def torch_only(model, held: set) -> dict:
    """{state_dict key: (array, torch dtype name)} of the model's entries not in `held` (the keys the converters
    write): what a Keras weights file has no place for, as tfpt.frameworks.keras.weight_files.write keeps them
    (bfloat16, which has no numpy dtype, as float32: that holds every bfloat16 value exactly)."""
    torch = import_torch()
    kept = {k: t.detach().cpu() for k, t in model.state_dict().items() if k not in held}
    return {k: ((t.float() if t.dtype == torch.bfloat16 else t).numpy(), str(t.dtype).removeprefix("torch."))
            for k, t in kept.items()}


def restore_torch_only(model, kept: dict, held: set) -> list[str]:
    """Copy entries Keras' weights file carried (tfpt.frameworks.keras.weight_files.read) back into the model where
    it has them, with the same shape, and the converters do not write them (a file of another model restores
    nothing it cannot hold); the keys restored."""
    torch = import_torch()
    own, put = model.state_dict(), {}
    for key, (arr, dtype) in kept.items():
        if key not in held and key in own and tuple(arr.shape) == tuple(own[key].shape):
            put[key] = torch.from_numpy(np.array(arr)).to(getattr(torch, dtype, own[key].dtype))
    if put:
        model.load_state_dict(put, strict=False)
    return sorted(put)
