"""docs/layout.md's module tree is the package as it is: one line per module, from its docstring."""
from tests import module_tree


def test_the_module_tree_in_the_docs_is_up_to_date():
    text = module_tree.LAYOUT.read_text()
    assert text == module_tree.expected(text), "docs/layout.md is out of date: run python -m tests.module_tree"


def test_every_module_is_one_line_and_a_new_one_shows(tmp_path, monkeypatch):
    """Negative control: a module added to the package is a line the docs lack, so the check above fails."""
    tree = module_tree.tree()
    modules = [p for p in module_tree.PACKAGE.rglob("*.py")]
    assert len(tree.splitlines()) == len(modules) + 2  # two fences and the root, whose __init__ has no line
    (tmp_path / "tfpt").mkdir()
    for p in modules:
        target = tmp_path / "tfpt" / p.relative_to(module_tree.PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(p.read_text())
    (tmp_path / "tfpt" / "extra.py").write_text('"""A module nobody described in the docs."""\n')
    monkeypatch.setattr(module_tree, "PACKAGE", tmp_path / "tfpt")
    assert "extra.py" in module_tree.tree() and module_tree.expected(module_tree.LAYOUT.read_text()) != \
        module_tree.LAYOUT.read_text()
