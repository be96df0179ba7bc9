"""Pair declarations are checked when they are made: each row of tests/pair_declaration_cases.py is refused with
one PairError line naming the setting; valid declarations pass and keep what was declared; `formats=()` exports
nothing; a layer_map naming layers neither traced model has is refused with the unknown names listed; a builder
returning the wrong thing is named with its pair and side on first build. Plus a property sweep over InputSpec."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tests.pair_declaration_cases import ROWS, builder
from tfpt import frameworks
from tfpt.match import Event, MatchError, check_layer_map
from tfpt.pair import EXPORT_FORMATS, InputSpec, ModelPair, PairError


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_declaration_is_one_line_naming_the_setting(row):
    with pytest.raises(PairError) as exc:
        row.kind(**row.kwargs)
    text = str(exc.value)
    assert "\n" not in text and re.search(row.message, text), text
    assert "; fix: " in text or "fix: rename" in text or "must be" in text, text


def test_a_declaration_error_names_the_line_that_declared_it():
    """Where the plugin and tfpt-convert say it failed: the caller's line, not tfpt/pair.py's (warnings-style)."""
    import inspect
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(PairError) as exc:
        ModelPair("p", builder, builder, InputSpec(shape=(4,)), tolerances={"forward": {"quantile": 2}})
    assert exc.value.where == f"{__file__}:{line}"
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(PairError) as exc:
        InputSpec(shape=0)
    assert exc.value.where == f"{__file__}:{line}"


def test_the_table_covers_every_field():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    for name in ("shape", "dtype", "layout", "low", "high", "sample", "name", "head", "input", "num-classes",
                 "layer-map", "formats"):
        assert any(name in i for i in ids), name


def test_valid_declarations_keep_what_was_declared():
    s = InputSpec(shape=[28, 28, 1], dtype=np.float32)
    assert s.shape == (28, 28, 1) and s.dtype == "float32" and s.batch(3).shape == (3, 28, 28, 1)
    tokens = InputSpec(shape=(5,), dtype="int64", low=1, high=3, torch_layout="same")
    assert set(np.unique(tokens.batch(50))) <= {1, 2}
    p = ModelPair("p", builder, builder, s, formats=["keras", "keras", "onnx-torch"])
    assert p.formats == ("keras", "onnx-torch") and p.export_formats() == ("keras", "onnx-torch")


def test_formats_empty_means_no_export_and_none_means_all():
    spec = InputSpec(shape=(4,))
    assert ModelPair("p", builder, builder, spec, formats=()).export_formats() == ()
    assert ModelPair("p", builder, builder, spec).export_formats(("keras", "onnx-tf")) == ("keras", "onnx-tf")


def test_known_formats_are_the_exporters_and_the_deployers():
    """A pair lists the formats of the frameworks in this process; the deployer also reloads those a worker writes."""
    from tfpt.deploy import FORMATS as DEPLOYABLE
    from tfpt.frameworks import REGISTRY
    workers = {f for fw in REGISTRY.values() if not fw.in_process for f in fw.formats}
    assert set(EXPORT_FORMATS) == set(DEPLOYABLE) - workers


def _ev(name, params=1, label=None):
    return Event(name, None, "Dense", params, (2, 3), label)


def test_layer_map_names_unknown_on_either_side_are_listed():
    keras, torch = [_ev("dense"), _ev("dense_1")], [_ev("fc1"), _ev("fc2")]
    check_layer_map({"dense": "fc1", "dense_1": "fc2"}, keras, torch)  # all known: passes
    with pytest.raises(MatchError) as exc:
        check_layer_map({"dense": "fc1", "conv9": "fc2", "dense_1": "head"}, keras, torch)
    text = str(exc.value)
    assert "Keras layers 'conv9' (traced: dense, dense_1)" in text
    assert "PyTorch modules 'head' (traced: fc1, fc2)" in text


class _NotAModel:
    pass


def _builder_cases():
    out = []
    for side in ("keras", "torch"):
        for got, says in ((lambda: None, r"returned None \(does the builder `return` its model\?\)"),
                          (lambda: "model", r"returned builtins\.str"),
                          (_NotAModel, r"returned tests\.test_bad_pair_declarations\._NotAModel")):
            out.append(pytest.param(side, got, says, id=f"{side}-{says.split()[1][:12]}"))
    return out


@pytest.mark.parametrize("side, returns, says", _builder_cases())
def test_builder_returning_the_wrong_thing_is_named_with_pair_and_side(side, returns, says):
    fw = "tf" if side == "keras" else "torch"
    if not frameworks.installed(fw):
        pytest.skip(frameworks.missing_reason(fw))
    p = ModelPair("wrong-builder", returns, returns, InputSpec(shape=(4,)))
    with pytest.raises(PairError) as exc:
        frameworks.get(fw).module("adapter").build(p, 0)
    assert re.search(rf"pair wrong-builder: its {side} builder {says}; expected a "
                     rf"{'keras' if side == 'keras' else 'torch'}\.\w+; fix:", str(exc.value)), str(exc.value)


def test_a_builder_returning_the_other_frameworks_model_is_named():
    if not (frameworks.installed("torch") and frameworks.installed("tf")):
        pytest.skip("needs both frameworks")
    frameworks.torch_first()
    import torch

    p = ModelPair("swapped", lambda: torch.nn.Linear(4, 2), lambda: torch.nn.Linear(4, 2), InputSpec(shape=(4,)))
    with pytest.raises(PairError, match=r"pair swapped: its keras builder returned torch\.nn\.modules\.linear\.Linear; "
                                        r"expected a keras\.Model"):
        frameworks.get("tf").module("adapter").build(p, 0)


def _dense_pair(name: str, width: int = 10, **kwargs) -> ModelPair:
    """Keras Dense(4 -> width) and torch Linear(4, width): the smallest pair whose output is `width` wide."""
    def keras_model():
        keras = frameworks.import_keras()
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(width)])

    def torch_model():
        import torch
        return torch.nn.Sequential(torch.nn.Linear(4, width))
    return ModelPair(name, keras_model, torch_model, kwargs.pop("input", InputSpec(shape=(4,))), **kwargs)


def _both():
    if not (frameworks.installed("torch") and frameworks.installed("tf")):
        pytest.skip("needs both frameworks")
    frameworks.torch_first()
    from tfpt.checks import pairs
    return pairs


def test_num_classes_is_checked_against_the_models_output_on_first_build():
    pairs = _both()
    assert pairs.build(_dense_pair("ten-wide", num_classes=10)).match.params  # the control: builds and matches
    with pytest.raises(PairError, match=r"pair five-declared: num_classes=5: expected the width of the models' "
                                        r"output, got the keras model 10, the torch model 10 values per sample; fix: "
                                        r"num_classes=10"):
        pairs.build(_dense_pair("five-declared", num_classes=5))


def test_an_input_spec_the_model_refuses_is_named():
    pairs = _both()
    with pytest.raises(PairError, match=r"pair wrong-input: its keras model failed on a batch of InputSpec\(shape="
                                        r"\(5,\), dtype='float32'\) \(ValueError: .*\); fix: make the InputSpec one "
                                        r"sample of what both models take"):
        pairs.build(_dense_pair("wrong-input", input=InputSpec(shape=(5,))))


# ------------------------------------------------------------------------------------------ property-based

_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.floats(allow_nan=True), st.text(max_size=6))


@settings(max_examples=400, deadline=None)
@given(shape=st.one_of(_values, st.lists(_values, max_size=4), st.tuples(st.integers(-2, 30), st.integers(-2, 30))),
       dtype=st.one_of(st.sampled_from(["float32", "float64", "int32", "int64", "uint8", "bool", "float33", "object",
                                        "complex64", "U3", ""]), _values),
       low=_values, high=_values, layout=st.one_of(st.sampled_from(["channels_first", "same", "NCHW"]), _values))
def test_inputspec_either_refuses_in_one_line_or_makes_batches_it_declares(shape, dtype, low, high, layout):
    try:
        s = InputSpec(shape=shape, dtype=dtype, low=low, high=high, torch_layout=layout)
    except PairError as exc:
        message = str(exc)
        s = None
    if s is None:
        assert "\n" not in message and message.startswith("InputSpec ")
        return
    x = s.batch(2, seed=0)
    assert x.shape == (2, *s.shape) and x.dtype == np.dtype(s.dtype)
    assert s.to_torch_layout(x).shape[0] == 2
