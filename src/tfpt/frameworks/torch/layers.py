"""PyTorch side of the weight converters: a module as a `LayerRecord`, and converted weights copied back.

A record holds the module's parameters and buffers in state_dict order, keyed by their path inside the module
("weight"; for a module recorded whole, such as nn.MultiheadAttention: "in_proj_weight", "out_proj.weight"),
except BatchNorm's `num_batches_tracked` counter, which no Keras layer has (it only matters with momentum=None).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.convert import LayerRecord
from tfpt.frameworks import import_torch

_CONFIG = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "padding_mode",
           "in_features", "out_features", "num_features", "eps", "momentum", "affine", "track_running_stats",
           "normalized_shape", "elementwise_affine", "num_embeddings", "embedding_dim", "padding_idx", "max_norm",
           "scale_grad_by_freq", "input_size", "hidden_size", "num_layers", "batch_first", "bidirectional",
           "dropout", "proj_size", "output_padding", "num_groups", "num_heads", "add_zero_attn")
_SKIP = ("num_batches_tracked",)


def _plain(value):
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _own_tensors(module):
    return [(n, t) for n, t in list(module.named_parameters()) + list(module.named_buffers())
            if t is not None and n.rsplit(".", 1)[-1] not in _SKIP]


def weight_count(module) -> int:
    """Elements in the module's parameters and persistent buffers (what torch_record holds), as Keras'
    count_params counts trainable and non-trainable weights alike: a module holding only buffers has weights."""
    kept = set(module.state_dict(keep_vars=True))
    return sum(t.numel() for n, t in _own_tensors(module) if n in kept)


def bare_parameter(model, name: str):
    """A bare parameter's unit ("features.1.0.layer_scale": a parameter its module uses in a functional op, the
    module not being a unit; tfpt.convert.bare) as a module of its own: a new empty nn.Module holding that very
    Parameter object, not a copy, so torch_record reads it, set_torch_weights writes the model's own parameter and
    named_parameters() yields it with its gradient. KeyError where `name` is no direct parameter of a module."""
    owner_name, _, pname = name.rpartition(".")
    try:
        param = model.get_submodule(owner_name)._parameters[pname]
    except (AttributeError, KeyError):
        raise KeyError(f"{name!r} is neither a module nor a direct parameter of one in {type(model).__name__}") \
            from None
    holder = import_torch().nn.Module()
    holder.register_parameter(pname, param)
    return holder


def torch_record(name: str, module, cls: str | None = None) -> LayerRecord:
    """The module's class (or `cls`: a bare parameter's, tfpt.convert.bare), config (its attributes:
    kernel_size, stride, eps, momentum, batch_first, ...; plus use_bias) and its own weights as numpy copies."""
    config = {attr: _plain(getattr(module, attr)) for attr in _CONFIG if hasattr(module, attr)}
    for attr in ("mean", "std"):  # a normalising module's constants (torchvision's Normalize), where plain numbers
        value = getattr(module, attr, None)
        if isinstance(value, (int, float)) or isinstance(value, (list, tuple)) and \
                all(isinstance(v, (int, float)) for v in value):
            config[attr] = _plain(value)
    config.update(_composite_config(module))
    bias = getattr(module, "bias", None)
    config["use_bias"] = bias if isinstance(bias, bool) else bias is not None  # RNNs keep a bool, others a tensor
    order = list(module.state_dict(keep_vars=True))  # registration order: weight, bias, then buffers
    tensors = dict(_own_tensors(module))
    weights = OrderedDict((n, tensors[n].detach().cpu().numpy().copy()) for n in order if n in tensors)
    return LayerRecord("torch", name, cls or type(module).__name__, config, weights)


def _composite_config(module) -> dict:
    """A module recorded whole (a converter's unit: HF's BertLayer) keeps no settings of its own: the activation
    its children apply (canonical id, tfpt.convert.functions) and a LayerNorm's epsilon inside it."""
    children = [m for m in module.modules() if m is not module]
    if not children:
        return {}
    from tfpt.convert.functions import torch_function
    out = {}
    fns = [torch_function(type(m).__name__, getattr(m, "approximate", None)) for m in children]
    fns = [f for f in fns if f and f != "identity"]
    if fns:
        out["activation"] = fns[0]
    eps = [m.eps for m in children if type(m).__name__ == "LayerNorm" and isinstance(getattr(m, "eps", None), float)]
    if eps:
        out["layer_norm_eps"] = eps[0]
    return out


def set_torch_weights(module, weights: dict) -> None:
    """Copy {name: array} into the module's own parameters and buffers, exactly: every one named once, same
    shapes and dtypes (a cast would not be exact)."""
    torch = import_torch()
    tensors = dict(_own_tensors(module))
    if set(weights) != set(tensors):
        raise ValueError(f"torch {type(module).__name__} holds {sorted(tensors)}, got {sorted(weights)}; pass exactly "
                         f"the names torch_record() reports")
    with torch.no_grad():
        for name, value in weights.items():
            value, target = np.asarray(value), tensors[name]
            if tuple(target.shape) != value.shape:
                raise ValueError(f"torch {type(module).__name__}: {name} has shape {tuple(target.shape)}, got "
                                 f"{value.shape}; convert with the record of this very module")
            source = torch.from_numpy(np.array(value, order="C"))  # ascontiguousarray makes a 0-d array 1-d
            if source.dtype != target.dtype:
                raise ValueError(f"torch {type(module).__name__}: {name} is {target.dtype}, got {source.dtype}; "
                                 f"cast the array or the module first")
            target.copy_(source)
