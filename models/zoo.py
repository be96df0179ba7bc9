"""Models nobody here wrote: `keras.applications` beside `torchvision.models`, random weights, a small input.

ResNet50: Keras' is ResNet v1 (the stride on each stage's first 1x1 conv, conv biases, BatchNorm epsilon
1.001e-5); torchvision's is v1.5 (the stride on the 3x3 conv, no conv bias, epsilon 1e-5). The PyTorch builder
here moves torchvision's model to Keras' settings (`resnet50_v1`: stride, bias, epsilon), so the two
compute the same function and every generic check can run; `resnet50_as_published` is torchvision's model as
it ships, whose differences the matcher names in words (equivalence/test_zoo_pairs.py).

MobileNetV2: the same architecture; Keras pads a stride-2 depthwise conv with ZeroPadding2D((0, 1), (0, 1)) +
'valid' where torchvision uses padding=1 (a real difference at even input sizes: each takes other pixels), and
its BatchNorm epsilon is 1e-3 (torchvision 1e-5). The PyTorch builder pads the same way (an nn.ZeroPad2d before
those convs) and sets epsilon to Keras'. Both pairs accept the BatchNorm momentum difference (Keras 0.99 / 0.999
vs PyTorch 0.1): it only changes training-mode updates of the moving statistics, which no generic check runs.

Builders import their framework when called, so this module loads with either framework alone.
"""
from __future__ import annotations

from tfpt import InputSpec, ModelPair

IMAGE = InputSpec(shape=(32, 32, 3))


def _keras():
    from tfpt.frameworks import import_keras as keras
    return keras()


def _torch():
    from tfpt.frameworks import import_torch
    return import_torch()


def resnet50_keras():
    return _keras().applications.ResNet50(weights=None, input_shape=IMAGE.shape, classes=10,
                                          classifier_activation=None)


def resnet50_as_published():
    import torchvision
    return torchvision.models.resnet50(weights=None, num_classes=10)


def _keras_epsilon(model, eps: float) -> None:
    """BatchNorm epsilon as Keras'. Momentum is left as torchvision's and declared accepted: it only changes
    training-mode updates of the moving statistics, and every generic check runs BatchNorm in inference mode."""
    nn = _torch().nn
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = eps


def _with_bias(conv):
    nn = _torch().nn
    new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    conv.dilation, conv.groups, bias=True)
    with _torch().no_grad():
        new.weight.copy_(conv.weight)
    return new


def resnet50_v1():
    """torchvision's ResNet50 moved to Keras' ResNet v1: each stage's stride on the first 1x1 conv, conv biases,
    BatchNorm epsilon 1.001e-5 (the stem's padding=3 is Keras' ZeroPadding2D(3) + 'valid' already; the max-pool's
    padding=1 is Keras' ZeroPadding2D(1) + MaxPooling2D on ReLU outputs, which are >= 0)."""
    nn = _torch().nn
    model = resnet50_as_published()
    for m in list(model.modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.Conv2d):
                setattr(m, child_name, _with_bias(child))
    for stage in (model.layer2, model.layer3, model.layer4):
        block = stage[0]
        block.conv1.stride, block.conv2.stride = block.conv2.stride, (1, 1)
    _keras_epsilon(model, 1.001e-5)
    return model


def mobilenet_v2_keras():
    return _keras().applications.MobileNetV2(weights=None, input_shape=IMAGE.shape, classes=10,
                                             classifier_activation=None)


def mobilenet_v2_as_published():
    import torchvision
    return torchvision.models.mobilenet_v2(weights=None, num_classes=10)


def mobilenet_v2_keras_padding():
    """torchvision's MobileNetV2 with Keras' padding on its stride-2 convs (zero pad (0, 1) after each spatial
    side + no padding: Keras' 'same' at an even size) and Keras' BatchNorm epsilon 1e-3."""
    nn = _torch().nn
    model = mobilenet_v2_as_published()
    for m in list(model.modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.Conv2d) and child.stride == (2, 2) and child.padding == (1, 1):
                child.padding = (0, 0)
                setattr(m, child_name, nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), child))
    _keras_epsilon(model, 1e-3)
    return model


MOMENTUM = {"momentum": "only training-mode updates of the moving statistics differ; every generic check runs "
                        "BatchNorm in inference mode"}
BATCH = 32  # samples for the forward and gradient checks: 256 would record ~8x the activations for no new layer

# Measured here at batch 32 (TF 2.21 / Keras 3.15, torch 2.14.1, CPU). torchvision's init grows ResNet50's
# activations to ~60 by the last stage, so float32 differences grow with them.
RESNET50_TOLERANCES = {
    "forward": {"atol": 2e-4, "rtol": 1e-5,
                "why": "torch->tf: max |Δ| 1.37e-4 at conv5_block3_1_relu, 2.2e-6 of that layer's largest value "
                       "(tf->torch: 1.3e-6)"},
    "gradient": {"atol": 0.0, "rtol": 1e-3,
                 "why": "worst tensor 2.41e-4 relative between the frameworks; PyTorch float32 against its own "
                        "float64 on the same weights: 2.41e-4"},
    "sgd_steps": {"atol": 1e-4, "rtol": 1e-6,
                  "why": "5 SGD steps, lr 0.01: max |Δ| 2.7e-5 and 5.3e-5 in two runs (CPU reductions vary)"},
}

RESNET50 = ModelPair("resnet50", resnet50_keras, resnet50_v1, IMAGE, formats=(), batch=BATCH, accept=MOMENTUM,
                     tolerances=RESNET50_TOLERANCES,
                     description="keras.applications.ResNet50 vs torchvision resnet50 moved to ResNet v1")
MOBILENET_V2 = ModelPair("mobilenet-v2", mobilenet_v2_keras, mobilenet_v2_keras_padding, IMAGE, formats=(),
                         batch=BATCH, accept=MOMENTUM,
                         description="keras.applications.MobileNetV2 vs torchvision mobilenet_v2, Keras' padding")
RESNET50_AS_PUBLISHED = ModelPair("resnet50-as-published", resnet50_keras, resnet50_as_published, IMAGE,
                                  formats=(), batch=BATCH, description="torchvision's ResNet50 v1.5 as it ships")
MOBILENET_V2_AS_PUBLISHED = ModelPair("mobilenet-v2-as-published", mobilenet_v2_keras, mobilenet_v2_as_published,
                                      IMAGE, formats=(), batch=BATCH,
                                      description="torchvision's MobileNetV2 as it ships")
