"""What the suite imports at collection is what every environment installs: `make test`'s venv (requirements.txt),
each tox env (requirements-test.txt beside its frameworks), a user's install of the package (pyproject); the
optional hub extra (requirements-hub.txt) never pins the frameworks."""
from __future__ import annotations

import re

import tomllib

from tests import imports_audit as A

TEST_CODE = ("tests", "equivalence", "benchmarks", "fixtures", "models", "examples", "conftest.py")


def test_test_code_imports_only_the_pinned_tools_and_the_frameworks():
    tools = A.pinned_names(A.ROOT / "requirements-test.txt")
    frameworks = A.tox_env_names() | {"tfpt"}  # tox envs install the frameworks by factor
    missing = A.unlisted(A.sources(*TEST_CODE), tools | frameworks)
    assert not missing, f"imported at module level but not in requirements-test.txt: {missing}"


def test_the_package_imports_only_its_declared_dependencies():
    project = tomllib.loads((A.ROOT / "pyproject.toml").read_text())["project"]
    declared = {A.requirement_name(d) for d in
                [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]}
    missing = A.unlisted(A.sources("src/tfpt"), declared | {"tfpt"})
    assert not missing, f"imported at module level but not declared in pyproject.toml: {missing}"


def test_an_unlisted_module_level_import_is_named_with_its_file():
    files = {"t.py": "import os\nimport pytest\ntry:\n    import hypothesis\nexcept ImportError:\n    pass\n"
                     "def f():\n    import scipy\n"}
    assert A.unlisted(files, {"pytest"}) == {"hypothesis": ["t.py"]}
    assert A.unlisted({"u.py": "import no_such_module_here\n"}, set()) == \
        {"no_such_module_here (not installed)": ["u.py"]}
    # declared under its own name (an extra not installed here, as flax in a venv without requirements-jax.txt)
    assert A.unlisted({"u.py": "import no_such_module_here\n"}, {"no-such-module-here"}) == {}


def test_requirements_txt_includes_the_test_tools():
    assert A.pinned_names(A.ROOT / "requirements-test.txt") <= A.pinned_names(A.ROOT / "requirements.txt")


def test_the_extra_never_pins_the_frameworks():
    """A plain install of keras-hub replaces tensorflow-cpu: the extra's file says --no-deps and pins none of the
    packages requirements.txt pins for the frameworks."""
    text = (A.ROOT / "requirements-hub.txt").read_text()
    pins = {re.split(r"[=<>]", line)[0].lower() for line in text.splitlines() if line and not line.startswith("#")}
    assert "--no-deps" in text and {"keras-hub", "transformers"} <= pins
    assert not pins & {"tensorflow", "tensorflow-cpu", "tensorflow-text", "keras", "torch", "numpy"}, pins
