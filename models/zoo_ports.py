"""Three more real ports, as a user meets them: `keras.applications` DenseNet121, EfficientNetB0 and ConvNeXtTiny
beside `torchvision.models`' densenet121, efficientnet_b0 and convnext_tiny, random weights, 32x32 (the smallest
input both build), 10 classes.

As published (each library's defaults) the suite names every difference; made equivalent by the user's builders
alone (no monkeypatching of either library) every generic check passes with the default tolerances:

- DenseNet121: BatchNorm epsilon 1.001e-5 in Keras, 1e-5 in torchvision -> torch eps set to Keras'.
- EfficientNetB0: Keras pads each stride-2 conv (0, 1) or (1, 2) ('same' at an even size) where torchvision pads
  (1, 1) or (2, 2); BatchNorm epsilon 1e-3 vs 1e-5; Keras scales its input by 1/255 (and holds an unadapted
  Normalization, the identity as it stands) -> torch pads as Keras does (nn.ZeroPad2d before those convs), eps
  1e-3; the Keras Rescaling's scale is set to 1 (the identity, named but not material).
- ConvNeXtTiny: Keras normalises its input with ImageNet's mean and variance (include_preprocessing=True) ->
  include_preprocessing=False; torchvision drops residual branches in training (stochastic_depth_prob 0.1, Keras'
  drop_path_rate 0.0; the suite does not name it: no check compares a dropout's rate) -> stochastic_depth_prob=0.
  torchvision's blocks hold `layer_scale` as a bare parameter, traced as a step of its own (tfpt.convert.bare) and
  converted to Keras' LayerScale.

BatchNorm momentum (Keras 0.99, torchvision 0.1) is accepted: it only changes training-mode updates of the moving
statistics, which no generic check runs. Keras' published heads end in softmax: the as-published pairs declare
keras_head="softmax"; the made-equivalent ones build Keras with classifier_activation=None.
Builders import their framework when called, so this module loads with either framework alone.
"""
from __future__ import annotations

from tfpt import InputSpec, ModelPair

IMAGE = InputSpec(shape=(32, 32, 3))
BATCH = 8  # samples for the forward and gradient checks: every layer's output of both models is recorded
CLASSES = 10
MOMENTUM = {"momentum": "only training-mode updates of the moving statistics differ; every generic check runs "
                        "BatchNorm in inference mode"}


def _apps():
    from tfpt.frameworks import import_keras as keras
    return keras().applications


def _torch():
    from tfpt.frameworks import import_torch
    return import_torch()


def _vision():
    _torch()
    import torchvision
    return torchvision.models


def _epsilon(model, eps: float):
    for m in model.modules():
        if isinstance(m, _torch().nn.BatchNorm2d):
            m.eps = eps
    return model


# ------------------------------------------------------------------------------------------------- DenseNet121

def densenet121_keras(head=None):
    return _apps().DenseNet121(weights=None, input_shape=IMAGE.shape, classes=CLASSES, classifier_activation=head)


def densenet121_keras_published():
    return densenet121_keras("softmax")


def densenet121_torch():
    return _vision().densenet121(weights=None, num_classes=CLASSES)


def densenet121_torch_keras_epsilon():
    return _epsilon(densenet121_torch(), 1.001e-5)


# ---------------------------------------------------------------------------------------------- EfficientNetB0

def efficientnet_b0_keras(head=None):
    return _apps().EfficientNetB0(weights=None, input_shape=IMAGE.shape, classes=CLASSES, classifier_activation=head)


def efficientnet_b0_keras_published():
    return efficientnet_b0_keras("softmax")


def efficientnet_b0_keras_unscaled():
    """Keras' EfficientNetB0 with its Rescaling(1/255) set to scale 1 (the identity): the model takes what the
    PyTorch model takes. (A functional model cut after the Rescaling fails Keras' own graph checks when traced.)"""
    model = efficientnet_b0_keras()
    model.get_layer("rescaling").scale = 1.0
    return model


def efficientnet_b0_torch():
    return _vision().efficientnet_b0(weights=None, num_classes=CLASSES)


def efficientnet_b0_torch_keras_padding():
    """torchvision's EfficientNetB0 padding each stride-2 conv as Keras' 'same' does at an even size (k // 2 - 1
    before, k // 2 after: a ZeroPad2d, then no padding) with Keras' BatchNorm epsilon 1e-3."""
    nn = _torch().nn
    model = efficientnet_b0_torch()
    for m in list(model.modules()):
        for name, child in list(m.named_children()):
            if isinstance(child, nn.Conv2d) and child.stride == (2, 2) and child.padding != (0, 0):
                before, after = child.kernel_size[0] // 2 - 1, child.kernel_size[0] // 2
                child.padding = (0, 0)
                setattr(m, name, nn.Sequential(nn.ZeroPad2d((before, after, before, after)), child))
    return _epsilon(model, 1e-3)


# ------------------------------------------------------------------------------------------------ ConvNeXtTiny

def convnext_tiny_keras(head=None, preprocessing=False):
    return _apps().ConvNeXtTiny(weights=None, include_preprocessing=preprocessing, input_shape=IMAGE.shape,
                                classes=CLASSES, classifier_activation=head)


def convnext_tiny_keras_published():
    return convnext_tiny_keras("softmax", preprocessing=True)


def convnext_tiny_torch(stochastic_depth=0.1):
    return _vision().convnext_tiny(weights=None, num_classes=CLASSES, stochastic_depth_prob=stochastic_depth)


def convnext_tiny_torch_no_stochastic_depth():
    return convnext_tiny_torch(0.0)


def _pair(name, keras, torch, description, **kw):
    return ModelPair(name, keras, torch, IMAGE, formats=(), batch=BATCH, description=description, **kw)


DENSENET121 = _pair("densenet121", densenet121_keras, densenet121_torch_keras_epsilon,
                    "keras.applications.DenseNet121 vs torchvision densenet121 with Keras' epsilon", accept=MOMENTUM)
EFFICIENTNET_B0 = _pair("efficientnet-b0", efficientnet_b0_keras_unscaled, efficientnet_b0_torch_keras_padding,
                        "keras.applications.EfficientNetB0 with Rescaling(1) vs torchvision efficientnet_b0 with "
                        "Keras' padding and epsilon", accept=MOMENTUM)
CONVNEXT_TINY = _pair("convnext-tiny", convnext_tiny_keras, convnext_tiny_torch_no_stochastic_depth,
                      "keras.applications.ConvNeXtTiny without preprocessing vs torchvision convnext_tiny without "
                      "stochastic depth")
DENSENET121_AS_PUBLISHED = _pair("densenet121-as-published", densenet121_keras_published, densenet121_torch,
                                 "both libraries' DenseNet121 as they ship", keras_head="softmax")
EFFICIENTNET_B0_AS_PUBLISHED = _pair("efficientnet-b0-as-published", efficientnet_b0_keras_published,
                                     efficientnet_b0_torch, "both libraries' EfficientNetB0 as they ship",
                                     keras_head="softmax")
CONVNEXT_TINY_AS_PUBLISHED = _pair("convnext-tiny-as-published", convnext_tiny_keras_published, convnext_tiny_torch,
                                   "both libraries' ConvNeXtTiny as they ship", keras_head="softmax")
EQUIVALENT = (DENSENET121, EFFICIENTNET_B0, CONVNEXT_TINY)
AS_PUBLISHED = (DENSENET121_AS_PUBLISHED, EFFICIENTNET_B0_AS_PUBLISHED, CONVNEXT_TINY_AS_PUBLISHED)
