"""The model pairs this repository checks with every generic check: the study's CNN (as specified, and the two
models as the study wrote them) and pairs that exercise the other converters: BatchNorm/Dropout/stride-2 'same'
padding, an Embedding → LSTM/GRU text classifier, and an MLP with LayerNorm.

Builders import their framework when called, so this module loads in an environment that has only one of them.
The spec and study CNNs, bn-cnn and mlp-ln have a Flax NNX side too (`*_flax`: built in a Flax worker process,
given Keras' weights and checked against Keras: tfpt.checks.sides); the text classifiers' LSTM and GRU have none.
"""
from __future__ import annotations

import numpy as np

from tfpt import InputSpec, ModelPair, register
from tfpt.data import datasets


def mnist_images(n: int, seed: int) -> np.ndarray:
    """n real MNIST test images (float32, channels-last, [0, 1]), a seeded choice."""
    x = datasets.load("mnist").x_test
    idx = np.random.default_rng(seed).choice(len(x), size=n, replace=n > len(x))
    return datasets.as_float(x[np.sort(idx)])


MNIST = InputSpec(shape=(28, 28, 1), sample=mnist_images)


def _keras():
    from tfpt.frameworks import import_keras as keras
    return keras()


def _torch():
    from tfpt.frameworks import import_torch
    return import_torch()


# --------------------------------------------------------------------------------- the study's CNN

def spec_keras():
    from tfpt.frameworks.keras import cnn as keras_models
    from tfpt.spec import CNN
    return keras_models.build_spec(CNN)


def spec_torch():
    from tfpt.frameworks.torch import cnn as torch_models
    from tfpt.spec import CNN
    return torch_models.SpecNet(CNN)


def study_keras():
    from tfpt.frameworks.keras import cnn as keras_models
    return keras_models.study_model()


def study_torch():
    from tfpt.frameworks.torch import cnn as torch_models
    return torch_models.StudyNet()


def spec_flax():
    from tfpt.frameworks.flax import cnn as flax_models
    from tfpt.spec import CNN
    return flax_models.build(CNN)


def study_flax():
    from tfpt.frameworks.flax import cnn as flax_models
    from tfpt.spec import STUDY_KERAS
    return flax_models.build(STUDY_KERAS)


SPEC = register(ModelPair("spec", dict(keras=spec_keras, torch=spec_torch, flax=spec_flax), MNIST,
                          description="the study's CNN as specified: logits head in both frameworks"))
STUDY = register(ModelPair("study", dict(keras=study_keras, torch=study_torch, flax=study_flax), MNIST,
                           keras_head="softmax", torch_head="logits",
                           description="the study's two models as written: Keras softmax head, PyTorch extra ReLU"))


# --------------------------------------------------- BatchNorm, Dropout, stride 2 with 'same' padding

def bn_cnn_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([
        k.Input(shape=(28, 28, 1)),
        L.Conv2D(16, 3, padding="same", use_bias=False, name="conv1"),
        L.BatchNormalization(name="bn1"),
        L.ReLU(name="relu1"),
        L.Conv2D(32, 3, strides=2, padding="same", name="conv2"),
        L.BatchNormalization(name="bn2"),
        L.ReLU(name="relu2"),
        L.Dropout(0.25, name="drop"),
        L.Flatten(name="flatten"),
        L.Dense(10, name="head"),
    ], name="bn_cnn")


def bn_cnn_torch():
    nn = _torch().nn
    # Keras' defaults made explicit: epsilon 1e-3; Keras momentum 0.99 is PyTorch's momentum 0.01.
    # Keras' 'same' with stride 2 pads bottom/right only: ZeroPad2d((0, 1, 0, 1)) then no padding.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(16, 32, 3, stride=2), nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ReLU(), nn.Dropout(0.25), nn.Flatten(), nn.Linear(32 * 14 * 14, 10))


def bn_cnn_flax(epsilon: float = 1e-3):
    """Keras' settings made explicit: BatchNorm epsilon 1e-3 (Flax's default 1e-5) and momentum 0.99 (Flax's own
    default too); Flax's "SAME" pads a stride-2 conv as Keras' 'same' does (bottom/right)."""
    from flax import nnx

    class BnCnn(nnx.Module):
        def __init__(self, rngs):
            self.conv1 = nnx.Conv(1, 16, (3, 3), padding="SAME", use_bias=False, rngs=rngs)
            self.bn1 = nnx.BatchNorm(16, epsilon=epsilon, momentum=0.99, use_fast_variance=False, rngs=rngs)
            self.conv2 = nnx.Conv(16, 32, (3, 3), strides=(2, 2), padding="SAME", rngs=rngs)
            self.bn2 = nnx.BatchNorm(32, epsilon=epsilon, momentum=0.99, use_fast_variance=False, rngs=rngs)
            self.drop = nnx.Dropout(0.25, rngs=rngs)
            self.head = nnx.Linear(32 * 14 * 14, 10, rngs=rngs)

        def __call__(self, x):
            x = nnx.relu(self.bn1(self.conv1(x)))
            x = self.drop(nnx.relu(self.bn2(self.conv2(x))))
            return self.head(x.reshape(x.shape[0], -1))
    return BnCnn(nnx.Rngs(0))


