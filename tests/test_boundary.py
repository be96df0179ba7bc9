"""One framework boundary: inside the package only the framework folders (plus the import guard and the deployer)
import TensorFlow, Keras or torch; nothing in it imports this repository's folders; no import circle, whether the
imports are at the top of a module or inside its functions."""
from tests.boundary import (
    FRAMEWORK_NAMES,
    NAME_DATA_ALLOWED,
    NAME_FREE_FOLDERS,
    boundary_violations,
    circle_lines,
    cycles,
    folder_sources,
    name_branches,
    name_data_outside_framework_code,
    package_graph,
    package_sources,
)


def test_only_the_framework_folders_import_a_framework():
    bad = boundary_violations(package_sources())
    assert not bad, "\n".join(bad)


def test_no_import_circle_in_the_package():
    """Imports inside functions count: a circle of them still runs a module half-initialized on some call order."""
    found = circle_lines(package_graph())
    assert not found, "import circles: " + "; ".join(found)


def test_circle_reader_finds_circles_made_inside_functions(tmp_path):
    """Negative control: a temp package with a circle through a function's import, one through a relative import
    and `importlib.import_module`, one through a name of the root package; a `__main__` block's import and a
    sibling module imported through the parent (`from pkg import a`, under a root that imports it) make none."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    files = {"__init__.py": "from pkg import e\nfrom pkg.f import NAME\n",
             "a.py": "import pkg.b\n", "b.py": "def late():\n    from pkg import a\n",
             "c.py": "import importlib\nMOD = importlib.import_module('pkg.d')\n",
             "d.py": "def f():\n    from . import c\n",
             "e.py": "from pkg import a\n", "f.py": "NAME = 1\ndef g():\n    from pkg import NAME\n",
             "g.py": "X = 1\nif __name__ == '__main__':\n    from pkg.h import run\n",
             "h.py": "def run():\n    from pkg.g import X\n"}
    for name, source in files.items():
        (pkg / name).write_text(source)
    assert circle_lines(package_graph(pkg)) == ["pkg -> pkg.f -> pkg", "pkg.a -> pkg.b -> pkg.a",
                                                "pkg.c -> pkg.d -> pkg.c"]


def test_checker_catches_a_framework_import_outside_the_framework_folders():
    """Negative control: a library module that imports torch, and one that imports the repository's models."""
    bad = boundary_violations({"checks/x.py": "def f():\n    import torch\n",
                               "report/y.py": "from models.pairs import SPEC\n",
                               "frameworks/z.py": "import tensorflow as tf\n"})
    assert [line.split(" ")[0] for line in bad] == ["checks/x.py", "report/y.py"]


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_framework_name_is_compared_outside_the_framework_folders():
    """Checks, commands, tables and benchmarks ask the registry (tfpt.frameworks.registry) what a framework does."""
    found = name_branches(package_sources()) + name_branches(folder_sources())
    assert not found, "framework-name comparisons outside the framework folders: " + ", ".join(found)


def test_the_name_check_reads_every_listed_folder():
    """Each folder of NAME_FREE_FOLDERS is really read (a wrong root or glob would pass the check vacuously)."""
    read = {rel.split("/")[0] for rel in folder_sources()}
    assert read == set(NAME_FREE_FOLDERS) and "benchmarks/conftest.py" in folder_sources()


def test_checker_catches_a_framework_name_comparison():
    """Negative control: each form of a name branch, one allowed inside the framework folders, and look-alikes."""
    found = name_branches({"checks/a.py": "x = 1 if fw == 'tf' else 2\n",
                           "report/b.py": "ok = fw in ('tf', 'torch')\nif 'torch' not in sys.modules: pass\n",
                           "cli/c.py": "fmt == 'keras' or name == 'tfx'\n",
                           "frameworks/d.py": "x = fw != 'torch'\n",
                           "benchmarks/e.py": "version = v['tensorflow' if fw == 'tf' else 'torch']\n"})
    assert found == ["checks/a.py:1", "report/b.py:1", "report/b.py:2", "benchmarks/e.py:1"]


def test_no_framework_name_is_written_as_data_outside_framework_code():
    """Loops, tuples, lists and dict keys outside frameworks/ and convert/ take the names from the
    registry; the files in NAME_DATA_ALLOWED may hold at most their listed count."""
    found = name_data_outside_framework_code({**package_sources(), **folder_sources()})
    over = {rel: lines for rel, lines in found.items() if len(lines) > NAME_DATA_ALLOWED.get(rel, 0)}
    assert not over, "framework names as data outside the framework code (path: lines): " + \
        "; ".join(f"{rel}: {lines}" for rel, lines in over.items())


def test_checker_catches_framework_names_written_as_data():
    """Negative control: a loop over names, a list, a set, dict keys (a tuple key too); allowed in the framework
    code; look-alikes, a name as a dict value or a call's argument are not data of this kind."""
    found = name_data_outside_framework_code({
        "cli/a.py": "for fw in ('tf', 'torch'):\n    pass\nX = [f(fw) for fw in ['jax']]\n",
        "report/b.py": "T = {'keras-torch': 1, ('tf', 'tuned'): 2}\nS = {'tensorflow'}\n",
        "training/c.py": "A = ('tfx', 'keras', 'torchvision')\nB = {'side': 'torch'}\nC = get('tf')\n",
        "frameworks/d.py": "X = ('tf', 'torch')\n", "convert/e.py": "Y = {'torch': 1}\n",
        "benchmarks/f.py": "@pytest.mark.parametrize('fw', ['tf', 'torch'])\ndef test(fw): pass\n"})
    assert found == {"cli/a.py": [1, 1, 3], "report/b.py": [1, 1, 2], "benchmarks/f.py": [1, 1]}


def test_the_names_checked_are_the_registrys():
    """Every id, alias and Keras backend of a registered framework is a name the checks look for (flax too), read
    from the registry, so a framework registered later is covered without an edit here; a planted `"flax"` key and
    a comparison with an alias are caught."""
    from tfpt.frameworks import REGISTRY
    assert {n for fw in REGISTRY.values() for n in (fw.id, *fw.aliases)} <= FRAMEWORK_NAMES
    assert {"flax", "jax", "tensorflow", "pytorch"} <= FRAMEWORK_NAMES and "keras" not in FRAMEWORK_NAMES
    assert name_data_outside_framework_code({"report/x.py": "COLUMNS = {'flax': 1}\n"}) == {"report/x.py": [1]}
    assert name_branches({"cli/y.py": "ok = name != 'pytorch'\n"}) == ["cli/y.py:1"]


def test_no_file_may_write_framework_names_as_data_any_more():
    """The allow-list is empty: the study's figures, the report's columns and the version labels come from the
    framework records."""
    assert NAME_DATA_ALLOWED == {}
