"""Small model pairs whose graphs are not chains, for the tracers' tests: an in-place ReLU after a BatchNorm
(torchvision's pattern), a residual block whose shortcut runs first in Keras and last in PyTorch with a
squeeze-excitation gate and a channel concatenation, the two equivalent permute-before-flatten ports, and
Keras' ZeroPadding2D before a 'valid' conv, a stride that differs, and Keras' MultiHeadAttention beside
nn.MultiheadAttention (a non-leaf module a converter claims). Builders import their framework when called."""
from __future__ import annotations

from tfpt import InputSpec, ModelPair

IMAGE = InputSpec(shape=(8, 8, 3))


def _keras():
    from tfpt.frameworks import import_keras as keras
    return keras()


def _torch():
    from tfpt.frameworks import import_torch
    return import_torch()


def inplace_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(IMAGE.shape), L.Conv2D(4, 3, padding="same", use_bias=False, name="conv"),
                         L.BatchNormalization(name="bn"), L.ReLU(name="relu"),
                         L.GlobalAveragePooling2D(name="gap"), L.Dense(10, name="fc")])


def inplace_torch():
    nn = _torch().nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, eps=1e-3, momentum=0.01),
                         nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))


def residual_keras():
    k = _keras()
    L = k.layers
    x = k.Input(IMAGE.shape)
    stem = L.Conv2D(4, 3, padding="same", name="stem")(x)
    shortcut = L.Conv2D(6, 1, name="shortcut")(stem)  # called before the main branch, as keras.applications do
    main = L.Conv2D(6, 3, padding="same", name="main1")(stem)
    main = L.ReLU(name="main_relu")(main)
    main = L.Conv2D(6, 3, padding="same", name="main2")(main)
    added = L.Add(name="add")([shortcut, main])
    gate = L.GlobalAveragePooling2D(keepdims=True, name="se_pool")(added)
    gate = L.Conv2D(6, 1, activation="sigmoid", name="se_conv")(gate)
    gated = L.Multiply(name="se_mul")([added, gate])
    joined = L.Concatenate(name="cat")([gated, stem])
    pooled = L.GlobalAveragePooling2D(name="gap")(joined)
    return k.Model(x, L.Dense(10, name="fc")(pooled))


def residual_torch():
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1)
            self.main1, self.main2 = nn.Conv2d(4, 6, 3, padding=1), nn.Conv2d(6, 6, 3, padding=1)
            self.shortcut, self.se = nn.Conv2d(4, 6, 1), nn.Conv2d(6, 6, 1)
            self.fc = nn.Linear(10, 10)

        def forward(self, x):
            stem = self.stem(x)
            out = self.main2(F.relu(self.main1(stem)))
            out = out + self.shortcut(stem)  # the shortcut runs after the main branch
            out = out * torch.sigmoid(self.se(F.adaptive_avg_pool2d(out, 1)))
            out = torch.cat([out, stem], dim=1)
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))
    return Residual()


def _flatten_keras(permute: bool):
    k = _keras()
    L = k.layers
    middle = [L.Permute((3, 1, 2), name="to_cf")] if permute else []
    return k.Sequential([k.Input(IMAGE.shape), L.Conv2D(4, 3, name="conv"), *middle, L.Flatten(name="flatten"),
                         L.Dense(10, name="fc")])


def _flatten_torch(permute: bool):
    torch = _torch()
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4 * 6 * 6, 10)

        def forward(self, x):
            x = self.conv(x)
            x = x.permute(0, 2, 3, 1) if permute else x
            return self.fc(torch.flatten(x, 1))
    return Net()


def _padded_keras(padding):
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(IMAGE.shape), L.ZeroPadding2D(padding, name="pad"),
                         L.Conv2D(4, 3, strides=2, name="conv"), L.Flatten(name="flatten"), L.Dense(10, name="fc")])


def _padded_torch():
    nn = _torch().nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


INPLACE = ModelPair("inplace-relu-bn", inplace_keras, inplace_torch, IMAGE, formats=())
RESIDUAL = ModelPair("residual-se-cat", residual_keras, residual_torch, IMAGE, formats=())
TORCH_PERMUTES = ModelPair("torch-permutes", lambda: _flatten_keras(False), lambda: _flatten_torch(True), IMAGE,
                           formats=())
KERAS_PERMUTES = ModelPair("keras-permutes", lambda: _flatten_keras(True), lambda: _flatten_torch(False), IMAGE,
                           formats=())
PLAIN_FLATTEN = ModelPair("plain-flatten", lambda: _flatten_keras(False), lambda: _flatten_torch(False), IMAGE,
                          formats=())
SYMMETRIC_PAD = ModelPair("symmetric-pad", lambda: _padded_keras(1), _padded_torch, IMAGE, formats=())
ASYMMETRIC_PAD = ModelPair("asymmetric-pad", lambda: _padded_keras(((0, 1), (0, 1))), _padded_torch, IMAGE,
                           formats=())


def _strided_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(IMAGE.shape), L.Conv2D(4, 3, strides=2, name="conv"),
                         L.GlobalAveragePooling2D(name="gap"), L.Dense(10, name="fc")])


def _strided_torch():
    nn = _torch().nn
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))


STRIDE_DIFFERS = ModelPair("stride-differs", _strided_keras, _strided_torch, IMAGE, formats=())


def _attention_keras():
    k = _keras()
    L = k.layers
    x = k.Input((5, 8))
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    return k.Model(x, L.Dense(10, name="fc")(L.GlobalAveragePooling1D(name="pool")(attended)))


def _attention_torch():
    nn = _torch().nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha, self.fc = nn.MultiheadAttention(8, 2, batch_first=True), nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(self.mha(x, x, x, need_weights=False)[0].mean(dim=1))
    return Block()


ATTENTION = ModelPair("attention", _attention_keras, _attention_torch, InputSpec(shape=(5, 8), torch_layout="same"),
                      formats=())


def _vgg_tail_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(IMAGE.shape), L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
                         L.MaxPooling2D(2, name="pool"), L.Flatten(name="flatten"), L.Dense(10, name="fc")])


def _vgg_tail_torch():
    nn = _torch().nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                         nn.AdaptiveAvgPool2d((4, 4)), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


# torchvision's VGG: an AdaptiveAvgPool2d((7, 7)) before the flatten, the identity where the features are 7x7 already
VGG_TAIL = ModelPair("vgg-tail", _vgg_tail_keras, _vgg_tail_torch, IMAGE, formats=())
