"""The registry finds the records: each framework folder's record.py, then the entry points of the group
`tfpt.frameworks` (a framework living outside this package), in a stable order; a broken one is one line."""
from __future__ import annotations

import importlib.metadata
from dataclasses import replace

from tfpt.frameworks import registry


class FakeEntryPoint:
    def __init__(self, name, value, load):
        self.name, self.value, self._load = name, value, load

    def load(self):
        return self._load()


def _entry_points(*eps):
    return lambda group=None: list(eps) if group == registry.GROUP else []


def test_the_folders_records_come_in_the_suites_order():
    found, problems = registry.discover()
    assert list(found)[:5] == ["tf", "torch", "keras-torch", "keras-jax", "flax"] and not problems
    assert list(registry.REGISTRY) == list(found)
    assert {m.rsplit(".", 2)[-2] for m in registry.folders()} == {"keras", "torch", "flax"}


def test_an_entry_point_adds_a_framework_after_the_suites_own(monkeypatch):
    ours = replace(registry.TORCH, id="mxnet", name="MXNet", aliases=(), rank=0)
    monkeypatch.setattr(importlib.metadata, "entry_points", _entry_points(
        FakeEntryPoint("zz", "zz:RECORD", lambda: ours), FakeEntryPoint("aa", "aa:RECORDS", lambda: (ours,))))
    found, problems = registry.discover()
    assert list(found) == ["tf", "torch", "keras-torch", "keras-jax", "flax", "mxnet"], list(found)
    assert problems == ["framework entry point zz = zz:RECORD (group tfpt.frameworks): framework id 'mxnet' is "
                        "MXNet's already; that record left out; fix: give it an id of its own"]


def test_a_broken_entry_point_is_one_line_naming_it(monkeypatch):
    """Negative control: an entry point whose import fails and one that holds no record; the rest still load."""
    def boom():
        raise ModuleNotFoundError("No module named 'tfpt_mxnet'")
    monkeypatch.setattr(importlib.metadata, "entry_points", _entry_points(
        FakeEntryPoint("mxnet", "tfpt_mxnet:RECORDS", boom), FakeEntryPoint("odd", "odd:X", lambda: 42)))
    found, problems = registry.discover()
    assert list(found) == ["tf", "torch", "keras-torch", "keras-jax", "flax"]
    assert problems == [
        "framework entry point mxnet = tfpt_mxnet:RECORDS (group tfpt.frameworks): not loaded (ModuleNotFoundError: "
        "No module named 'tfpt_mxnet'); fix: reinstall or uninstall it",
        "framework entry point odd = odd:X (group tfpt.frameworks): not loaded (TypeError: no Framework record: "
        "expected a Framework, a tuple of them or a module with RECORDS, got int); fix: reinstall or uninstall it"]
    assert all("\n" not in line for line in problems)


def test_the_registry_helpers_still_answer():
    assert [fw.id for fw in registry.native()] == ["tf", "torch"]
    assert [fw.id for fw in registry.keras_backends()] == ["keras-torch", "keras-jax"]
    assert registry.on_side("torch").id == "torch" and registry.other("tf").id == "torch"
    assert [fw.id for fw in registry.studied()] == ["tf", "torch"]
    assert registry.version_dists() == [("tensorflow", "TF"), ("keras", "Keras"), ("torch", "torch"), ("flax", "Flax")]
    assert registry.names() >= {"tf", "tensorflow", "torch", "pytorch", "keras-torch", "keras-jax", "jax", "flax"}
