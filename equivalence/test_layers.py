"""Layer conformance: every layer's output shape and parameter count, per framework and model pair, equal the
figures derived from the framework-neutral spec (so the two frameworks equal each other)."""
import pytest

from tfpt.adapters.study import PAIRS, adapter
from tfpt.study.spec import CNN, layer_table, total_params


def _layer_cases():
    for pair, specs in PAIRS.items():
        for fw, spec in specs.items():
            for name, shape, params in layer_table(spec):
                yield pytest.param(pair, fw, name, shape, params, marks=getattr(pytest.mark, fw),
                                   id=f"{pair}-{fw}-{name}")


LAYER_CASES = list(_layer_cases())
PAIR_FW = [pytest.param(p, fw, marks=getattr(pytest.mark, fw), id=f"{p}-{fw}") for p in PAIRS for fw in PAIRS[p]]


@pytest.mark.parametrize("pair, fw, layer, shape, params", LAYER_CASES)
def test_layer_output_shape(pair, fw, layer, shape, params, mnist_batch):
    fwa = adapter(fw)
    outputs = fwa.layer_outputs(fwa.build(PAIRS[pair][fw]), mnist_batch[:4])
    assert outputs[layer].shape == (4, *shape)


@pytest.mark.parametrize("pair, fw, layer, shape, params", LAYER_CASES)
def test_layer_param_count(pair, fw, layer, shape, params):
    fwa = adapter(fw)
    assert fwa.layer_params(fwa.build(PAIRS[pair][fw]), layer) == params


@pytest.mark.parametrize("pair, fw", PAIR_FW)
def test_total_param_count(pair, fw):
    fwa = adapter(fw)
    model = fwa.build(PAIRS[pair][fw])
    assert sum(fwa.layer_params(model, name) for name in PAIRS[pair][fw].names) == total_params(PAIRS[pair][fw])


def test_spec_derivation_matches_the_study():
    """The derivation itself, checked once against the study's published per-layer counts."""
    params = {name: p for name, _, p in layer_table(CNN) if p}
    assert params == {"conv1": 832, "conv2": 51_264, "dense1": 65_600, "dense2": 650}
    assert total_params(CNN) == 118_346


@pytest.mark.parametrize("pair", PAIRS)
def test_pair_shares_every_common_layer(pair):
    """Layers present in both models of a pair have equal shapes and counts; the rest are in the differences table."""
    from models.differences import layers_only_in

    tf_rows = {n: (s, p) for n, s, p in layer_table(PAIRS[pair]["tf"])}
    torch_rows = {n: (s, p) for n, s, p in layer_table(PAIRS[pair]["torch"])}
    for name in tf_rows.keys() & torch_rows.keys():
        assert tf_rows[name] == torch_rows[name], name
    assert set(tf_rows) ^ set(torch_rows) == layers_only_in(pair)