def bn_cnn_flax_default_epsilon():
    """A negative control: bn_cnn_flax with Flax's default BatchNorm epsilon (1e-5, Keras' is 1e-3)."""
    return bn_cnn_flax(epsilon=1e-5)


BN_CNN = register(ModelPair("bn-cnn", dict(keras=bn_cnn_keras, torch=bn_cnn_torch, flax=bn_cnn_flax), MNIST,
                            description="Conv-BN-ReLU, stride-2 'same' conv, Dropout, Dense: BatchNorm and padding"))


# ------------------------------------------------------------------------ text classifiers

VOCAB, SEQ, EMBED, HIDDEN, CLASSES = 1000, 20, 32, 32, 4


def tokens(n: int, seed: int) -> np.ndarray:
    """A seeded synthetic corpus: sequences of SEQ token ids in [1, VOCAB) (the checks draw seeded labels)."""
    return np.random.default_rng(seed).integers(1, VOCAB, size=(n, SEQ)).astype(np.int64)


TOKENS = InputSpec(shape=(SEQ,), dtype="int64", low=1, high=VOCAB, torch_layout="same", sample=tokens)


def _text_keras(rnn: str):
    k = _keras()
    L = k.layers
    cell = L.LSTM(HIDDEN, name="rnn") if rnn == "lstm" else L.GRU(HIDDEN, name="rnn")
    return k.Sequential([k.Input(shape=(SEQ,), dtype="int64"), L.Embedding(VOCAB, EMBED, name="embed"), cell,
                         L.Dense(CLASSES, name="head")], name=f"text_{rnn}")


def _text_torch(rnn: str, keras_bias: bool = True):
    torch = _torch()
    nn = torch.nn

    class TextClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.rnn = (nn.LSTM if rnn == "lstm" else nn.GRU)(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, CLASSES)
            if rnn == "lstm" and keras_bias:
                # Keras' LSTM has one bias, PyTorch's two (b_ih + b_hh), each with the full gradient: trained
                # as they are, the effective bias learns at twice Keras' rate (measured: 4.0e-3 max |Δ| at
                # rnn.bias after 5 SGD steps, lr 0.01). Zeroing and freezing b_hh makes them the same model.
                with torch.no_grad():
                    self.rnn.bias_hh_l0.zero_()
                self.rnn.bias_hh_l0.requires_grad_(False)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out[:, -1])

    return TextClassifier()


TEXT_LSTM = register(ModelPair("text-lstm", lambda: _text_keras("lstm"), lambda: _text_torch("lstm"), TOKENS,
                               num_classes=CLASSES, formats=("savedmodel", "keras", "onnx-torch", "torchscript",
                                                             "exported-program"),
                               description="Embedding → LSTM → Dense on a seeded synthetic token corpus"))
TEXT_GRU = register(ModelPair("text-gru", lambda: _text_keras("gru"), lambda: _text_torch("gru"), TOKENS,
                              num_classes=CLASSES, formats=("savedmodel", "keras", "onnx-torch", "torchscript",
                                                            "exported-program"),
                              description="Embedding → GRU (reset_after) → Dense: GRU gate order"))


# ------------------------------------------------------------------------------- MLP with LayerNorm

def mlp_keras():
    k = _keras()
    L = k.layers
    return k.Sequential([k.Input(shape=(28, 28, 1)), L.Flatten(name="flatten"), L.Dense(128, name="fc1"),
                         L.LayerNormalization(name="norm"), L.ReLU(name="relu"), L.Dense(10, name="head")],
                        name="mlp_ln")


def mlp_torch():
    nn = _torch().nn
    # Keras' LayerNormalization epsilon is 1e-3 (PyTorch's default 1e-5): matched explicitly.
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.LayerNorm(128, eps=1e-3), nn.ReLU(), nn.Linear(128, 10))


def mlp_flax():
    from flax import nnx

    class Mlp(nnx.Module):
        def __init__(self, rngs):
            self.fc1 = nnx.Linear(784, 128, rngs=rngs)
            self.norm = nnx.LayerNorm(128, epsilon=1e-3, use_fast_variance=False, rngs=rngs)  # Flax's default 1e-6
            self.head = nnx.Linear(128, 10, rngs=rngs)

        def __call__(self, x):
            return self.head(nnx.relu(self.norm(self.fc1(x.reshape(x.shape[0], -1)))))
    return Mlp(nnx.Rngs(0))


MLP_LN = register(ModelPair("mlp-ln", dict(keras=mlp_keras, torch=mlp_torch, flax=mlp_flax), MNIST,
                            description="Flatten → Dense → LayerNorm → ReLU → Dense"))
