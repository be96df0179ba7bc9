"""The code's own hygiene in the test run: ruff over the repository, mypy over the library's core, both configured
in pyproject.toml and pinned in requirements-test.txt. Each has a negative control: a planted finding fails it."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.imports_audit import ROOT


def run_tool(tool: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m <tool> ...` in the repository root (where pyproject.toml configures it); skips without it."""
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed; fix: pip install -r requirements-test.txt")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_ruff_finds_nothing_in_the_repository():
    proc = run_tool("ruff", "check", "--no-fix", "--output-format", "concise", ".")
    assert proc.returncode == 0, f"ruff check:\n{proc.stdout}{proc.stderr}"


def test_ruff_reports_a_planted_unused_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('"""A module with one unused import."""\nimport os\n')
    proc = run_tool("ruff", "check", "--no-fix", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                    "--output-format", "concise", str(planted))
    assert proc.returncode == 1 and "F401" in proc.stdout, proc.stdout + proc.stderr


def test_ruff_wants_torch_imported_before_tensorflow(tmp_path):
    """The import order ruff enforces is the one that does not crash: torch before keras / tensorflow."""
    results = {}
    for name, order in (("crashing", "import keras\nimport torch\n"), ("safe", "import torch\nimport keras\n")):
        (tmp_path / f"{name}.py").write_text(f'"""Both frameworks."""\n{order}\nprint(keras, torch)\n')
        results[name] = run_tool("ruff", "check", "--no-fix", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                                 "--output-format", "concise", str(tmp_path / f"{name}.py"))
    assert results["crashing"].returncode == 1 and "I001" in results["crashing"].stdout, results["crashing"].stdout
    assert results["safe"].returncode == 0, results["safe"].stdout


def test_mypy_finds_nothing_in_the_core():
    proc = run_tool("mypy")  # the files and settings: pyproject.toml's [tool.mypy]
    assert proc.returncode == 0, f"mypy:\n{proc.stdout}{proc.stderr}"


def test_mypy_reports_a_planted_type_error(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('count: int = "three"\n')
    proc = run_tool("mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
                    str(planted))
    assert proc.returncode == 1 and "[assignment]" in proc.stdout, proc.stdout + proc.stderr
