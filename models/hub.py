"""A real port: Hugging Face transformers' `BertModel` against keras-hub's `BertBackbone`, both tiny (2 layers,
width 64, 2 heads, feed-forward 128, vocabulary 100, 32 positions) and randomly initialised; the suite transfers
the weights. Needs the optional extra (requirements-hub.txt, installed with --no-deps); nothing here imports
either library until a builder runs, and the pairs are not registered with the repository's own: run them with
`pytest --pair models.hub:BERT_TANH` (equivalence/test_hub_bert.py does).

Three named inputs (token ids, segment ids, a padding mask of 1s with trailing 0s) fed to Keras as a dict and to
PyTorch as keyword arguments; two outputs, each compared under its Keras name. keras-hub's feed-forward applies
GELU's tanh approximation; HF's default hidden_act "gelu" is the exact erf form, so `BERT` differs (named) and
`BERT_TANH` (hidden_act="gelu_pytorch_tanh") computes the same function.
"""
from __future__ import annotations

import numpy as np

from tfpt import InputSpec, ModelPair
from tfpt.pair import Inputs

VOCAB, LAYERS, WIDTH, HEADS, FF, POSITIONS, SEQ = 100, 2, 64, 2, 128, 32, 16


def padding_mask(n: int, seed: int) -> np.ndarray:
    """1s then trailing 0s: each sample's length drawn from [SEQ // 2, SEQ] (the first sample full length)."""
    lengths = np.random.default_rng(seed).integers(SEQ // 2, SEQ + 1, size=n)
    lengths[0] = SEQ
    return (np.arange(SEQ)[None, :] < lengths[:, None]).astype(np.int32)


INPUTS = Inputs(
    # ids from 1: HF's word embedding keeps row 0 ([PAD], padding_idx=0) out of training, Keras trains it
    {"token_ids": InputSpec((SEQ,), "int32", 1, VOCAB, torch_layout="same"),
     "segment_ids": InputSpec((SEQ,), "int32", 0, 2, torch_layout="same"),
     "padding_mask": InputSpec((SEQ,), "int32", 0, 2, torch_layout="same", sample=padding_mask)},
    torch_names={"token_ids": "input_ids", "segment_ids": "token_type_ids", "padding_mask": "attention_mask"})
OUTPUTS = {"sequence_output": "last_hidden_state", "pooled_output": "pooler_output"}


def bert_keras():
    import keras_hub
    return keras_hub.models.BertBackbone(vocabulary_size=VOCAB, num_layers=LAYERS, num_heads=HEADS,
                                         hidden_dim=WIDTH, intermediate_dim=FF, max_sequence_length=POSITIONS)


def _bert_torch(hidden_act: str):
    from transformers import BertConfig, BertModel
    return BertModel(BertConfig(vocab_size=VOCAB, hidden_size=WIDTH, num_hidden_layers=LAYERS,
                                num_attention_heads=HEADS, intermediate_size=FF, max_position_embeddings=POSITIONS,
                                hidden_act=hidden_act, layer_norm_eps=1e-12))


def bert_torch():
    return _bert_torch("gelu")  # HF's default: GELU, exact (erf)


def bert_torch_tanh():
    return _bert_torch("gelu_pytorch_tanh")  # keras-hub's function


def _pair(name: str, torch_builder, description: str) -> ModelPair:
    return ModelPair(
        name, bert_keras, torch_builder, INPUTS, num_classes=WIDTH, outputs=OUTPUTS, batch=32, formats=(),
        # keras-hub's PositionEmbedding is its own kind, HF's position table a plain nn.Embedding; and the three
        # lookups run in another order (Keras: token, position, segment; HF: word, token type, position)
        layer_map={"token_embedding": "embeddings.word_embeddings", "segment_embedding":
                   "embeddings.token_type_embeddings", "position_embedding": "embeddings.position_embeddings",
                   "embeddings_add": "add_1"},  # Keras adds the three at once, HF in two adds (add_0, add_1)
        accept={"token_embedding:padding_idx": "HF BERT's [PAD] row 0 gets no gradient; the inputs never hold id 0"},
        description=description)


BERT = _pair("hf-bert-tiny", bert_torch, "transformers BertModel (hidden_act 'gelu', erf) against keras-hub "
                                         "BertBackbone (GELU tanh): the activation differs")
BERT_TANH = _pair("hf-bert-tiny-tanh", bert_torch_tanh, "transformers BertModel with hidden_act "
                                                        "'gelu_pytorch_tanh' against keras-hub BertBackbone")
