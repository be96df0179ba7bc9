"""Per-pair control: a pair's tolerance overrides, sample batch, export formats and accepted differences, each
validated where it is declared (one line naming the fix) and reaching the checks; differences as records."""
import numpy as np
import pytest

from tfpt.compare import compare
from tfpt.convert import Difference
from tfpt.convert.named import record, unaccepted_message, with_accepted
from tfpt.pair import DEFAULT_BATCH, InputSpec, ModelPair, PairError
from tfpt.tolerances import Tol, tol


def builder():
    return None


def pair(**kwargs) -> ModelPair:
    return ModelPair("p", builder, builder, InputSpec(shape=(4,)), **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"tolerances": {"gradeint": {"rtol": 1e-4}}}, r"tolerances key 'gradeint': expected a kind of the tolerance "
                                                   r"table \(forward, .*gradient.*fix: use one of those names"),
    ({"tolerances": {"gradient": {"rtl": 1e-4}}}, r"tolerances\['gradient'\]=.*expected a tfpt.tolerances.Tol or a "
                                                  r"dict of atol, rtol, quantile, why.*fix: e.g."),
    ({"tolerances": {"gradient": {"rtol": -1.0}}}, r"numbers >= 0"),
    ({"tolerances": [("gradient", 1e-4)]}, r"tolerances=\[.*\]: expected a dict of kind -> overrides; fix:"),
    ({"tolerances": {"float16/forward": {"atol": 1e-3}}}, r"tolerances key 'float16/forward'"),
    ({"batch": 0}, r"batch=0: expected a whole number >= 1 .*fix: e.g. batch=32"),
    ({"batch": 8.0}, r"batch=8.0: expected a whole number"),
    ({"accept": {"epsilon": ""}}, r"accept=.*expected a dict of difference -> why it is accepted.*fix:"),
    ({"accept": ["epsilon"]}, r"accept=\['epsilon'\]: expected a dict"),
])
def test_bad_control_declarations_are_one_line_naming_the_fix(kwargs, message):
    with pytest.raises(PairError, match=message) as exc:
        pair(**kwargs)
    assert "\n" not in str(exc.value)


def test_tolerance_overrides_merge_into_the_table_and_are_reported_beside_it():
    p = pair(tolerances={"gradient": {"rtol": 2e-4, "why": "BatchNorm: torch f32 vs f64 1.5e-4"},
                         "bfloat16/forward": Tol(atol=1e-2, rtol=0.0, why="mine")})
    assert p.tolerance("gradient").rtol == 2e-4 and p.tolerance("gradient").norm  # the table's other fields kept
    assert p.tolerance("forward") == tol("forward") and p.tolerance("forward", "bfloat16").atol == 1e-2
    assert p.tolerance("gradient").kind == ""  # not the table's entry: the tightness gate does not count it
    assert p.tolerance_overrides()["gradient"] == {"pair": "atol 0, rtol 0.0002", "table": "atol 0, rtol 1e-05",
                                                   "why": "BatchNorm: torch f32 vs f64 1.5e-4"}


def test_batch_and_formats_defaults_and_overrides():
    assert pair().sample_batch == DEFAULT_BATCH and pair(batch=16).sample_batch == 16
    assert pair(formats=()).export_formats() == () and len(pair().export_formats()) == 7


def test_sessions_batch_and_exports_follow_the_pair():
    from tfpt.testing import sessions as S
    p = ModelPair("p", builder, builder, InputSpec(shape=(3,)), batch=12, formats=())
    x, y = S.batch(p)
    assert x.shape == (12, 3) and y.shape == (12,)
    assert S.deployed(p, "/nonexistent-never-written") == {}  # formats=(): nothing exported, no folder made


def diffs():
    return [record("bn1", "1", "BatchNormalization", "BatchNorm2d",
                   Difference("epsilon", 1.001e-5, 1e-5, True, "build the torch module with eps=1.001e-05")),
            record("conv1", "0", "Conv2D", "Conv2d", Difference("use_bias", True, False, True, "bias=True")),
            record("conv1", "0", "Conv2D", "Conv2d", Difference("data_format", "a", "b", False, ""))]


def test_differences_read_as_a_porter_writes_them():
    eps, bias, _ = diffs()
    assert eps.what == "BatchNorm epsilon 1.001e-05 vs 1e-05" and eps.key == "bn1:epsilon"
    assert bias.what == "bias present in Keras, absent in PyTorch"
    assert str(eps) == "Keras bn1 (BatchNormalization) vs PyTorch 1 (BatchNorm2d): BatchNorm epsilon 1.001e-05 " \
                       "vs 1e-05; fix: build the torch module with eps=1.001e-05"


def test_accepted_differences_let_the_check_pass_and_unaccepted_ones_are_named():
    records, unused = with_accepted(diffs(), {"epsilon": "Keras ResNet50 uses 1.001e-5", "conv1:use_bias": "v1"})
    assert unused == [] and unaccepted_message("p", records, unused) == ""
    assert "(accepted: Keras ResNet50 uses 1.001e-5)" in str(records[0])
    records, unused = with_accepted(diffs(), {})  # the declarations removed: each material difference named
    message = unaccepted_message("p", records, unused)
    assert "BatchNorm epsilon 1.001e-05 vs 1e-05" in message and "bias present in Keras" in message
    assert "data_format" not in message  # informational, not material


def test_an_accept_entry_matching_nothing_is_named_with_the_keys_there_are():
    records, unused = with_accepted(diffs(), {"bn1:momentum": "typo"})
    assert unused == ["bn1:momentum"]
    assert "accept names 'bn1:momentum', which matches no difference of this pair (its differences: bn1:epsilon" \
        in unaccepted_message("p", records, unused)


def test_relative_error_is_capped_where_the_reference_is_about_zero():
    result = compare({"a": np.array([1e-300, 1.0])}, {"a": np.array([0.3, 1.0])}, tol("forward"))
    assert not result.ok and result.rows[0].max_rel == pytest.approx(0.3 / tol("forward").atol)


def test_a_users_run_writes_the_figures_file_only_where_asked(tmp_path):
    from pathlib import Path

    from tfpt.plugin.session import figures_folder
    assert figures_folder(tmp_path, {}) is None  # a user's folder: printed, not written
    assert figures_folder(tmp_path, {"TFPT_FIGURES_DIR": str(tmp_path / "f")}) == tmp_path / "f"
    checkout = Path(__file__).resolve().parent.parent
    assert figures_folder(checkout, {}) == checkout / "reports"  # this project's own runs feed its report


@pytest.mark.tf
@pytest.mark.torch
def test_a_gradient_within_float32s_own_error_passes_any_tolerance_with_its_figures():
    """Declared rtol 1e-12: every gradient differs by more, and each framework's own float32 error (its float64
    twin on the same weights and batch) covers it; the figures say so."""
    from dataclasses import replace

    from models.pairs import MLP_LN
    from tfpt.testing import pair_checks
    tight = replace(MLP_LN, name="mlp-ln-tight", batch=32, tolerances={"gradient": {"rtol": 1e-12, "why": "control"}})
    measurements: dict = {}
    pair_checks.test_gradients(tight, measurements)
    own = measurements["pair mlp-ln-tight gradient relative error own float32 error"]
    assert own["entries"] == 6 and 0 < own["ratio"] <= 1 + 1e-9 and own["zero_by_construction"] == [], own
