"""PyTorch modules for Keras layers that torch.nn has no single module for, each claimed by a converter in
tfpt.convert (so a pair can use them and have its weights converted exactly):

  SeparableConv2d   Keras SeparableConv2D: a depthwise conv (groups=in) then a 1x1 pointwise conv
  LayerNorm2d       Keras LayerNormalization(axis=-1) in a channels-first model (ConvNeXt's): LayerNorm over C
  LayerScale        Keras' LayerScale (keras.applications.convnext): a learned per-channel gamma
  QKVAttention      Keras MultiHeadAttention as separate q/k/v/output Linears (BERT-style), batch first
"""
from __future__ import annotations

import math

import torch
from torch import nn


class SeparableConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 depth_multiplier: int = 1, bias: bool = True):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels * depth_multiplier, kernel_size, stride, padding,
                                   dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels * depth_multiplier, out_channels, 1, bias=bias)
        # The depthwise conv's geometry, where the converter's comparison reads it.
        self.kernel_size, self.stride = self.depthwise.kernel_size, self.depthwise.stride
        self.padding, self.dilation = self.depthwise.padding, self.depthwise.dilation

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class LayerNorm2d(nn.LayerNorm):
    """nn.LayerNorm over the channel axis of (N, C, H, W), as torchvision's ConvNeXt defines it."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """x * gamma, gamma of shape (C,) for channels-last input, or (C, 1, 1) with channels_first=True."""

    def __init__(self, channels: int, init: float = 1e-6, channels_first: bool = False):
        super().__init__()
        shape = (channels, 1, 1) if channels_first else (channels,)
        self.gamma = nn.Parameter(torch.full(shape, float(init)))

    def forward(self, x):
        return x * self.gamma


class QKVAttention(nn.Module):
    """Multi-head self- or cross-attention with separate q_proj/k_proj/v_proj/out_proj Linears; inputs
    (batch, sequence, embed_dim); forward(query, value, key=None) takes Keras MultiHeadAttention's argument order."""

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(embed_dim, embed_dim, bias=bias)
                                                               for _ in range(4))

    def _heads(self, x):
        n, s, _ = x.shape
        return x.view(n, s, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query, value=None, key=None):
        value = query if value is None else value
        key = value if key is None else key
        q, k, v = self._heads(self.q_proj(query)), self._heads(self.k_proj(key)), self._heads(self.v_proj(value))
        scores = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim), dim=-1)
        out = (scores @ v).transpose(1, 2).reshape(query.shape[0], query.shape[1], self.embed_dim)
        return self.out_proj(out)
