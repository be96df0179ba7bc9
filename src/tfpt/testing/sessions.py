"""Per-session caches of the generic checks: each pair is built, matched and compared once per pytest process,
however many parametrized tests read the result."""
from __future__ import annotations

import functools

import pytest

from tfpt.checks import pairs as P
from tfpt.match import MatchError
from tfpt.pair import ModelPair, PairError

SEED = 0
BATCH = 256  # samples for the forward and gradient checks (real MNIST test images for the study's pairs)


def built(pair: ModelPair, direction: str = "tf->torch") -> P.PairModels:
    return _built(pair, direction)


@functools.cache
def _built(pair: ModelPair, direction: str) -> P.PairModels:
    return P.shared(pair, direction, SEED)


def models(pair: ModelPair, direction: str = "tf->torch") -> P.PairModels:
    """The shared-weight pair, or a skip naming why the correspondence could not be found (the
    test_layers_correspond check fails with the full message once)."""
    try:
        return built(pair, direction)
    except (MatchError, PairError) as exc:
        pytest.skip(f"{pair.name}: no layer correspondence ({str(exc)[:160]}…); see test_layers_correspond")


@functools.cache
def batch(pair: ModelPair, n: int = BATCH):
    x = pair.input.batch(n, SEED)
    return x, P.labels(pair, n, SEED)


@functools.cache
def forward(pair: ModelPair, direction: str):
    return P.compare_forward(models(pair, direction), batch(pair)[0])


def point_labels(pair: ModelPair) -> list[str]:
    """The compared outputs' names, for test ids; ["unmatched"] when the pair cannot be matched (the check
    that needs the match then reports why)."""
    try:
        return built(pair).match.labels
    except Exception:  # collection must never crash on a user's pair: the tests report the failure
        return ["unmatched"]
