"""Keras' loss, gradients and optimizer steps in the canonical (Keras) layout, for the numeric tests (the same
functions as tfpt.frameworks.torch.steps).

The loss is the model's own, built from the training settings (tfpt.settings.STUDY unless told otherwise) by the
trainer's own `make_loss`: cross-entropy on logits for a logits head, sparse categorical cross-entropy on
probabilities for the study's softmax head (as the study trained them). `forward_backward` back-propagates a loss
derivative given from outside (the NumPy reference of tfpt.training.reference) through the network.
`float64_twin` / `float64` give any pair's Keras model a float64 twin holding the same weights, and run the pair
adapter's losses and steps in float64: Keras' own reference, against which its float32 error is measured.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from tfpt.arrays import flat
from tfpt.settings import STUDY, TrainSettings
from tfpt.spec import param_layers


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, settings: TrainSettings = STUDY) -> tuple[float, OrderedDict]:
    from tfpt.frameworks.keras import cnn as tfa
    from tfpt.frameworks.keras.train import make_loss
    tf = tfa.tf
    spec = tfa.spec_of(model)
    loss_fn = make_loss(settings, spec.head)
    named = tfa.named_layers(model)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    variables = [v for layer in param_layers(spec) for v in named[layer.name].trainable_weights]
    grads = tape.gradient(loss, variables)
    out = OrderedDict()
    for i, layer in enumerate(param_layers(spec)):
        out[layer.name + ".kernel"] = np.asarray(grads[2 * i])
        out[layer.name + ".bias"] = np.asarray(grads[2 * i + 1])
    return float(loss), out


def forward_backward(model, x: np.ndarray, loss_and_grad) -> tuple[float, OrderedDict]:
    """Forward `x` (training mode), hand the output to `loss_and_grad(output) -> (loss, dloss/doutput)` and
    back-propagate that derivative: (loss, canonical gradients)."""
    from tfpt.frameworks.keras import cnn as tfa
    tf = tfa.tf
    spec = tfa.spec_of(model)
    named = tfa.named_layers(model)
    variables = [v for layer in param_layers(spec) for v in named[layer.name].trainable_weights]
    with tf.GradientTape() as tape:
        out = model(x, training=True)
    loss, dout = loss_and_grad(np.asarray(out))
    grads = tape.gradient(out, variables, output_gradients=tf.constant(dout.astype(np.float32)))
    res = OrderedDict()
    for i, layer in enumerate(param_layers(spec)):
        res[layer.name + ".kernel"] = np.asarray(grads[2 * i])
        res[layer.name + ".bias"] = np.asarray(grads[2 * i + 1])
    return loss, res


def steps(model, optimizer, batches, settings: TrainSettings = STUDY) -> OrderedDict:
    """Train on each (x, y) batch in order with train_on_batch; return the canonical weights."""
    from tfpt.frameworks.keras import cnn as tfa
    from tfpt.frameworks.keras.train import make_loss
    model.compile(optimizer=optimizer, loss=make_loss(settings, tfa.spec_of(model).head))
    for x, y in batches:
        model.train_on_batch(x, y)
    return flat(tfa.get_weights(model))


@contextmanager
def float64() -> Iterator[None]:
    """Within this block, what the pair adapter builds, and the losses and optimizers it makes, compute in float64
    (floatx and the global dtype policy)."""
    from tfpt.frameworks import import_keras as keras
    k = keras()
    floatx, policy = k.config.floatx(), k.config.dtype_policy()
    k.config.set_floatx("float64")
    k.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        k.config.set_floatx(floatx)
        k.config.set_dtype_policy(policy)


def float64_twin(pair, model, seed: int = 0):
    """`model` (a pair's Keras model) rebuilt in float64 holding the same weights, or None where the pair's builder
    fixes a dtype of its own (its twin would not be float64: no own error can be measured)."""
    from tfpt.frameworks.keras import pair as adapter
    with float64():
        twin = adapter.build(pair, seed)  # the same builder, names reset: the same layers in float64
    if any(str(getattr(v.dtype, "name", v.dtype)) != "float64" for v in twin.weights if "float" in str(v.dtype)):
        return None
    twin.set_weights([np.asarray(w, np.float64) if np.issubdtype(np.asarray(w).dtype, np.floating) else w
                      for w in model.get_weights()])
    return twin
