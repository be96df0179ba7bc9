"""Keras MultiHeadAttention <-> PyTorch attention: nn.MultiheadAttention (packed in_proj_weight) and a module of
separate q/k/v/output Linears (tfpt.frameworks.torch.blocks.QKVAttention, or any such module under its own class
name, see `AttentionLinearsConverter`). Numpy only; every conversion is a reshape and a transpose, exact both ways.

Layouts, d = model width, h heads of width hd (PyTorch needs h * hd == d for nn.MultiheadAttention):
  Keras query/key/value kernel   (d, h, hd)  EinsumDense 'abc,cde->abde'   bias (h, hd)
  Keras attention_output kernel  (h, hd, d)  EinsumDense 'abcd,cde->abe'   bias (d,)
  torch in_proj_weight           (3 h hd, d) rows [q; k; v], head-major (row = head * hd + j); in_proj_bias (3 h hd,)
  torch q/k/v Linear weight      (h hd, d);  out_proj / output Linear weight (d, h hd)
Both scale the query by 1 / sqrt(hd) and take a softmax over the keys, so the same weights compute the same.

Weights of a composite layer are keyed by their path inside it ("query/kernel", "out_proj.weight"); a record
keyed by short names only cannot hold two 'kernel's, so lookups here match the path's last two parts.
"""
from __future__ import annotations

import re

import numpy as np

from tfpt.convert.base import ConversionError, Converter, Difference, LayerRecord
from tfpt.convert.common import fill_like, require_fill

KERAS_PARTS = ("query", "key", "value", "attention_output")


def weight_key(record: LayerRecord, part: str, leaf: str, required: bool = True) -> str | None:
    """The key of `part`'s `leaf` weight ("query", "kernel" -> "query/kernel" or "mha/query/kernel")."""
    for key in record.weights:
        parts = re.split(r"[/.]", key)
        if parts[-2:] == [part, leaf] or (part == "" and parts == [leaf]):
            return key
    if required:
        raise ConversionError(None, None, f"{record.framework} {record.cls} {record.name!r} holds {part}/{leaf}, "
                                          f"found {list(record.weights)}",
                              "pair attention layers with attention layers")
    return None


class _Attention(Converter):
    kind = "attention"  # one kind for both torch forms, so the matcher pairs either with Keras' layer

    def _keras(self, k, part: str, leaf: str, required: bool = True):
        key = weight_key(k, part, leaf, required)
        return None if key is None else k.weights[key]

    def _heads_difference(self, k, t) -> list[Difference]:
        kh, th = k.config.get("num_heads"), t.config.get("num_heads")
        if th is not None and kh != th:
            return [Difference("num_heads", kh, th, True, f"build the torch attention with num_heads={kh}")]
        return []

    def _common_differences(self, k, t) -> list[Difference]:
        diffs = self._heads_difference(k, t)
        kd, vd = k.config.get("key_dim"), k.config.get("value_dim") or k.config.get("key_dim")
        if kd != vd:
            diffs.append(Difference("value_dim", vd, kd, True, "PyTorch's heads have one width: value_dim=key_dim"))
        if k.config.get("use_gate"):
            raise ConversionError(k, t, "use_gate=False (PyTorch's attention has no gate)",
                                  "build the Keras layer without use_gate")
        kdrop, tdrop = float(k.config.get("dropout", 0.0) or 0.0), float(t.config.get("dropout", 0.0) or 0.0)
        if kdrop != tdrop:
            diffs.append(Difference("dropout", kdrop, tdrop, True, "attention dropout differs while training (not "
                                                                  "at evaluation): build both with the same rate"))
        return diffs

    def _proj_to_torch(self, kernel: np.ndarray) -> np.ndarray:
        return kernel.reshape(kernel.shape[0], -1).T  # (d, h, hd) -> (h hd, d)

    def _out_to_torch(self, kernel: np.ndarray) -> np.ndarray:
        return kernel.reshape(-1, kernel.shape[-1]).T  # (h, hd, d) -> (d, h hd)

    def _bias_to_torch(self, k, part, target_shape, target_dtype):
        bias = self._keras(k, part, "bias", required=False)
        if bias is None:
            return np.zeros(target_shape, target_dtype)
        return bias.reshape(-1)

    def _keras_bias(self, k, t, part: str, value: np.ndarray | None, out: dict) -> None:
        """Keras' `part` bias from a torch bias vector (or None: torch has none)."""
        key = weight_key(k, part, "bias", required=False)
        if key is not None:
            out[key] = np.zeros(k.weights[key].shape, k.weights[key].dtype) if value is None \
                else value.reshape(k.weights[key].shape)
        elif value is not None:
            require_fill(value, 0.0, k, t, f"torch {part} bias", "build the Keras layer with use_bias=True")


