"""A Keras model holding models (a Sequential stem inside a functional model, as keras.applications' ConvNeXt
builds its stem and downsampling blocks) is looked inside: its leaf layers are matched, weighted and compared
one by one against a flat PyTorch model, with no monkeypatching of Keras."""
import pytest

from tfpt.pair import InputSpec, ModelPair

pytestmark = [pytest.mark.tf, pytest.mark.torch]


def keras_nested():
    import keras
    L = keras.layers
    stem = keras.Sequential([L.Conv2D(4, 3, name="stem_conv"), L.BatchNormalization(name="stem_bn")], name="stem")
    block = keras.Sequential([L.Conv2D(6, 3, padding="same", name="block_conv"), L.ReLU(name="block_relu")],
                             name="block")
    inp = keras.Input((10, 10, 3))
    out = L.Dense(5, name="head")(L.Flatten(name="flat")(block(L.ReLU(name="relu")(stem(inp)))))
    return keras.Model(inp, out)


def torch_flat(eps: float = 1e-3):
    import torch
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, eps=eps), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1),
                         nn.ReLU(), nn.Flatten(), nn.Linear(6 * 8 * 8, 5))


NESTED = ModelPair("nested-stem", keras_nested, torch_flat, InputSpec(shape=(10, 10, 3)), num_classes=5)


@pytest.mark.parametrize("direction", ["tf->torch", "torch->tf"])
def test_the_layers_inside_sub_models_are_matched_and_agree(direction):
    from tfpt.checks import pairs as P
    pm = P.shared(NESTED, direction)
    assert [k.name for k, _, _ in pm.match.params] == ["stem_conv", "stem_bn", "block_conv", "head"]
    result = P.compare_forward(pm, NESTED.input.batch(32))
    assert result.ok and {"stem_conv", "stem_bn", "block_conv", "head"} <= {r.name for r in result.rows}, result


def test_a_difference_inside_a_sub_model_is_named_at_its_layer():
    from tfpt import differences
    other = ModelPair("nested-eps", keras_nested, lambda: torch_flat(eps=1e-5), NESTED.input, num_classes=5)
    eps = [d for d in differences(other) if d.field == "epsilon"]
    assert [d.keras_layer for d in eps] == ["stem_bn"] and eps[0].material, eps
    assert not [d for d in differences(NESTED) if d.field == "epsilon"]  # the control: epsilons alike
