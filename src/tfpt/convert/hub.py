"""keras-hub layers <-> Hugging Face transformers modules, converted as units: `TransformerEncoder` <-> `BertLayer`
(attention, its LayerNorm, the GELU feed-forward and its LayerNorm; the activation compared in words),
`ReversibleEmbedding` and keras-hub's `PositionEmbedding` <-> nn.Embedding. Numpy only; every conversion is a
reshape and a transpose, exact both ways.

Layouts, d = width, h heads of width hd, f = feed-forward width:
  Keras self_attention_layer/{query,key,value}/kernel (d, h, hd), bias (h, hd)  <->  attention.self.{q,k,v}.weight
      (h hd, d), bias (h hd,)
  Keras self_attention_layer/attention_output/kernel (h, hd, d)  <->  attention.output.dense.weight (d, h hd)
  Keras feedforward_intermediate_dense/kernel (d, f), feedforward_output_dense/kernel (f, d)  <->  intermediate.dense
      .weight (f, d), output.dense.weight (d, f)
  Keras self_attention_layer_norm, feedforward_layer_norm (gamma, beta)  <->  attention.output.LayerNorm,
      output.LayerNorm (weight, bias)
Both are post-norm with the defaults (keras-hub normalize_first=False): LN(x + attention(x)), then LN(x + ff(x)).
"""
from __future__ import annotations

import numpy as np

from tfpt.convert import functions
from tfpt.convert.base import ConversionError, Converter, Difference
from tfpt.convert.kinds import Kind
from tfpt.convert.layers import EmbeddingConverter

# (Keras path inside TransformerEncoder, PyTorch path inside BertLayer, how: "qkv", "out", "dense", "norm")
_PARTS = [
    *((f"self_attention_layer/{p}", f"attention.self.{p}", "qkv") for p in ("query", "key", "value")),
    ("self_attention_layer/attention_output", "attention.output.dense", "out"),
    ("self_attention_layer_norm", "attention.output.LayerNorm", "norm"),
    ("feedforward_intermediate_dense", "intermediate.dense", "dense"),
    ("feedforward_output_dense", "output.dense", "dense"),
    ("feedforward_layer_norm", "output.LayerNorm", "norm"),
]
_LEAVES = {"qkv": (("kernel", "weight"), ("bias", "bias")), "out": (("kernel", "weight"), ("bias", "bias")),
           "dense": (("kernel", "weight"), ("bias", "bias")), "norm": (("gamma", "weight"), ("beta", "bias"))}


def _kernel_to_torch(how: str, w: np.ndarray) -> np.ndarray:
    if how == "qkv":  # (d, h, hd) -> (h hd, d)
        return w.reshape(w.shape[0], -1).T
    if how == "out":  # (h, hd, d) -> (d, h hd)
        return w.reshape(-1, w.shape[-1]).T
    return w.T


def _kernel_to_keras(how: str, w: np.ndarray, like: np.ndarray) -> np.ndarray:
    if how == "qkv":
        return w.T.reshape(like.shape)
    if how == "out":
        return w.T.reshape(like.shape)
    return w.T


class TransformerEncoderConverter(Converter):
    """keras_hub.layers.TransformerEncoder <-> transformers' BertLayer, whole (one unit each side)."""

    name = "transformer_encoder_bert"
    kind = "transformer_encoder"
    keras_classes = ("TransformerEncoder",)
    torch_classes = ("BertLayer",)

    def differences(self, k, t, ctx=None):
        if k.config.get("normalize_first"):
            raise ConversionError(k, t, "a post-norm encoder (normalize_first=False), as BERT's layer is",
                                  "build the keras-hub TransformerEncoder with normalize_first=False")
        diffs = []
        kfn = functions.keras_function(k.config.get("activation"))
        tfn = t.config.get("activation")
        if kfn and tfn and kfn != tfn:  # keras-hub BERT: GELU's tanh approximation; HF "gelu": the exact erf form
            diffs.append(Difference("activation", functions.in_words(kfn), functions.in_words(tfn), True,
                                    f"build the Hugging Face model with hidden_act="
                                    f"{'gelu_pytorch_tanh' if kfn == 'gelu_tanh' else repr('gelu')} (its feed-forward "
                                    f"then applies {functions.in_words(kfn)}), or give keras-hub activation="
                                    f"{'gelu' if tfn == 'gelu_erf' else tfn!r}"))
        ke, te = k.config.get("layer_norm_epsilon"), t.config.get("layer_norm_eps")
        if ke is not None and te is not None and not np.isclose(float(ke), float(te), rtol=1e-6, atol=0):
            diffs.append(Difference("layer_norm_epsilon", ke, te, True, f"build HF's config with layer_norm_eps={ke}"))
        return diffs

    def _to_torch(self, k, t, ctx):
        out = {}
        for kp, tp, how in _PARTS:
            (kk, tk), (kb, tb) = _LEAVES[how]
            w, b = k.weights[f"{kp}/{kk}"], k.weights[f"{kp}/{kb}"]
            out[f"{tp}.{tk}"] = _kernel_to_torch(how, w) if how != "norm" else w
            out[f"{tp}.{tb}"] = b.reshape(-1)
        return out

    def _to_keras(self, t, k, ctx):
        out = {}
        for kp, tp, how in _PARTS:
            (kk, tk), (kb, tb) = _LEAVES[how]
            w, b = t.weights[f"{tp}.{tk}"], t.weights[f"{tp}.{tb}"]
            out[f"{kp}/{kk}"] = _kernel_to_keras(how, w, k.weights[f"{kp}/{kk}"]) if how != "norm" else w
            out[f"{kp}/{kb}"] = b.reshape(k.weights[f"{kp}/{kb}"].shape)
        return out


class ReversibleEmbeddingConverter(EmbeddingConverter):
    """keras_hub.layers.ReversibleEmbedding (tied: one table) <-> nn.Embedding."""

    name = "reversible_embedding"
    kind = Kind.EMBEDDING
    keras_classes = ("ReversibleEmbedding",)
    torch_classes = ("Embedding",)

    def differences(self, k, t, ctx=None):
        if "reverse_embeddings" in k.weights:
            raise ConversionError(k, t, "a tied ReversibleEmbedding (one table, as nn.Embedding has)",
                                  "build it with tie_weights=True")
        return super().differences(k, t, ctx)


class HubPositionEmbeddingConverter(Converter):
    """keras_hub.layers.PositionEmbedding (a (max length, d) table, rows 0..L-1 used) <-> nn.Embedding looked up
    with positions 0..L-1 (HF BERT's position_embeddings). Its kind is an embedding's: it also claims torch's
    nn.Embedding, and the latest converter claiming a class gives that class its kind (an own kind here made every
    nn.Embedding unmatchable). A pair maps it to the HF module by layer_map: HF looks it up last, keras-hub second."""

    name = "hub_position_embedding"
    kind = Kind.EMBEDDING
    keras_classes = ("PositionEmbedding",)
    torch_classes = ("Embedding",)

    def _to_torch(self, k, t, ctx):
        return {"weight": k.weights["embeddings"]}

    def _to_keras(self, t, k, ctx):
        return {"embeddings": t.weights["weight"]}


CONVERTERS = (TransformerEncoderConverter, ReversibleEmbeddingConverter, HubPositionEmbeddingConverter)
