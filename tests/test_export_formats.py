"""The export formats come from the framework folders (tfpt.frameworks.formats): every format a record lists has
its folder's row and a loader the deployer has, and a new framework's format is picked up with no edit in
tfpt.deploy; a record listing a format its folder does not describe is named."""
import sys

import pytest

from tfpt import deploy
from tfpt.frameworks import REGISTRY
from tfpt.frameworks.base import TORCH_SIDE, Framework
from tfpt.frameworks.formats import table

ROW = ('from tfpt.frameworks.formats import ExportFormat\n'
       'FORMATS = (ExportFormat("onnx-fake", "ONNX", "onnx", "onnxruntime", "onnxruntime", "model-fake.onnx"),)\n')


def test_every_listed_format_has_its_row_and_a_loader():
    rows = table()
    assert list(rows) == [f for fw in REGISTRY.values() for f in fw.formats] == list(deploy.FORMATS)
    assert all(callable(deploy.loader(row.loader)) for row in rows.values())  # LOADERS' or "module:function"
    assert {row.container for row in rows.values()} <= {"file", "zip", "folder"}
    assert deploy.RUNTIME_OF["savedmodel"] == "tensorflow" and deploy.ZIP_FORMATS == ("keras", "torchscript",
                                                                                     "exported-program")


def _fake(tmp_path, monkeypatch, formats):
    (tmp_path / "fakefw").mkdir()
    (tmp_path / "fakefw" / "__init__.py").write_text("")
    (tmp_path / "fakefw" / "formats.py").write_text(ROW)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("fakefw", "fakefw.formats"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(REGISTRY, "fake", Framework("fake", "Fake", TORCH_SIDE, ("fakefw",), ("fakefw",),
                                                    formats=formats, folder="fakefw"))


def test_a_new_frameworks_format_needs_no_edit_in_the_deployer(tmp_path, monkeypatch):
    _fake(tmp_path, monkeypatch, ("onnx-fake",))
    row = table()["onnx-fake"]
    assert row.loader in deploy.LOADERS and row.runtime == "onnxruntime" and row.file == "model-fake.onnx"


def test_a_format_its_folder_does_not_describe_is_named(tmp_path, monkeypatch):
    """Negative control: the record lists "tflite-fake", the folder's table has only "onnx-fake"."""
    _fake(tmp_path, monkeypatch, ("onnx-fake", "tflite-fake"))
    with pytest.raises(ValueError, match=r"Fake lists export format 'tflite-fake', which fakefw.formats does not "
                                         r"describe \(it has onnx-fake\)"):
        table()


def test_a_rows_own_loader_is_found_by_module_and_function(tmp_path, monkeypatch):
    """A row's loader "module:function" (a loader in the framework's own folder) is imported by name; what it
    declares becomes the deployer's Declared, the layout from the sidecar."""
    (tmp_path / "fakeloader.py").write_text(
        "def load(path):\n    return (lambda x: 2 * x), {'name': 'x', 'shape': (3,), 'dtype': 'float32'}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fakeloader", raising=False)
    sidecar = deploy.Declared("x", (3,), "float32", "a sidecar", "plain")
    run, declared = deploy.loader("fakeloader:load")(tmp_path / "model.bin", sidecar)
    assert run(2) == 4 and (declared.name, declared.sample_shape, declared.dtype, declared.layout) == \
        ("x", (3,), "float32", "plain")
