"""A transformer encoder block as a pair: token and position embeddings, MultiHeadAttention, residual adds,
LayerNormalization (post-norm, as nn.TransformerEncoderLayer's default), a GELU feed-forward, and a dense head
over the flattened sequence. The PyTorch side is hand-written from nn.MultiheadAttention, nn.LayerNorm, nn.Linear
and nn.GELU: nn.TransformerEncoderLayer computes the same, but in evaluation it runs one fused kernel
(torch._transformer_encoder_layer_fwd) that no tracer can see into, so its attention and norms could not be
compared one by one.

The position embedding is a layer of this module's own on each side, with a converter registered here: how a
user's own layer pair reaches every generic check (tfpt.convert.register).

Sizes are small (8 tokens of width 16, 2 heads, feed-forward 32) so the generic checks stay cheap.
"""
from __future__ import annotations

import numpy as np

from tfpt import InputSpec, ModelPair, register
from tfpt.convert import Converter, register as register_converter

VOCAB, SEQ, WIDTH, HEADS, FF, CLASSES = 100, 8, 16, 2, 32, 4


def tokens(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, VOCAB, size=(n, SEQ)).astype(np.int64)


TOKENS = InputSpec(shape=(SEQ,), dtype="int64", low=0, high=VOCAB, torch_layout="same", sample=tokens)


class PositionEmbeddingConverter(Converter):
    """PositionEmbedding (Keras, below) <-> PositionEmbedding (torch, below): one (SEQ, WIDTH) table, copied."""

    name = "position_embedding"
    kind = "position_embedding"
    keras_classes = ("PositionEmbedding",)
    torch_classes = ("PositionEmbedding",)

    def _to_torch(self, k, t, ctx):
        return {"weight": k.weights["embeddings"]}

    def _to_keras(self, t, k, ctx):
        return {"embeddings": t.weights["weight"]}


register_converter(PositionEmbeddingConverter())


def transformer_keras():
    from tfpt.frameworks import import_keras as keras
    k = keras()
    L = k.layers

    class PositionEmbedding(L.Layer):
        """x + a learned (SEQ, WIDTH) table."""

        def build(self, shape):
            self.embeddings = self.add_weight(shape=(shape[-2], shape[-1]), name="embeddings",
                                              initializer="random_normal")

        def call(self, x):
            return x + self.embeddings

    x_in = k.Input(shape=(SEQ,), dtype="int64")
    x = L.Embedding(VOCAB, WIDTH, name="embed")(x_in)
    x = PositionEmbedding(name="position")(x)
    a = L.MultiHeadAttention(HEADS, WIDTH // HEADS, name="attention")(x, x)
    x = L.LayerNormalization(epsilon=1e-5, name="norm1")(L.Add(name="residual1")([x, a]))
    f = L.Dense(FF, name="ff1")(x)
    f = L.Activation("gelu", name="gelu")(f)  # keras.activations.gelu: approximate=False, torch's erf form
    f = L.Dense(WIDTH, name="ff2")(f)
    x = L.LayerNormalization(epsilon=1e-5, name="norm2")(L.Add(name="residual2")([x, f]))
    out = L.Dense(CLASSES, name="head")(L.Flatten(name="flatten")(x))
    return k.Model(x_in, out, name="transformer_block")


def transformer_torch():
    from tfpt.frameworks import import_torch
    torch = import_torch()
    nn = torch.nn

    class PositionEmbedding(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(SEQ, WIDTH) * 0.05)

        def forward(self, x):
            return x + self.weight

    class EncoderBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, WIDTH)
            self.position = PositionEmbedding()
            self.attention = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
            self.norm1 = nn.LayerNorm(WIDTH)
            self.ff1, self.gelu, self.ff2 = nn.Linear(WIDTH, FF), nn.GELU(), nn.Linear(FF, WIDTH)
            self.norm2 = nn.LayerNorm(WIDTH)
            self.head = nn.Linear(SEQ * WIDTH, CLASSES)

        def forward(self, x):
            x = self.position(self.embed(x))
            a = self.attention(x, x, x, need_weights=False)[0]
            x = self.norm1(x + a)
            x = self.norm2(x + self.ff2(self.gelu(self.ff1(x))))
            return self.head(torch.flatten(x, 1))

    return EncoderBlock()


def transformer_flax():
    """The block in Flax NNX, its attributes in Keras' layer order (the weights are mapped in that order): nnx.
    MultiHeadAttention holds Keras' kernel layouts; GELU in its erf form (jax.nn.gelu's default is tanh's);
    LayerNorm epsilon 1e-5 as Keras' here (Flax's default 1e-6)."""
    import jax
    from flax import nnx

    class PositionEmbedding(nnx.Module):
        def __init__(self, rngs):
            self.embeddings = nnx.Param(jax.random.normal(rngs.params(), (SEQ, WIDTH)) * 0.05)

        def __call__(self, x):
            return x + self.embeddings[...]

    class EncoderBlock(nnx.Module):
        def __init__(self, rngs):
            self.embed = nnx.Embed(VOCAB, WIDTH, rngs=rngs)
            self.position = PositionEmbedding(rngs)
            self.attention = nnx.MultiHeadAttention(HEADS, WIDTH, qkv_features=WIDTH, decode=False, rngs=rngs)
            self.norm1 = nnx.LayerNorm(WIDTH, epsilon=1e-5, use_fast_variance=False, rngs=rngs)
            self.ff1, self.ff2 = nnx.Linear(WIDTH, FF, rngs=rngs), nnx.Linear(FF, WIDTH, rngs=rngs)
            self.norm2 = nnx.LayerNorm(WIDTH, epsilon=1e-5, use_fast_variance=False, rngs=rngs)
            self.head = nnx.Linear(SEQ * WIDTH, CLASSES, rngs=rngs)

        def __call__(self, tokens):
            x = self.position(self.embed(tokens))
            x = self.norm1(x + self.attention(x))
            x = self.norm2(x + self.ff2(jax.nn.gelu(self.ff1(x), approximate=False)))
            return self.head(x.reshape(x.shape[0], -1))
    return EncoderBlock(nnx.Rngs(0))


TRANSFORMER = register(ModelPair(
    "transformer-block", dict(keras=transformer_keras, torch=transformer_torch, flax=transformer_flax), TOKENS,
    num_classes=CLASSES, batch=32, formats=(),
    description="embeddings + MultiHeadAttention + post-norm LayerNorm + GELU feed-forward: a transformer encoder "
                "block against a hand-written PyTorch one"))
