"""Hand-written traces for the graph matcher's tests (no framework needed): a residual block whose shortcut runs
before the main branch on one side and after it on the other, and the layouts of merges, pools and flattens."""
from __future__ import annotations

from tfpt.convert import Kind
from tfpt.match import Event


def keras_block() -> list[Event]:
    """Keras' order (keras.applications.ResNet50): the projection shortcut first, then the main branch."""
    return [Event("stem", Kind.CONV, "Conv2D", 80, (2, 8, 8, 8), "stem", inputs=()),
            Event("sc_conv", Kind.CONV, "Conv2D", 72, (2, 8, 8, 8), "sc_conv", inputs=(0,)),
            Event("sc_bn", Kind.BATCHNORM, "BatchNormalization", 32, (2, 8, 8, 8), "sc_bn", inputs=(1,)),
            Event("c1", Kind.CONV, "Conv2D", 584, (2, 8, 8, 8), "c1", inputs=(0,)),
            Event("relu1", Kind.RELU, "ReLU", 0, (2, 8, 8, 8), "relu1", inputs=(3,)),
            Event("c2", Kind.CONV, "Conv2D", 584, (2, 8, 8, 8), "c2", inputs=(4,)),
            Event("bn2", Kind.BATCHNORM, "BatchNormalization", 32, (2, 8, 8, 8), "bn2", inputs=(5,)),
            Event("add", Kind.ADD, "Add", 0, (2, 8, 8, 8), "add", inputs=(2, 6)),
            Event("gap", Kind.GLOBALAVGPOOL, "GlobalAveragePooling2D", 0, (2, 8), "gap", inputs=(7,)),
            Event("fc", Kind.DENSE, "Dense", 90, (2, 10), "fc", inputs=(8,))]


def torch_block() -> list[Event]:
    """torchvision's order: the main branch, then `downsample`, then `out += identity`; an adaptive pool's
    (N, C, 1, 1) and a flatten before the Linear."""
    return [Event("stem", Kind.CONV, "Conv2d", 80, (2, 8, 8, 8), inputs=()),
            Event("c1", Kind.CONV, "Conv2d", 584, (2, 8, 8, 8), inputs=(0,)),
            Event("relu", Kind.RELU, "ReLU", 0, (2, 8, 8, 8), inputs=(1,)),
            Event("c2", Kind.CONV, "Conv2d", 584, (2, 8, 8, 8), inputs=(2,)),
            Event("bn2", Kind.BATCHNORM, "BatchNorm2d", 32, (2, 8, 8, 8), inputs=(3,)),
            Event("down.0", Kind.CONV, "Conv2d", 72, (2, 8, 8, 8), inputs=(0,)),
            Event("down.1", Kind.BATCHNORM, "BatchNorm2d", 32, (2, 8, 8, 8), inputs=(5,)),
            Event("iadd_0", Kind.ADD, "iadd", 0, (2, 8, 8, 8), inputs=(4, 6)),
            Event("pool", Kind.GLOBALAVGPOOL, "AdaptiveAvgPool2d", 0, (2, 8, 1, 1), inputs=(7,)),
            Event("flatten_0", Kind.FLATTEN, "flatten", 0, (2, 8), inputs=(8,)),
            Event("fc", Kind.DENSE, "Linear", 90, (2, 10), inputs=(9,))]


def converter_for(keras_cls: str, torch_cls: str):
    """Any two classes of one kind convert (the kinds are checked before this is asked)."""
    return object()
