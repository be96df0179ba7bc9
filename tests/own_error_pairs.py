"""Small model pairs for the own-error tests (tests/test_own_error.py): equivalent pairs whose float32 rounding
exceeds the table's fixed tolerances (a deep conv + BatchNorm stack, a 4-channel conv + LayerNorm, a BatchNorm
pair, the transformer block with no tolerance declared), and pairs with one real difference each (GELU tanh vs
erf, BatchNorm epsilon 1e-3 vs 1e-5, a missing bias). Builders import their framework when called."""
from __future__ import annotations

import dataclasses

from tfpt import InputSpec, ModelPair

IMAGE = InputSpec(shape=(16, 16, 3))
FEATURES = InputSpec(shape=(32,))


def _keras():
    from tfpt.frameworks import import_keras as keras
    return keras()


def _nn():
    from tfpt.frameworks import import_torch
    return import_torch().nn


def deep_keras(blocks: int = 20, width: int = 8):
    k = _keras()
    L = k.layers
    layers = [k.Input(IMAGE.shape)]
    for i in range(blocks):
        layers += [L.Conv2D(width, 3, padding="same", name=f"conv{i}"), L.BatchNormalization(name=f"bn{i}"),
                   L.ReLU(name=f"relu{i}")]
    return k.Sequential([*layers, L.GlobalAveragePooling2D(name="pool"), L.Dense(10, name="head")])


def deep_torch(blocks: int = 20, width: int = 8):
    nn = _nn()
    layers = []
    for i in range(blocks):
        layers += [nn.Conv2d(3 if i == 0 else width, width, 3, padding=1), nn.BatchNorm2d(width, eps=1e-3),
                   nn.ReLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))


DEEP = ModelPair("deep-conv-bn", deep_keras, deep_torch, IMAGE, batch=16, formats=(),
                 accept={"momentum": "training-mode statistics only"})


LN_EPSILON = 1e-6


def conv_ln_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(IMAGE.shape), L.Conv2D(4, 3, name="conv"),
                         L.LayerNormalization(epsilon=LN_EPSILON, name="ln"), L.Conv2D(8, 3, name="conv2"),
                         L.LayerNormalization(epsilon=LN_EPSILON, name="ln2"), L.Flatten(name="flat"),
                         L.Dense(10, name="head")])


def conv_ln_torch():
    from tfpt.frameworks.torch.blocks import LayerNorm2d
    nn = _nn()
    return nn.Sequential(nn.Conv2d(3, 4, 3), LayerNorm2d(4, eps=LN_EPSILON), nn.Conv2d(4, 8, 3),
                         LayerNorm2d(8, eps=LN_EPSILON), nn.Flatten(), nn.Linear(8 * 12 * 12, 10))


CONV_LN = ModelPair("conv-ln", conv_ln_keras, conv_ln_torch, IMAGE, batch=16, formats=())


def bn_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(FEATURES.shape), L.Dense(64, name="fc1"), L.BatchNormalization(name="bn"),
                         L.ReLU(name="relu"), L.Dense(10, name="head")])


def bn_torch(eps: float = 1e-3):
    nn = _nn()
    return nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64, eps=eps), nn.ReLU(), nn.Linear(64, 10))


BN = ModelPair("bn-pair", bn_keras, bn_torch, FEATURES, batch=16, formats=(),
               accept={"momentum": "training-mode statistics only"})
BN_EPSILON = dataclasses.replace(BN, name="bn-epsilon", torch=lambda: bn_torch(1e-5),
                                 accept={"momentum": "training-mode statistics only",
                                         "epsilon": "the defect under test"})


def gelu_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(FEATURES.shape), L.Dense(64, activation="gelu", name="fc1"),
                         L.Dense(10, name="head")])


def gelu_torch(approximate: str = "none"):
    nn = _nn()
    return nn.Sequential(nn.Linear(32, 64), nn.GELU(approximate=approximate), nn.Linear(64, 10))


GELU = ModelPair("gelu", gelu_keras, gelu_torch, FEATURES, batch=16, formats=())
GELU_TANH = dataclasses.replace(GELU, name="gelu-tanh", torch=lambda: gelu_torch("tanh"))


def no_bias_torch():
    nn = _nn()
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10, bias=False))


def relu_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(FEATURES.shape), L.Dense(64, activation="relu", name="fc1"),
                         L.Dense(10, name="head")])


NO_BIAS = ModelPair("no-bias", relu_keras, no_bias_torch, FEATURES, batch=16, formats=(),
                    accept={"use_bias": "the defect under test"})


# ------------------------------------------------- models nobody here wrote (slow: tens of seconds each)

ZOO_IMAGE = InputSpec(shape=(64, 64, 3))
MOMENTUM = {"momentum": "Keras 0.99 vs PyTorch 0.1 changes only training-mode statistics, which no check runs"}


def densenet121_keras():
    return _keras().applications.DenseNet121(weights=None, input_shape=ZOO_IMAGE.shape, classes=10,
                                             classifier_activation=None)


def densenet121_torch():
    import torchvision
    model = torchvision.models.densenet121(weights=None, num_classes=10)
    for m in model.modules():
        if isinstance(m, _nn().BatchNorm2d):
            m.eps = 1.001e-5  # Keras' DenseNet epsilon
    return model


def vgg16_keras():
    return _keras().applications.VGG16(weights=None, input_shape=ZOO_IMAGE.shape, classes=10,
                                       classifier_activation=None)


def vgg16_torch():
    """torchvision's VGG16 at 64x64 as Keras builds it: no adaptive pooling to 7x7 (Keras flattens the 2x2x512
    features as they are), so the first classifier layer takes 2,048 inputs."""
    import torchvision
    nn = _nn()
    model = torchvision.models.vgg16(weights=None, num_classes=10)
    model.avgpool = nn.Identity()
    model.classifier[0] = nn.Linear(512 * 2 * 2, 4096)
    return model


DENSENET121 = ModelPair("densenet121", densenet121_keras, densenet121_torch, ZOO_IMAGE, batch=8, formats=(),
                        accept=MOMENTUM)
VGG16 = ModelPair("vgg16", vgg16_keras, vgg16_torch, ZOO_IMAGE, batch=8, formats=())
