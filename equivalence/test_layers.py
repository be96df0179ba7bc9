"""Layer conformance: every layer's output shape and parameter count, per framework and model pair, equal the
figures derived from the framework-neutral spec (so the two frameworks equal each other)."""
import pytest

from tfpt.frameworks import KERAS_SIDE, TORCH_SIDE, get, native
from tfpt.spec import CNN, MODELS, layer_table, model_spec, total_params


def _layer_cases():
    for pair in MODELS:
        for fw in native():
            for name, shape, params in layer_table(model_spec(pair, fw.id)):
                yield pytest.param(pair, fw.id, name, shape, params, marks=getattr(pytest.mark, fw.id),
                                   id=f"{pair}-{fw.id}-{name}")


LAYER_CASES = list(_layer_cases())
PAIR_FW = [pytest.param(p, fw.id, marks=getattr(pytest.mark, fw.id), id=f"{p}-{fw.id}")
           for p in MODELS for fw in native()]


@pytest.mark.parametrize("pair, fw, layer, shape, params", LAYER_CASES)
def test_layer_output_shape(pair, fw, layer, shape, params, mnist_batch):
    fwa = get(fw).module("cnn")
    outputs = fwa.layer_outputs(fwa.build(model_spec(pair, fw)), mnist_batch[:4])
    assert outputs[layer].shape == (4, *shape)


@pytest.mark.parametrize("pair, fw, layer, shape, params", LAYER_CASES)
def test_layer_param_count(pair, fw, layer, shape, params):
    fwa = get(fw).module("cnn")
    assert fwa.layer_params(fwa.build(model_spec(pair, fw)), layer) == params


@pytest.mark.parametrize("pair, fw", PAIR_FW)
def test_total_param_count(pair, fw):
    fwa, spec = get(fw).module("cnn"), model_spec(pair, fw)
    model = fwa.build(spec)
    assert sum(fwa.layer_params(model, name) for name in spec.names) == total_params(spec)


def test_spec_derivation_matches_the_study():
    """The derivation itself, checked once against the study's published per-layer counts."""
    params = {name: p for name, _, p in layer_table(CNN) if p}
    assert params == {"conv1": 832, "conv2": 51_264, "dense1": 65_600, "dense2": 650}
    assert total_params(CNN) == 118_346


@pytest.mark.parametrize("pair", MODELS)
def test_pair_shares_every_common_layer(pair):
    """Layers present in both models of a pair have equal shapes and counts; the rest are in the differences table."""
    from models.differences import layers_only_in

    keras_rows = {n: (s, p) for n, s, p in layer_table(MODELS[pair][KERAS_SIDE])}
    torch_rows = {n: (s, p) for n, s, p in layer_table(MODELS[pair][TORCH_SIDE])}
    for name in keras_rows.keys() & torch_rows.keys():
        assert keras_rows[name] == torch_rows[name], name
    assert set(keras_rows) ^ set(torch_rows) == layers_only_in(pair)
