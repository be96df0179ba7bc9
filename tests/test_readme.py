"""The README stays short and true: its option, marker, exit-code and format tables are the ones generated from
the code (tests/readme_tables.py; `python -m tests.readme_tables` rewrites them), its table of the comparison's
options names exactly the options `tfpt-compare` has, the files it links exist, and every dated measurement page
under docs/measurements/ says its date, machine, versions and command."""
from __future__ import annotations

import contextlib
import io
import re

import pytest

from tests import readme_tables
from tests.readme_tables import GENERATORS, README

TEXT = README.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generated_table_matches_the_code(name):
    found = readme_tables.blocks(TEXT)
    assert name in found, f"README.md has no `<!-- generated: {name} -->` block"
    assert found[name] == GENERATORS[name](), f"the {name} table is stale; fix: python -m tests.readme_tables"


def test_a_stale_table_is_caught_and_rewritten(tmp_path):
    """Negative control: a README whose markers table lost a row fails the comparison, and the writer repairs it."""
    stale = tmp_path / "README.md"
    stale.write_text(TEXT.replace("| `cli` |", "| `cli-renamed` |"), encoding="utf-8")
    assert readme_tables.blocks(stale.read_text())["markers"] != GENERATORS["markers"]()
    assert readme_tables.rewrite(stale) == ["markers"] and stale.read_text() == TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # no temp file left


def test_the_comparisons_option_table_names_every_option_of_tfpt_compare():
    from tfpt.cli import compare
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        compare.parse_args(["--help"])
    options = set(re.findall(r"^  (--[a-z-]+)", out.getvalue(), re.MULTILINE)) - {"--help"}
    section = TEXT[TEXT.index("## The comparison"):TEXT.index("### How the comparison is measured")]
    table = {o for line in section.splitlines() if line.startswith("| `--") for o in re.findall(r"`(--[a-z-]+)", line)}
    assert table == options, f"README only: {table - options}; tfpt-compare only: {options - table}"


def test_the_readme_is_short_and_its_links_exist():
    assert len(TEXT.splitlines()) <= 210, "README.md grew past a few screens: move the detail to docs/"
    links = re.findall(r"\]\(((?:docs|examples|src)/[^)#]*)\)", TEXT)
    assert links and all((README.parent / link).exists() for link in links), links


def test_every_dated_measurement_page_says_when_where_what_and_how():
    pages = sorted((README.parent / "docs" / "measurements").glob("*.md"))
    assert len(pages) >= 5
    for page in pages:
        head = page.read_text(encoding="utf-8").split("\n\n")[1]
        assert re.match(r"\d{4}-\d{2}-\d{2}-", page.name), page.name
        for field in ("**Date**", "**Machine**", "**Versions**", "**Command**"):
            assert field in head, f"{page.name}: no {field} line"
