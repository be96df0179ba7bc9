"""Reading the package's imports (never running them): which modules import a framework, which import this
repository's own folders, whether any import (top-level or inside a function) forms a circle, and where a
framework's name is written as data outside the framework code."""
from __future__ import annotations

import ast
from pathlib import Path

from tfpt.frameworks import registry

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tfpt"
FRAMEWORKS = {"tensorflow", "keras", "tf_keras", "torch", "torchvision"}
REPOSITORY = {"models", "fixtures", "equivalence", "benchmarks", "tests"}
# The framework boundary: the framework folders with the import guard itself (frameworks/), and the deployer (which
# must stay pure: it imports only the runtime of the format it runs, so it cannot go through the folders).
MAY_IMPORT_FRAMEWORKS = ("frameworks/", "deploy.py")
# Where a framework's name may be compared (`fw == "tf"`): the framework folders and records. Everywhere else
# code asks the registry (tfpt.frameworks.registry) what a framework does instead of naming it.
MAY_NAME_FRAMEWORKS = ("frameworks/",)
# Every name a registered framework goes by (ids, aliases, Keras backends: tf, tensorflow, torch, pytorch,
# keras-torch, keras-jax, jax, flax, and any framework registered later), read from the registry.
FRAMEWORK_NAMES = registry.names()
# Where a framework's name may be written as data (`for fw in ("tf", "torch")`, `("tf", "tuned")`, `{"torch": ...}`):
# the framework code. Everywhere else the names come from the registry (`native()`, `REGISTRY`, `keras_backends()`,
# `on_side`, `other`, a record's `id`). convert/ is framework code for now (its records say which side they are).
FRAMEWORK_CODE = ("frameworks/", "convert/")
# Files that still write framework names as data, with how many each may hold (the count may only fall; none now:
# the study's published figures, the report's columns and version labels come from the records).
NAME_DATA_ALLOWED: dict[str, int] = {}
# The repository's folders held to the same rule as the package: benchmarks, checks, pairs and their fixtures
# iterate the registry too (the suite's own tests in tests/ may still name a framework).
NAME_FREE_FOLDERS = ("benchmarks", "equivalence", "models", "fixtures")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom, module: str) -> str:
    base = node.module or ""
    if node.level:
        package = module.split(".")[:-node.level]
        base = ".".join(package + ([base] if base else []))
    return base


def _literal_import(node: ast.AST) -> str | None:
    """'x.y' of `importlib.import_module("x.y")` / `import_module("x.y")` with a literal string (a relative one
    is left unread: it names its package only at run time)."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "import_module":
            return node.args[0].value
    return None


def imports(source: str, module: str = "", top_level_only: bool = False) -> set[str]:
    """Absolute names of every module `source` imports (relative imports resolved against `module`), at the top
    and inside functions, plus `importlib.import_module` with a literal name."""
    tree = ast.parse(source)
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
        elif (name := _literal_import(node)) is not None:
            out.add(name)
    return out


def _main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":` at a module's top level."""
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__" \
        and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant) \
        and test.comparators[0].value == "__main__"


def module_nodes(tree: ast.Module):
    """Every node of the module, inside functions too, but not its `if __name__ == "__main__":` block: that runs
    only when the file is the program (`python -m x.y`), as the module `__main__`, while an import of x.y loads a
    second, complete copy, so the block's imports are the program's, not edges from x.y."""
    for top in tree.body:
        if not _main_guard(top):
            yield from ast.walk(top)


def edges(source: str, module: str, names: set[str]) -> set[str]:
    """The package modules `module` needs loaded: `import a.b` and `import_module("a.b")` need a.b; `from p
    import x` needs p.x where that is a module (p is then loaded as its parent, as for every module of p) and p
    itself where x is a name p defines, so `from tfpt import ModelPair` is an edge to the root package."""
    out = set()
    for node in module_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module)
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in names else base)
        elif (name := _literal_import(node)) is not None:
            out.add(name)
    return {n for n in out if n in names and n != module}


def boundary_violations(files: dict[str, str]) -> list[str]:
    """{relative path: source} -> one line per forbidden import."""
    bad = []
    for rel, source in files.items():
        roots = {name.split(".")[0] for name in imports(source)}
        if roots & FRAMEWORKS and not rel.startswith(MAY_IMPORT_FRAMEWORKS):
            bad.append(f"{rel} imports {sorted(roots & FRAMEWORKS)}: only {MAY_IMPORT_FRAMEWORKS} may")
        if roots & REPOSITORY:
            bad.append(f"{rel} imports this repository's {sorted(roots & REPOSITORY)}: the package must stand alone")
    return bad


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for elt in node.elts for s in _strings(elt)]
    return []


def name_comparisons(source: str) -> list[int]:
    """Line numbers of every ==, !=, in, not in with a framework's name on either side (`fw == "tf"`,
    `fw in ("tf", "torch")`, `"torch" in sys.modules`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn))
                                                 for op in node.ops):
            if FRAMEWORK_NAMES & {s for side in (node.left, *node.comparators) for s in _strings(side)}:
                lines.append(node.lineno)
    return sorted(lines)


def name_data(source: str) -> list[int]:
    """Line of each framework name written as data: an element of a tuple, list or set literal (so also what a
    `for` loop or a comprehension iterates, `for fw in ("tf", "torch")`) or a key of a dict literal."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        lines += [e.lineno for e in items if isinstance(e, ast.Constant) and e.value in FRAMEWORK_NAMES]
    return sorted(lines)


def name_data_outside_framework_code(files: dict[str, str]) -> dict[str, list[int]]:
    """{relative path: source} -> {path: lines} of framework names written as data outside FRAMEWORK_CODE."""
    found = {rel: name_data(source) for rel, source in files.items() if not rel.startswith(FRAMEWORK_CODE)}
    return {rel: lines for rel, lines in found.items() if lines}


def name_branches(files: dict[str, str]) -> list[str]:
    """{relative path: source} -> 'path:line' of each framework-name comparison outside MAY_NAME_FRAMEWORKS."""
    return [f"{rel}:{line}" for rel, source in files.items() if not rel.startswith(MAY_NAME_FRAMEWORKS)
            for line in name_comparisons(source)]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Circles in a module graph (depth-first search; each circle reported once by its smallest member)."""
    found, state = set(), {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                circle = path[path.index(nxt):]
                i = circle.index(min(circle))
                found.add(tuple(circle[i:] + circle[:i]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return [list(c) for c in sorted(found)]


def package_sources(root: Path = PACKAGE) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


def folder_sources(folders=NAME_FREE_FOLDERS) -> dict[str, str]:
    """{'benchmarks/conftest.py': source, ...} of every Python file under the repository's `folders`."""
    return {p.relative_to(ROOT).as_posix(): p.read_text() for folder in folders
            for p in sorted((ROOT / folder).rglob("*.py"))}


def package_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Imports between the modules of the package at `root` (tfpt by default), top-level and inside functions."""
    files = package_sources(root)
    mods = {rel: module_name(root / rel, root) for rel in files}
    names = set(mods.values())
    return {mods[rel]: edges(source, mods[rel], names) for rel, source in files.items()}


def circle_lines(graph: dict[str, set[str]]) -> list[str]:
    """'a -> b -> a' for each circle `cycles` finds."""
    return [" -> ".join(c + c[:1]) for c in cycles(graph)]
