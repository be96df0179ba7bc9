"""Reading the package's imports (never running them): which modules import a framework, which import this
repository's own folders, and whether module-level imports form a circle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tfpt"
FRAMEWORKS = {"tensorflow", "keras", "tf_keras", "torch", "torchvision"}
REPOSITORY = {"models", "fixtures", "equivalence", "benchmarks", "tests"}
# The framework boundary: the adapters, the import guard itself, and the deployer (which must stay pure: it
# imports only the runtime of the format it runs, so it cannot go through the adapters).
MAY_IMPORT_FRAMEWORKS = ("adapters/", "frameworks/", "deploy.py")
# Where a framework's name may be compared (`fw == "tf"`): the adapters and the framework records. Everywhere else
# code asks the registry (tfpt.frameworks.registry) what a framework does instead of naming it.
MAY_NAME_FRAMEWORKS = ("adapters/", "frameworks/")
FRAMEWORK_NAMES = {"tf", "tensorflow", "torch", "pytorch", "keras-torch", "keras-jax", "jax"}
# The repository's folders held to the same rule as the package: benchmarks, checks, pairs and their fixtures
# iterate the registry too (the suite's own tests in tests/ may still name a framework).
NAME_FREE_FOLDERS = ("benchmarks", "equivalence", "models", "fixtures")


def module_name(path: Path) -> str:
    parts = ["tfpt", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str = "", top_level_only: bool = False) -> set[str]:
    """Absolute names of every module `source` imports (relative imports resolved against `module`)."""
    tree = ast.parse(source)
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(module.split(".")[:-node.level] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


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


def package_sources() -> dict[str, str]:
    return {p.relative_to(PACKAGE).as_posix(): p.read_text() for p in sorted(PACKAGE.rglob("*.py"))}


def folder_sources(folders=NAME_FREE_FOLDERS) -> dict[str, str]:
    """{'benchmarks/conftest.py': source, ...} of every Python file under the repository's `folders`."""
    return {p.relative_to(ROOT).as_posix(): p.read_text() for folder in folders
            for p in sorted((ROOT / folder).rglob("*.py"))}


def package_graph() -> dict[str, set[str]]:
    """Module-level imports between the package's own modules (a package's import loads its __init__)."""
    names = {module_name(PACKAGE / rel) for rel in package_sources()}
    graph = {}
    for rel, source in package_sources().items():
        mod = module_name(PACKAGE / rel)
        targets = {n for n in imports(source, mod, top_level_only=True) if n in names and n != mod}
        graph[mod] = targets
    return graph
