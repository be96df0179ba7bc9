"""One interface over both frameworks, so tests are written once and parametrized by framework.

`adapter("tf")` / `adapter("torch")` import the framework lazily (through tfpt.frameworks, which keeps the
safe import order) and expose: build(spec, seed), layer_outputs(model, x), layer_params(model, name),
predict(model, x), spec_of(model), get_weights(model) / set_weights(model, w) in the canonical (Keras) layout of
the converters (tfpt.convert.layers). Arrays in and out are numpy, channels-last.
"""
from __future__ import annotations

import importlib
from types import SimpleNamespace

from tfpt.study.spec import CNN, STUDY_KERAS, STUDY_TORCH

# The two model pairs: the spec built in both frameworks, and the study's two models as written.
PAIRS = {
    "spec": {"tf": CNN, "torch": CNN},
    "study": {"tf": STUDY_KERAS, "torch": STUDY_TORCH},
}


def adapter(fw: str) -> SimpleNamespace:
    if fw == "tf":
        m = importlib.import_module("tfpt.adapters.study_keras")
        return SimpleNamespace(
            name="tf", build=m.build, layer_outputs=m.layer_outputs, predict=m.predict, spec_of=m.spec_of,
            layer_params=lambda model, name: int(m.named_layers(model)[name].count_params()),
            get_weights=m.get_weights, set_weights=m.set_weights, module=m,
        )
    if fw == "torch":
        m = importlib.import_module("tfpt.adapters.study_torch")

        def layer_params(model, name):
            try:
                return sum(p.numel() for p in m.param_module(model, name).parameters())
            except (AttributeError, KeyError):
                return 0  # no parameters: pool, flatten, relu are functional

        return SimpleNamespace(
            name="torch", build=m.build, layer_outputs=m.layer_outputs, predict=m.predict, spec_of=m.spec_of,
            layer_params=layer_params, get_weights=m.get_weights, set_weights=m.set_weights, module=m,
        )
    raise ValueError(f"unknown framework {fw!r}; use 'tf' or 'torch'")
