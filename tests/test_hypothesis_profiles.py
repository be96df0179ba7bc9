"""Hypothesis draws the same examples on every CI run and explores elsewhere (tests/hypothesis_profiles.py): the
profile follows env CI (and tox's copy of it), and the one this process loaded is what the variable says."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from tests import hypothesis_profiles


@pytest.mark.parametrize("environ, expected", [
    ({"CI": "true"}, "tfpt-ci"), ({"CI": "1"}, "tfpt-ci"),
    ({"__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI": "true"}, "tfpt-ci"),
    ({}, None), ({"CI": ""}, None), ({"CI": "false"}, None), ({"CI": "0"}, None),  # the controls: a developer's run
])
def test_ci_picks_the_fixed_draw_and_a_developers_run_explores(environ, expected):
    assert hypothesis_profiles.profile(environ) == expected


def test_this_run_loaded_the_profile_its_environment_asks_for():
    if hypothesis_profiles.in_ci(os.environ):
        assert settings.default.derandomize and settings.default.database is None
    else:  # Hypothesis' own default: a fresh draw each run, what it found replayed from its database
        assert not settings.default.derandomize


def _draws(profile: settings) -> list:
    seen: list = []

    @settings(profile, max_examples=20, database=None)
    @given(st.integers(-10**9, 10**9))
    def record(x):
        seen.append(x)
    record()
    return seen


def test_the_ci_profile_draws_the_same_examples_every_time():
    ci = settings(settings.get_profile("tfpt-ci"), database=None)
    assert _draws(ci) == _draws(ci)
    explore = settings(ci, derandomize=False)  # the control: a developer's draw differs run to run
    assert _draws(explore) != _draws(explore)
