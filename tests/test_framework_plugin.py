"""Adding a Keras backend is one record in the registry (tfpt.frameworks.registry): Keras' NumPy backend, which
the suite does not register (where jax, which it imports, is installed), and Keras' torch backend under a new id
are each added here as a record alone and checked layer by layer like the registered ones.
A record naming a backend Keras does not have fails with that backend's name."""
from __future__ import annotations

import pytest

import models.pairs  # noqa: F401  (registers the spec and study pairs)
from tfpt.frameworks import KERAS_SIDE, Framework, registry
from tfpt.frameworks.keras_backend import WorkerError

pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.cli]  # a worker process of Keras on NumPy


def _with_id(record: Framework, fw_id: str) -> Framework:
    import dataclasses
    return dataclasses.replace(record, id=fw_id)


def _record(backend: str) -> Framework:
    return Framework(f"keras-{backend}", f"Keras on {backend}", KERAS_SIDE, ("keras",), ("keras", "numpy"),
                     keras_backend=backend, adapter="tfpt.frameworks.keras_backend", seed_bits=32)


def _numpy_backend_usable():
    import importlib.util
    return importlib.util.find_spec("jax") is not None  # Keras' NumPy backend imports jax (its nn ops)


@pytest.mark.parametrize("backend", [
    pytest.param("numpy", marks=pytest.mark.skipif(not _numpy_backend_usable(),
                                                   reason="Keras' NumPy backend imports jax, not installed here")),
    "torch"])  # torch: Keras' torch backend registered again under an id of its own, a record alone as well
def test_one_record_adds_a_keras_backend_as_a_checked_framework(backend, monkeypatch):
    from tfpt.checks.backends import check_pair
    from tfpt.pair import get
    fw_id = f"keras-{backend}-added"
    monkeypatch.setitem(registry.REGISTRY, fw_id, _with_id(_record(backend), fw_id))
    r = check_pair(get("spec"), fw_id)
    assert r.versions["keras"] and r.same_layout.ok and r.vs_torch.ok, r.rows()
    assert [row[0] for row in r.rows()] == ["Keras on TensorFlow", "PyTorch"] and len(r.same_layout.rows) >= 7


def test_a_record_naming_a_backend_keras_lacks_fails_naming_it(monkeypatch):
    from tfpt.checks.backends import check_pair
    from tfpt.pair import get
    monkeypatch.setitem(registry.REGISTRY, "keras-nope", _record("nope"))
    with pytest.raises(WorkerError, match="nope"):
        check_pair(get("spec"), "keras-nope")
