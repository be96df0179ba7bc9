"""The package's folder tree, one line per module, read from each module's docstring (its first sentence): the
tree in docs/layout.md between its `generated: modules` markers. `python -m tests.module_tree` rewrites it;
tests/test_module_tree.py fails when it is out of date (a module added, removed or re-described)."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tfpt"
LAYOUT = ROOT / "docs" / "layout.md"
BEGIN, END = "<!-- generated: modules -->", "<!-- end generated -->"
WIDTH = 100


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    text = " ".join(doc.split("\n\n")[0].split())
    first = re.split(r"(?<=[a-z)\]`'])\. ", text, maxsplit=1)[0].rstrip(".")
    return first if len(first) <= WIDTH else first[:WIDTH - 1].rstrip() + "…"


def tree() -> str:
    lines = ["```text", "src/tfpt/"]
    for path in sorted(PACKAGE.rglob("*.py"), key=lambda p: (p.relative_to(PACKAGE).parts[:-1], p.name)):
        rel = path.relative_to(PACKAGE)
        depth = len(rel.parts) - 1
        if path.name == "__init__.py":
            if depth:
                lines.append(f"{'  ' * depth}{rel.parts[-2]}/  {summary(path)}")
            continue
        lines.append(f"{'  ' * (depth + 1)}{path.name:<22} {summary(path)}")
    return "\n".join(lines + ["```"])


def expected(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tree()}\n{END}{tail}"


if __name__ == "__main__":
    LAYOUT.write_text(expected(LAYOUT.read_text()))
    sys.exit(0)
