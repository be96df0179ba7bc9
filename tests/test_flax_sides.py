"""A pair's sides by name (Keras the reference, the two-builder form its shortcut), and the negative controls of
the generic worker-side checks (tfpt.checks.sides): a Flax side with a planted defect fails, naming the layer.
The sides' own agreement runs for every registered pair with a Flax side in src/tfpt/testing/pair_checks.py."""
from __future__ import annotations

import dataclasses

import pytest

from tests.pair_declaration_cases import builder
from tfpt import frameworks
from tfpt.pair import InputSpec, ModelPair


def flax_builder():
    return None  # never called: declarations only


def test_sides_by_name_and_the_two_builder_shortcut():
    spec = InputSpec(shape=(4,))
    p = ModelPair("p", {"flax": flax_builder, "torch": builder, "keras": builder}, spec, batch=8)
    assert list(p.sides) == ["keras", "torch", "flax"] and p.keras is builder and p.torch is builder
    assert p.input is spec and p.batch == 8 and p.extra_sides == ("flax",)
    assert p.builder_ref("flax") == f"{__name__}:flax_builder"
    q = ModelPair("q", builder, builder, spec)
    assert q.sides == {"keras": builder, "torch": builder} and q.extra_sides == ()
    assert dataclasses.replace(p, name="r").sides == p.sides  # what replace passes back is taken as declared
    assert ModelPair("s", {"keras": builder, "torch": builder, "flax": "models.pairs:spec_flax"},
                     input=spec).builder_ref("flax") == "models.pairs:spec_flax"


def _needs_flax():
    missing = [fw for fw in ("tf", "torch", "flax") if not frameworks.installed(fw)]
    if missing:
        pytest.skip(frameworks.missing_reason(missing[0]))
    frameworks.torch_first()
    from tfpt.checks import sides
    from tfpt.testing import sessions
    return sides, sessions


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("defect", [None, "conv1"])
def test_a_transposed_kernel_fails_naming_its_layer(defect):
    """Keras' conv1 kernel sent with its height and width swapped (HWIO read as WHIO): conv1 is named."""
    sides, S = _needs_flax()
    from models.pairs import SPEC
    pm = S.models(SPEC)
    arrays = None if defect is None else sides.planted(*sides.reference(SPEC, pm.keras_model), defect)
    verdict = sides.side_forward(pm, "flax", SPEC.input.batch(64), arrays)
    assert verdict.ok is (defect is None), verdict.message()
    assert defect is None or verdict.result.first_divergent.name == defect, verdict.message()


@pytest.mark.tf
@pytest.mark.torch
def test_a_flax_side_with_flax_default_epsilon_fails_naming_the_batchnorm():
    """bn-cnn's Flax side with BatchNorm epsilon 1e-5 (Flax's default; Keras' 1e-3) fails at bn1."""
    sides, S = _needs_flax()
    from models.pairs import BN_CNN, bn_cnn_flax_default_epsilon
    pair = dataclasses.replace(BN_CNN, name="bn-cnn-flax-epsilon", sides={"flax": bn_cnn_flax_default_epsilon})
    verdict = sides.side_forward(S.models(pair), "flax", pair.input.batch(64))
    assert not verdict.ok and verdict.result.first_divergent.name == "bn1", verdict.message()


@pytest.mark.tf
@pytest.mark.torch
def test_a_wrong_adam_epsilon_fails_the_step():
    """The step with epsilon 1e-3 on the Flax side (Keras' 1e-7) leaves weights beyond adam_matched."""
    sides, S = _needs_flax()
    from models.pairs import SPEC
    from tfpt.settings import STUDY
    x, y = S.batch(SPEC, 8)
    weights, _, _ = sides.side_step(S.models(SPEC), "flax", x, y, adam=STUDY.changed(epsilon=1e-3).keras_adam)
    assert not weights.ok, weights.message("weight")
