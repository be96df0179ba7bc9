"""Building a model pair with one framework's weights copied into the other, and comparing them layer by layer.

Direction "tf->torch" builds both models, copies the Keras weights into PyTorch through tfpt.study.layouts, and
asserts the weights equal (after conversion) before anything numeric is compared; "torch->tf" the reverse.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.adapters.study import PAIRS, adapter
from tfpt.arrays import softmax
from tfpt.compare import Comparison, assert_close, compare
from tfpt.tolerances import Tol, tol

DIRECTIONS = ("tf->torch", "torch->tf")


def weights_equal(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(np.array_equal(x, y) for n in a for x, y in zip(a[n], b[n], strict=True))


def shared_pair(pair: str, direction: str = "tf->torch", seed: int | None = None, transfer=None):
    """(keras_model, torch_model) holding the same weights. `transfer(weights, torch_model)` may replace the
    PyTorch side's loader (the negative controls pass defective ones)."""
    tfa, tha = adapter("tf"), adapter("torch")
    keras_model, torch_model = tfa.build(PAIRS[pair]["tf"], seed=seed), tha.build(PAIRS[pair]["torch"], seed=seed)
    if direction == "tf->torch":
        weights = tfa.get_weights(keras_model)
        (transfer or tha.set_weights)(torch_model, weights)
        if transfer is None:
            assert weights_equal(tha.get_weights(torch_model), weights), "weights differ after tf->torch transfer"
    elif direction == "torch->tf":
        weights = tha.get_weights(torch_model)
        tfa.set_weights(keras_model, weights)
        assert weights_equal(tfa.get_weights(keras_model), weights), "weights differ after torch->tf transfer"
    else:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    return keras_model, torch_model


def common_outputs(keras_model, torch_model, x: np.ndarray) -> tuple[OrderedDict, OrderedDict]:
    """Activations of the layers both models have, in one layout; a logits head is passed through softmax where
    the other model's head emits probabilities (the study pair), so the two compare like for like."""
    tfa, tha = adapter("tf"), adapter("torch")
    k_out, t_out = tfa.layer_outputs(keras_model, x), tha.layer_outputs(torch_model, x)
    names = [n for n in k_out if n in t_out]
    k_spec, t_spec = tfa.spec_of(keras_model), tha.spec_of(torch_model)
    if k_spec.head == "softmax" and t_spec.head == "logits":
        t_out[names[-1]] = softmax(t_out[names[-1]])
    return OrderedDict((n, k_out[n]) for n in names), OrderedDict((n, t_out[n]) for n in names)


def compare_forward(keras_model, torch_model, x: np.ndarray, tolerance: Tol | None = None) -> Comparison:
    k, t = common_outputs(keras_model, torch_model, x)
    return compare(k, t, tolerance or tol("forward"))


def assert_forward_equal(keras_model, torch_model, x: np.ndarray, tolerance: Tol | None = None) -> Comparison:
    k, t = common_outputs(keras_model, torch_model, x)
    return assert_close(k, t, tolerance or tol("forward"))
