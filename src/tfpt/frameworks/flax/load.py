"""The deployer's loader of Flax's jax-export artifacts (named by tfpt.frameworks.flax.formats' row, so
tfpt.deploy needs no edit for it): `jax.export.deserialize`, then the Exported's `call`, in a process that imports
jax alone. Standard library and JAX only: no Flax, no tfpt module."""
from __future__ import annotations

from pathlib import Path


def load(path: Path):
    """(run, declared): `run` takes a numpy batch and gives the output; `declared` is what the artifact says its
    input is, {"name", "shape": one sample's (None for a symbolic axis), "dtype", "source"}."""
    import jax
    exported = jax.export.deserialize(bytearray(Path(path).read_bytes()))
    if len(exported.in_avals) != 1:
        raise ValueError(f"a function of one input; it takes {len(exported.in_avals)}")
    exported.mlir_module()  # reads the StableHLO now: a damaged artifact fails to load, not on its first batch
    aval = exported.in_avals[0]
    sample = tuple(d if isinstance(d, int) else None for d in aval.shape[1:])
    call = jax.jit(exported.call)  # compiled once per batch size the deployer runs
    declared = {"name": "x", "shape": sample, "dtype": str(aval.dtype),
                "source": f"{path}'s jax.export input ({', '.join(exported.platforms)})"}
    return (lambda x: jax.device_get(call(x))), declared
