"""Which distributions a set of Python files import at module level, and which of those nothing installs.

A module-level import of a package an environment lacks stops pytest at collection, before any test runs (a tox env
without `hypothesis` did exactly that). Imports inside functions are left out: the suite imports frameworks and
optional runtimes lazily and skips with a reason where they are missing.
"""
from __future__ import annotations

import ast
import configparser
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"tfpt", "conftest", *(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())}


def module_level_imports(source: str) -> set[str]:
    """Top-level names of the modules imported outside any function or class (relative imports left out)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        stack = [node]
        while stack:  # module-level if/try/with blocks import at collection too
            n = stack.pop()
            if isinstance(n, ast.Import):
                names.update(a.name.split(".")[0] for a in n.names)
            elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
                names.add(n.module.split(".")[0])
            elif isinstance(n, (ast.If, ast.Try, ast.With)):
                stack.extend(ast.iter_child_nodes(n))
    return names


def distribution_of(module: str) -> str | None:
    """The installed distribution that provides a top-level module; None for the standard library and this repo."""
    if module in sys.stdlib_module_names or module in LOCAL or module == "__future__":
        return None
    found = installed().get(module)
    return canonical(found[0]) if found else f"{module} (not installed)"


@functools.cache
def installed() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # reads every installed distribution's file list: once


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    """The distribution a requirement names: `torch==2.14.1`, `numpy<2`, `tfpt[tf]` -> torch, numpy, tfpt."""
    return canonical(re.split(r"[<>=!~\[; ]", spec.strip())[0])


def pinned_names(requirements: Path) -> set[str]:
    """The distribution names a requirements file lists (following its -r includes)."""
    names: set[str] = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= pinned_names(requirements.parent / line[3:].strip())
        elif line:
            names.add(requirement_name(line))
    return names


def tox_env_names() -> set[str]:
    """The distributions tox.ini's [testenv] deps name under any factor (`tf215: tensorflow-cpu==2.15.1`,
    `!tf215: onnx`), its -r includes left out."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    lines = [line.split(":", 1)[-1].strip() for line in parser["testenv"]["deps"].splitlines()]
    return {requirement_name(line) for line in lines if line and not line.startswith("-r")}


def unlisted(files: dict[str, str], allowed: set[str]) -> dict[str, list[str]]:
    """{distribution: [files importing it at module level]} for each one not in `allowed`."""
    found: dict[str, list[str]] = {}
    for name, source in sorted(files.items()):
        for module in sorted(module_level_imports(source)):
            if (ROOT / name).parent.joinpath(module.split(".")[0] + ".py").exists():
                continue  # a module beside the importing file (an example's own helper), not a distribution
            dist = distribution_of(module)
            if dist == f"{module.split('.')[0]} (not installed)" and canonical(module.split(".")[0]) in allowed:
                continue  # an optional dependency declared under its own name, not installed here (the jax extra)
            if dist is not None and dist not in allowed:
                found.setdefault(dist, []).append(name)
    return found


def sources(*folders: str) -> dict[str, str]:
    """{relative path: text} of every .py file under the given folders (or the given files) of the repository."""
    out: dict[str, str] = {}
    for folder in folders:
        base = ROOT / folder
        for path in ([base] if base.is_file() else sorted(base.rglob("*.py"))):
            out[str(path.relative_to(ROOT))] = path.read_text()
    return out
