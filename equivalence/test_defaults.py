"""The defaults audit: computed from the installed frameworks, pinned per version."""
import pytest

from fixtures.params import FRAMEWORKS
from tfpt import frameworks
from tfpt.checks.defaults import KEYS, defaults_table, pinned, render


@pytest.fixture(scope="module")
def table():
    return defaults_table()


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_defaults_are_pinned(fw, table, measurements):
    version = frameworks.versions()[frameworks.get(fw).version_dist]
    expected = pinned(fw, version)
    changed = {k: (expected[k], table[fw][k]) for k in KEYS if table[fw][k] != expected[k]}
    measurements[f"defaults {fw} {version}"] = table[fw]
    assert not changed, f"{fw} {version} changed defaults (pinned, installed): {changed}"


@pytest.mark.tf
@pytest.mark.torch
def test_defaults_table_renders_every_key(table):
    text = render(table)
    assert all(f"| {key} |" in text for key in KEYS) and "epsilon hat" in text


@pytest.mark.torch
def test_pin_check_fails_on_a_changed_default(table):
    """Negative control: a pinned value that differs from the installed one is reported."""
    expected = {**pinned("torch", "0.0"), "adam.epsilon": 1e-6}
    assert {k for k in KEYS if table["torch"][k] != expected[k]} == {"adam.epsilon"}
