"""The weight-converter registry: each built-in converter on a real Keras layer and its PyTorch module (forward
agreement within the 'forward' tolerance, bit-for-bit round trips, gradients in Keras' layout), the config
differences it reports, and negative controls that must fail and name the layer."""
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import pytest

from tests.layer_cases import BY_ID, CASES, SwappedGatesLSTM, build, load_torch, outputs, torch_random
from tfpt import convert
from tfpt.compare import assert_close
from tfpt.convert import Context, ConversionError, Converter, LayerRecord, find, kind_of
from tfpt.tolerances import tol

both = [pytest.mark.tf, pytest.mark.torch]
ids = [case.id for case in CASES]


@pytest.fixture
def rng(seed):
    return np.random.default_rng(seed)


def bitwise_equal(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(a[n].dtype == b[n].dtype and np.array_equal(a[n], b[n]) for n in a)


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.tf
@pytest.mark.torch
def test_keras_to_torch_forward_agrees(case, rng, measurements):
    b = build(case, rng)
    assert b.converter is not None, f"no converter for {b.k.cls} <-> {b.t.cls}"
    assert [d for d in b.converter.differences(b.k, b.t, case.ctx) if d.material] == []
    load_torch(b)
    result = assert_close(*outputs(b), tol("forward"))
    measurements[f"converter {case.id}"] = result.max_abs


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.tf
@pytest.mark.torch
def test_keras_torch_keras_round_trip_is_bitwise(case, rng):
    from tfpt.frameworks.torch.layers import torch_record
    b = build(case, rng)
    load_torch(b)
    back = b.converter.to_keras(torch_record(case.id, b.module), b.k, case.ctx)  # through the module's tensors
    assert bitwise_equal(dict(b.k.weights), dict(back))


# LSTM: two torch biases, one Keras bias (tested below); no-scale BN: torch's weight must be all ones (below).
EXACT_BACK = [c for c in CASES if c.id not in ("lstm", "batchnorm1d-noscale")]


@pytest.mark.parametrize("case", EXACT_BACK, ids=[c.id for c in EXACT_BACK])
@pytest.mark.tf
@pytest.mark.torch
def test_torch_keras_torch_round_trip_is_bitwise(case, rng):
    b = build(case, rng)
    t = torch_random(b, rng)
    keras_w = b.converter.to_keras(t, b.k, case.ctx)
    assert bitwise_equal(dict(t.weights), dict(b.converter.to_torch(replace(b.k, weights=keras_w), t, case.ctx)))


@pytest.mark.tf
@pytest.mark.torch
def test_lstm_torch_keras_torch_keeps_the_bias_sum_and_the_outputs(rng):
    """Keras has one bias where torch has two: the way back gives (b_ih + b_hh, 0), which computes the same."""
    from tfpt.frameworks.keras.layers import keras_record, set_keras_weights
    from tfpt.frameworks.torch.layers import set_torch_weights
    b = build(BY_ID["lstm"], rng)
    t = torch_random(b, rng)
    set_torch_weights(b.module, t.weights)
    set_keras_weights(b.layer, b.converter.to_keras(t, b.k))
    back = b.converter.to_torch(keras_record(b.layer), t)
    assert np.array_equal(back["bias_ih_l0"], t.weights["bias_ih_l0"] + t.weights["bias_hh_l0"])
    assert not back["bias_hh_l0"].any()
    assert bitwise_equal({n: t.weights[n] for n in ("weight_ih_l0", "weight_hh_l0")},
                         {n: back[n] for n in ("weight_ih_l0", "weight_hh_l0")})
    assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_batchnorm_without_scale_takes_only_a_unit_torch_weight(rng):
    b = build(BY_ID["batchnorm1d-noscale"], rng)
    t = torch_random(b, rng)
    with pytest.raises(ConversionError, match=r"BatchNormalization 'batch_normalization.*' <-> BatchNorm1d "
                                              r"'batchnorm1d-noscale': torch weight == 1 everywhere.*fix: "):
        b.converter.to_keras(t, b.k)
    t = replace(t, weights=OrderedDict(t.weights, weight=np.ones_like(t.weights["weight"])))
    keras_w = b.converter.to_keras(t, b.k)
    assert list(keras_w) == ["beta", "moving_mean", "moving_variance"]
    assert bitwise_equal(dict(t.weights), dict(b.converter.to_torch(replace(b.k, weights=keras_w), t)))


@pytest.mark.parametrize("case_id", ["conv2d-stride2-same", "depthwise", "dense-after-flatten-chw", "batchnorm2d",
                                     "layernorm", "embedding", "lstm", "gru"])
@pytest.mark.tf
@pytest.mark.torch
def test_gradients_in_keras_layout_agree(case_id, rng, measurements):
    from tests.layer_cases import keras_input, torch_input
    from tfpt.frameworks import import_tf, import_torch
    from tfpt.frameworks.keras.layers import short_name
    case, torch, tf = BY_ID[case_id], import_torch(), import_tf()
    b = build(case, rng)
    load_torch(b)
    with tf.GradientTape() as tape:
        y = b.layer(keras_input(b), training=False)
        w = rng.standard_normal(tuple(y.shape)).astype(np.float32)  # the loss is sum(y * w), in Keras' layout
        loss = tf.reduce_sum(y * w)
    grads = tape.gradient(loss, b.layer.trainable_weights)
    keras_g = {short_name(v): tf.convert_to_tensor(g).numpy()
               for v, g in zip(b.layer.trainable_weights, grads, strict=True)}
    out = b.module(torch_input(case, b.x))
    out = out[0] if case.layout == "rnn" else out
    out = out.permute(0, *range(2, out.ndim), 1) if case.layout == "channels_last" else out
    (out * torch.from_numpy(w)).sum().backward()
    torch_g = {n: p.grad.numpy() for n, p in b.module.named_parameters()}
    converted = b.converter.grads_to_keras(torch_g, b.k, b.t, case.ctx)
    rel = {n: float(np.linalg.norm(converted[n] - g) / np.linalg.norm(g)) for n, g in keras_g.items()}
    measurements[f"converter gradient relative error {case_id}"] = rel
    assert max(rel.values()) <= tol("gradient").rtol, f"{b.k.name}: relative gradient errors {rel}"


@pytest.mark.tf
@pytest.mark.torch
def test_dense_without_flatten_permutation_fails_and_names_the_layer(rng):
    b = build(BY_ID["dense-after-flatten-chw"], rng)
    load_torch(b, ctx=Context())  # the defect: the Flatten permutation forgotten
    with pytest.raises(AssertionError, match=r"first divergent layer: dense.* <-> dense-after-flatten-chw"):
        assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_batchnorm_epsilon_mismatch_is_material_and_fails(rng):
    b = build(BY_ID["batchnorm2d"], rng, keras_overrides={"epsilon": 1e-3})
    diffs = {d.field: d for d in b.converter.differences(b.k, b.t)}
    assert diffs["epsilon"].material and (diffs["epsilon"].keras, diffs["epsilon"].torch) == (1e-3, 1e-5)
    load_torch(b)
    with pytest.raises(AssertionError, match=r"first divergent layer: batch_normalization.* <-> batchnorm2d"):
        assert_close(*outputs(b), tol("forward"))


@pytest.mark.tf
@pytest.mark.torch
def test_lstm_with_swapped_gates_fails_and_names_the_layer(rng):
    b = build(BY_ID["lstm"], rng)
    load_torch(b, converter=SwappedGatesLSTM())
    with pytest.raises(AssertionError, match=r"first divergent layer: lstm.* <-> lstm"):
        assert_close(*outputs(b), tol("forward"))


def conv_records(k_cfg: dict, t_cfg: dict):
    f32 = np.float32
    k = LayerRecord("tf", "conv", "Conv2D", {"kernel_size": (3, 3), "strides": (1, 1), "padding": "valid",
                                             "dilation_rate": (1, 1), "groups": 1, "use_bias": True, **k_cfg},
                    OrderedDict(kernel=np.zeros((3, 3, 3, 6), f32), bias=np.zeros(6, f32)))
    t = LayerRecord("torch", "features.0", "Conv2d", {"kernel_size": (3, 3), "stride": (1, 1), "padding": (0, 0),
                                                      "dilation": (1, 1), "groups": 1, "use_bias": True, **t_cfg},
                    OrderedDict(weight=np.zeros((6, 3, 3, 3), f32), bias=np.zeros(6, f32)))
    return k, t


@pytest.mark.parametrize("k_cfg, t_cfg, ctx, material", [
    ({"padding": "same"}, {"padding": (1, 1)}, Context(), []),
    ({"padding": "same"}, {"padding": "same"}, Context(), []),
    ({"padding": "same", "strides": (2, 2)}, {"padding": (0, 0), "stride": (2, 2)},
     Context(pad_before=((0, 1), (0, 1))), []),
    ({"padding": "same", "strides": (2, 2)}, {"padding": (1, 1), "stride": (2, 2)}, Context(), ["padding"]),
    ({"padding": "same", "strides": (2, 2)}, {"padding": (1, 1), "stride": (2, 2)},
     Context(input_spatial=(7, 7)), []),  # odd input: TF pads (1, 1) too
    ({"dilation_rate": (2, 2), "groups": 3}, {}, Context(), ["dilation", "groups"]),
    ({"use_bias": False}, {"padding_mode": "reflect"}, Context(), ["padding_mode", "use_bias"]),
], ids=["same-s1-symmetric", "same-s1-torch-same", "same-s2-zeropad", "same-s2-symmetric", "same-s2-odd-input",
        "dilation-groups", "bias-padding-mode"])
def test_conv_differences(k_cfg, t_cfg, ctx, material):
    k, t = conv_records(k_cfg, t_cfg)
    diffs = find("Conv2D", "Conv2d").differences(k, t, ctx)
    assert sorted(d.field for d in diffs if d.material) == material
    if "padding" in material:
        assert "ZeroPad2d" in next(d.note for d in diffs if d.field == "padding")


def rnn_records(cls: str, k_cfg: dict, t_cfg: dict, gates: int):
    f32, h = np.float32, 2
    k = LayerRecord("tf", "rnn", cls, {"activation": "tanh", "recurrent_activation": "sigmoid", **k_cfg},
                    OrderedDict(kernel=np.zeros((3, gates * h), f32), recurrent_kernel=np.zeros((h, gates * h), f32)))
    t = LayerRecord("torch", "rnn", cls, {"num_layers": 1, "bidirectional": False, "batch_first": True, "proj_size": 0,
                                          "use_bias": False, **t_cfg},
                    OrderedDict(weight_ih_l0=np.zeros((gates * h, 3), f32), weight_hh_l0=np.zeros((gates * h, h), f32)))
    return k, t


@pytest.mark.parametrize("cls, k_cfg, t_cfg, gates, message", [
    ("GRU", {"reset_after": False}, {}, 3, r"GRU 'rnn' <-> GRU 'rnn': reset_after=True .*fix: build the Keras GRU with "
                                          r"reset_after=True"),
    ("LSTM", {}, {"num_layers": 2}, 4, r"LSTM 'rnn' <-> LSTM 'rnn': a single-layer.*num_layers=2.*fix: "),
    ("LSTM", {"activation": "relu"}, {}, 4, r"activation='tanh' .*got 'relu'"),
], ids=["gru-reset-after-false", "lstm-two-layers", "lstm-relu"])
def test_pairs_torch_cannot_express_are_conversion_errors(cls, k_cfg, t_cfg, gates, message):
    k, t = rnn_records(cls, k_cfg, t_cfg, gates)
    with pytest.raises(ConversionError, match=message):
        find(cls, cls).differences(k, t)
    with pytest.raises(ConversionError, match=message):
        find(cls, cls).to_torch(k, t)


def test_batchnorm_momentum_maps_to_one_minus():
    bn = find("BatchNormalization", "BatchNorm2d")
    k = LayerRecord("tf", "bn", "BatchNormalization", {"momentum": 0.99, "epsilon": 1e-5})
    matched = LayerRecord("torch", "bn", "BatchNorm2d", {"momentum": 0.01, "eps": 1e-5})
    assert bn.differences(k, matched) == []
    (diff,) = bn.differences(k, replace(matched, config={"momentum": 0.1, "eps": 1e-5}))
    assert (diff.field, diff.material) == ("momentum", True) and "momentum=0.01" in diff.note


def test_converter_output_is_checked_against_the_target_record():
    k, t = conv_records({}, {})
    wrong = replace(t, weights=OrderedDict(weight=np.zeros((6, 3, 5, 5), np.float32), bias=t.weights["bias"]))
    with pytest.raises(ConversionError, match=r"Conv2D 'conv' <-> Conv2d 'features.0': torch weight of shape "
                                              r"\(6, 3, 5, 5\), converted \(6, 3, 3, 3\); fix: "):
        find("Conv2D", "Conv2d").to_torch(k, wrong)


@pytest.mark.parametrize("framework, name, kind", [
    ("tf", "Conv2D", "conv"), ("torch", "Conv1d", "conv"), ("tf", "DepthwiseConv2D", "conv"),
    ("tf", "Dense", "dense"), ("torch", "Linear", "dense"), ("tf", "BatchNormalization", "batchnorm"),
    ("torch", "BatchNorm1d", "batchnorm"), ("torch", "LayerNorm", "layernorm"), ("tf", "Embedding", "embedding"),
    ("torch", "LSTM", "lstm"), ("tf", "GRU", "gru"), ("torch", "max_pool2d", "maxpool"),
    ("tf", "MaxPooling2D", "maxpool"), ("torch", "avg_pool2d", "avgpool"), ("torch", "relu_", "relu"),
    ("torch", "torch.nn.functional.relu", "relu"), ("tf", "ReLU", "relu"), ("torch", "flatten", "flatten"),
    ("torch", "view", "reshape"), ("torch", "reshape", "reshape"), ("tf", "Reshape", "reshape"),
    ("torch", "dropout", "dropout"), ("tf", "Dropout", "dropout"), ("torch", "softmax", "softmax"),
    ("torch", "pad", "pad"), ("torch", "ZeroPad2d", "pad"), ("tf", "Activation", "activation"),
    ("torch", "Sigmoid", "activation"), ("keras", "Flatten", "flatten"), ("torch", "NoSuchThing", None),
])
def test_kind_of_names_both_frameworks(framework, name, kind):
    assert kind_of(framework, name) == kind


def test_kind_of_takes_classes_and_functions_and_rejects_unknown_frameworks():
    def max_pool2d(x):  # a stand-in with the functional op's name
        return x

    class Conv2d:
        pass

    assert (kind_of("torch", max_pool2d), kind_of("torch", Conv2d), kind_of("torch", Conv2d())) == \
        ("maxpool", "conv", "conv")
    assert convert.needs_converter("conv") and not convert.needs_converter("relu")
    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        kind_of("jax", "Dense")


def test_registry_takes_user_converters_latest_first():
    class Mine(Converter):
        name, keras_classes, torch_classes = "mine", ("Dense",), ("Linear",)

        def _to_torch(self, k, t, ctx):
            return {"weight": k.weights["kernel"].T * 2}

    builtin = find("Dense", "Linear")
    mine = convert.register(Mine())
    try:
        assert find("Dense", "Linear") is mine and convert.converters()[0] is mine
        k = LayerRecord("tf", "d", "Dense", {}, OrderedDict(kernel=np.ones((2, 3), np.float32)))
        t = LayerRecord("torch", "fc", "Linear", {}, OrderedDict(weight=np.zeros((3, 2), np.float32)))
        assert (convert.converter_for(k, t).to_torch(k, t)["weight"] == 2).all()
    finally:
        convert.unregister(mine)
    assert find("Dense", "Linear") is builtin and find("Dense", "Conv2d") is None
    with pytest.raises(ConversionError, match=r"Dense 'd' <-> Conv2d 'c': a registered converter for this pair"):
        convert.converter_for(LayerRecord("tf", "d", "Dense"), LayerRecord("torch", "c", "Conv2d"))
    with pytest.raises(ValueError, match="needs a name"):
        convert.register(Converter())


@pytest.mark.tf
@pytest.mark.torch
def test_adapters_refuse_wrong_names_shapes_and_dtypes(rng):
    from tfpt.frameworks.keras.layers import set_keras_weights
    from tfpt.frameworks.torch.layers import set_torch_weights, torch_record
    b = build(BY_ID["batchnorm2d"], rng)
    assert list(b.k.weights) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert list(b.t.weights) == ["weight", "bias", "running_mean", "running_var"]  # no num_batches_tracked
    assert (b.t.config["eps"], b.t.config["momentum"], b.k.config["epsilon"]) == (1e-5, 0.1, 1e-5)
    good = dict(b.t.weights)
    with pytest.raises(ValueError, match=r"BatchNorm2d: weight has shape \(5,\), got \(4,\)"):
        set_torch_weights(b.module, {**good, "weight": np.zeros(4, np.float32)})
    with pytest.raises(ValueError, match=r"BatchNorm2d: bias is torch.float32, got torch.float64"):
        set_torch_weights(b.module, {**good, "bias": np.zeros(5)})
    with pytest.raises(ValueError, match=r"holds weights \['beta', 'gamma', .*got \['gamma'\]"):
        set_keras_weights(b.layer, {"gamma": np.ones(5, np.float32)})
    assert torch_record("x", b.module).config["use_bias"] is True
