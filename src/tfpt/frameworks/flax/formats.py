"""The format Flax NNX's models are exported in (tfpt.frameworks.flax.export, run in the Flax worker), as the
deployer reloads it: jax.export's serialized StableHLO, read by this folder's own loader (tfpt.frameworks.flax.load)
in a process that imports jax alone. Standard library only."""
from __future__ import annotations

from tfpt.frameworks.formats import ExportFormat

FORMATS = (
    ExportFormat("jax-export", "jax.export", "tfpt.frameworks.flax.load:load", "jax", "jax", "model.jax-export",
                 needs=("flatbuffers",)),  # jax.export's serialization: an optional dependency of jax
)