class MultiHeadAttentionConverter(_Attention):
    """MultiHeadAttention <-> nn.MultiheadAttention(batch_first=True): query/key/value kernels packed into
    in_proj_weight (or q/k/v_proj_weight where kdim/vdim differ from embed_dim), attention_output <-> out_proj."""

    name = "multi_head_attention"
    keras_classes = ("MultiHeadAttention",)
    torch_classes = ("MultiheadAttention",)

    def differences(self, k, t, ctx=None):
        diffs = self._common_differences(k, t)
        if t.config.get("batch_first") is False:
            diffs.append(Difference("batch_first", True, False, True,
                                    "Keras reads (batch, sequence, features): build torch with batch_first=True"))
        if t.config.get("add_zero_attn"):
            diffs.append(Difference("add_zero_attn", False, True, True, "Keras has no zero attention row"))
        if any(weight_key(t, "", leaf, required=False) for leaf in ("bias_k", "bias_v")):
            diffs.append(Difference("add_bias_kv", False, True, True, "Keras has no learned key/value bias rows"))
        kd = k.config.get("key_dim")
        d = self._keras(k, "query", "kernel").shape[0]
        if kd is not None and k.config.get("num_heads") is not None and kd * k.config["num_heads"] != d:
            diffs.append(Difference("key_dim", f"{k.config['num_heads']} heads x {kd} = {k.config['num_heads'] * kd}",
                                    f"embed_dim {d}", True, "nn.MultiheadAttention's heads split embed_dim: build "
                                                            f"Keras with key_dim={d // k.config['num_heads']}"))
        return diffs

    def _to_torch(self, k, t, ctx):
        out = {}
        packed = "in_proj_weight" in t.weights
        projs = [self._proj_to_torch(self._keras(k, part, "kernel")) for part in KERAS_PARTS[:3]]
        if packed:
            out["in_proj_weight"] = np.concatenate(projs, axis=0)
        else:
            for name, w in zip(("q_proj_weight", "k_proj_weight", "v_proj_weight"), projs, strict=True):
                out[name] = w
        if "in_proj_bias" in t.weights:
            out["in_proj_bias"] = np.concatenate(
                [self._bias_to_torch(k, part, (w.shape[0],), w.dtype)
                 for part, w in zip(KERAS_PARTS[:3], projs, strict=True)])
        else:
            for part in KERAS_PARTS[:3]:
                b = self._keras(k, part, "bias", required=False)
                if b is not None:
                    require_fill(b, 0.0, k, t, f"Keras {part} bias", "build nn.MultiheadAttention with bias=True")
        out["out_proj.weight"] = self._out_to_torch(self._keras(k, "attention_output", "kernel"))
        if "out_proj.bias" in t.weights:
            b = self._keras(k, "attention_output", "bias", required=False)
            out["out_proj.bias"] = b if b is not None else fill_like(t.weights["out_proj.bias"], 0.0)
        for extra in ("bias_k", "bias_v"):
            if extra in t.weights:
                require_fill(t.weights[extra], 0.0, k, t, f"torch {extra}", "build torch with add_bias_kv=False")
                out[extra] = t.weights[extra]
        return out

    def _to_keras(self, t, k, ctx):
        out = {}
        if "in_proj_weight" in t.weights:
            ws = np.split(t.weights["in_proj_weight"], 3, axis=0)
        else:
            ws = [t.weights[n] for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight")]
        bs = np.split(t.weights["in_proj_bias"], 3) if "in_proj_bias" in t.weights else [None] * 3
        for part, w, b in zip(KERAS_PARTS[:3], ws, bs, strict=True):
            key = weight_key(k, part, "kernel")
            out[key] = w.T.reshape(k.weights[key].shape)
            self._keras_bias(k, t, part, b, out)
        key = weight_key(k, "attention_output", "kernel")
        out[key] = t.weights["out_proj.weight"].T.reshape(k.weights[key].shape)
        self._keras_bias(k, t, "attention_output", t.weights.get("out_proj.bias"), out)
        return out


class AttentionLinearsConverter(_Attention):
    """MultiHeadAttention <-> a torch module with separate q/k/v/output Linears (BERT- and LLaMA-style blocks).
    The Linears are found by their child names (`torch_parts`); for your own module, subclass with its class name:

        register(type("MyAttn", (AttentionLinearsConverter,), {"name": "my_attn", "torch_classes": ("MyAttn",)}))
    """

    name = "attention_linears"
    keras_classes = ("MultiHeadAttention",)
    torch_classes = ("QKVAttention",)
    torch_parts: dict[str, tuple[str, ...]] = {
        "query": ("q_proj", "query", "q"), "key": ("k_proj", "key", "k"), "value": ("v_proj", "value", "v"),
        "attention_output": ("out_proj", "o_proj", "output", "out", "dense", "o")}

    def _torch_key(self, t, part: str, leaf: str, required: bool = True) -> str | None:
        for child in self.torch_parts[part]:
            key = weight_key(t, child, leaf, required=False)
            if key is not None:
                return key
        if required:
            raise ConversionError(None, t, f"a Linear named one of {self.torch_parts[part]} for Keras' {part} "
                                           f"(found {list(t.weights)})",
                                  "subclass AttentionLinearsConverter with your module's child names in torch_parts")
        return None

    def differences(self, k, t, ctx=None):
        for part in KERAS_PARTS:
            self._torch_key(t, part, "weight")
        return self._common_differences(k, t)

    def _to_torch(self, k, t, ctx):
        out = {}
        for part in KERAS_PARTS:
            kernel = self._keras(k, part, "kernel")
            out[self._torch_key(t, part, "weight")] = \
                self._out_to_torch(kernel) if part == "attention_output" else self._proj_to_torch(kernel)
            tb = self._torch_key(t, part, "bias", required=False)
            kb = self._keras(k, part, "bias", required=False)
            if tb is not None:
                out[tb] = kb.reshape(-1) if kb is not None else fill_like(t.weights[tb], 0.0)
            elif kb is not None:
                require_fill(kb, 0.0, k, t, f"Keras {part} bias", "build the torch Linears with bias=True")
        return out

    def _to_keras(self, t, k, ctx):
        out = {}
        for part in KERAS_PARTS:
            key = weight_key(k, part, "kernel")
            out[key] = t.weights[self._torch_key(t, part, "weight")].T.reshape(k.weights[key].shape)
            tb = self._torch_key(t, part, "bias", required=False)
            self._keras_bias(k, t, part, None if tb is None else t.weights[tb], out)
        return out
