"""Tiny model pairs for tfpt-compare's model-pair path (tests/test_pair_compare.py): one that computes one function
in both frameworks, and its negative control whose PyTorch builder adds 0.5 to every output."""
from __future__ import annotations

from tfpt import InputSpec, ModelPair

SHAPE = (6, 6, 1)


def tiny_keras():
    from tfpt.frameworks import import_keras as keras
    k = keras()
    return k.Sequential([k.Input(SHAPE), k.layers.Conv2D(2, 3, activation="relu"), k.layers.Flatten(),
                         k.layers.Dense(3)])


def _torch_net(shift: float = 0.0):
    from tfpt.frameworks import import_torch
    nn = import_torch().nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(2 * 4 * 4, 3)

        def forward(self, x):
            return self.fc(nn.functional.relu(self.conv(x)).flatten(1)) + shift
    return Net()


def tiny_torch():
    return _torch_net()


def shifted_torch():
    return _torch_net(0.5)


TINY = ModelPair("cost-tiny", tiny_keras, tiny_torch, InputSpec(SHAPE), num_classes=3, batch=4, formats=())
SHIFTED = ModelPair("cost-shifted", tiny_keras, shifted_torch, InputSpec(SHAPE), num_classes=3, batch=4, formats=())
