"""Small model pairs for the layout and difference tests (tests/test_layouts.py, tests/test_differences_in_words.py):
a body between the input and a Flatten -> Dense(10) head, each side given as a function of its framework's module,
so builders import their framework when called."""
from __future__ import annotations

from tfpt import InputSpec, ModelPair


def keras():
    from tfpt.frameworks import import_keras as _keras
    return _keras()


def torch():
    from tfpt.frameworks import import_torch
    return import_torch()


def pair(name, keras_body, torch_body, shape=(8, 8, 3), width=256, head=True, **kw) -> ModelPair:
    """Keras: Input -> keras_body(keras.layers) [-> Flatten -> Dense(10)]; PyTorch: torch_body(torch.nn)
    [-> Flatten -> Linear(width, 10)]."""
    def keras_model():
        k = keras()
        tail = [k.layers.Flatten(), k.layers.Dense(10)] if head else []
        return k.Sequential([k.Input(shape), *keras_body(k.layers), *tail])

    def torch_model():
        nn = torch().nn
        tail = [nn.Flatten(), nn.Linear(width, 10)] if head else []
        return nn.Sequential(*torch_body(nn), *tail)
    return ModelPair(name, keras_model, torch_model, InputSpec(shape, torch_layout="channels_first" if len(shape) > 1
                                                               else "same"), **kw)


def keras_layer_scale(init, channels):
    from keras.src.applications.convnext import LayerScale  # keras.applications' own, what ConvNeXt holds
    return LayerScale(init, channels)


def torch_blocks():
    from tfpt.frameworks.torch import blocks as blocks
    return blocks
