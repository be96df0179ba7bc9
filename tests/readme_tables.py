"""The README's reference tables, generated from the code they describe: the pytest plugin's options (its
pytest_addoption), its markers (tfpt.plugin.markers.MARKERS), every command's exit codes (tfpt.cli.exitcodes.TABLE)
and the export formats (tfpt.exports, tfpt.deploy). Each lives in README.md between
`<!-- generated: NAME -->` and `<!-- end generated -->`; tests/test_readme.py fails when one differs from the code.
After changing the code, rewrite them with `python -m tests.readme_tables`."""
from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.DOTALL)


class _Options:
    """Stands in for pytest's parser and option group: records what the plugin declares."""

    def __init__(self):
        self.rows: list[tuple[str, str]] = []

    def getgroup(self, *args, **kwargs):
        return self

    def addoption(self, *names, **kw):
        metavar = kw.get("metavar") or ({int: "N", float: "X"}.get(kw.get("type")) if kw.get("action") is None
                                        and kw.get("type") else None) or ("DIR" if "dir" in names[0] else None)
        shown = f"{names[0]} {metavar}" if metavar and kw.get("action") != "store_true" else names[0]
        default = kw.get("default")
        extra = f" (default {default})" if default not in (None, [], False) else ""
        self.rows.append((f"`{shown}`", kw.get("help", "").replace("%%", "%") + extra))

    def addini(self, name, help, **kw):  # noqa: A002 - pytest's own keyword
        self.rows.append((f"ini `{name}`", help))


def _table(head: tuple, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def options() -> str:
    from tfpt import pytest_plugin
    recorder = _Options()
    pytest_plugin.pytest_addoption(recorder)
    return _table(("option", "meaning"), recorder.rows)


def markers() -> str:
    from tfpt.plugin.markers import MARKERS
    return _table(("marker", "meaning"), [(f"`{name}`", text) for name, text in MARKERS.items()])


def exit_codes() -> str:
    from tfpt.cli.exitcodes import TABLE
    return _table(("code", "meaning"), TABLE)


def formats() -> str:
    from tfpt.deploy import RUNTIME_OF
    from tfpt.exports import FORMATS, NEEDS, framework_of
    names = {"tf": "TensorFlow", "torch": "PyTorch"}
    return _table(("format", "from", "reloaded by the deployer with", "needs beyond the framework"),
                  [(f"`{f}`", names[framework_of(f)], f"`{RUNTIME_OF[f]}`", ", ".join(NEEDS.get(f, ())) or "-")
                   for f in FORMATS])


GENERATORS = {"options": options, "markers": markers, "exit-codes": exit_codes, "formats": formats}


def blocks(text: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in BLOCK.finditer(text)}


def rewrite(path: Path = README) -> list[str]:
    """Every generated block of the README brought up to date (temp file + rename); returns the changed names."""
    text = path.read_text(encoding="utf-8")
    changed = [name for name, body in blocks(text).items() if GENERATORS[name]() != body]
    new = BLOCK.sub(lambda m: m.group(1) + GENERATORS[m["name"]]() + m.group(4), text)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, path)
    return changed


if __name__ == "__main__":
    print("rewritten:", ", ".join(rewrite()) or "nothing (all up to date)", file=sys.stderr)
