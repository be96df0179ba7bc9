"""The record of Flax NNX's folder: run in worker processes only (JAX never loads in the suite's process; the
folder's __init__ is the worker's client). Imports no framework."""
from __future__ import annotations

from tfpt.frameworks.base import KERAS_SIDE, Framework

_FOLDER = __name__.rsplit(".", 1)[0]  # tfpt.frameworks.flax

FLAX = Framework("flax", "Flax NNX", KERAS_SIDE, ("flax", "jax", "optax"), ("flax", "jax", "jaxlib", "optax"),
                 own_process=True, adapter=_FOLDER, trainer=_FOLDER + ".train", cnn=_FOLDER + ".cnn", seed_bits=32,
                 formats=("jax-export",),
                 folder=_FOLDER, short="Flax", rank=4)

RECORDS = (FLAX,)
