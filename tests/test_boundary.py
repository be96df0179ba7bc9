"""One framework boundary: inside the package only the adapters (plus the import guard and the deployer) import
TensorFlow, Keras or torch; nothing in it imports this repository's folders; no module-level import circle."""
from tests.boundary import (
    NAME_FREE_FOLDERS,
    boundary_violations,
    cycles,
    folder_sources,
    name_branches,
    package_graph,
    package_sources,
)


def test_only_the_adapters_import_a_framework():
    bad = boundary_violations(package_sources())
    assert not bad, "\n".join(bad)


def test_no_import_circle_in_the_package():
    found = cycles(package_graph())
    assert not found, "import circles: " + "; ".join(" -> ".join(c + c[:1]) for c in found)


def test_checker_catches_a_framework_import_outside_the_adapters():
    """Negative control: a library module that imports torch, and one that imports the repository's models."""
    bad = boundary_violations({"checks/x.py": "def f():\n    import torch\n",
                               "report/y.py": "from models.pairs import SPEC\n",
                               "adapters/z.py": "import tensorflow as tf\n"})
    assert [line.split(" ")[0] for line in bad] == ["checks/x.py", "report/y.py"]


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_framework_name_is_compared_outside_the_adapters():
    """Checks, commands, tables and benchmarks ask the registry (tfpt.frameworks.registry) what a framework does."""
    found = name_branches(package_sources()) + name_branches(folder_sources())
    assert not found, "framework-name comparisons outside the adapters: " + ", ".join(found)


def test_the_name_check_reads_every_listed_folder():
    """Each folder of NAME_FREE_FOLDERS is really read (a wrong root or glob would pass the check vacuously)."""
    read = {rel.split("/")[0] for rel in folder_sources()}
    assert read == set(NAME_FREE_FOLDERS) and "benchmarks/conftest.py" in folder_sources()


def test_checker_catches_a_framework_name_comparison():
    """Negative control: each form of a name branch, one allowed inside the adapters, and look-alikes."""
    found = name_branches({"checks/a.py": "x = 1 if fw == 'tf' else 2\n",
                           "report/b.py": "ok = fw in ('tf', 'torch')\nif 'torch' not in sys.modules: pass\n",
                           "cli/c.py": "fmt == 'keras' or name == 'tfx'\n",
                           "adapters/d.py": "x = fw != 'torch'\n",
                           "benchmarks/e.py": "version = v['tensorflow' if fw == 'tf' else 'torch']\n"})
    assert found == ["checks/a.py:1", "report/b.py:1", "report/b.py:2", "benchmarks/e.py:1"]
