"""A pair's configuration differences in words: `differences(pair)` (re-exported as `tfpt.differences`) builds and
traces both models and returns one record per setting of a matched layer that differs (an epsilon, a momentum, a
padding, a fused activation nothing applies on the PyTorch side, a preprocessing layer on one side only), with the
pair's `accept` reasons attached; `named_differences` does it for models already built (the checks, the porting
command and the pytest plugin call it).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from tfpt.checks import pairs as checks
from tfpt.convert.kinds import Kind
from tfpt.convert.named import activation_difference, preprocessing_difference, record, with_accepted
from tfpt.frameworks import KERAS_SIDE, TORCH_SIDE, on_side
from tfpt.pair import ModelPair


def differences(pair: ModelPair, seed: int = 0) -> list:
    """The traced configuration differences between the pair's matched layers, as `tfpt.convert.named.
    PairDifference` records (layer on each side, what differs, both values, the fix; `accepted` holds the pair's
    reason where `accept` declares it). Builds and traces both models (imports both frameworks); raises
    tfpt.match.MatchError where the layers cannot be matched."""
    return named_differences(checks.build(pair, seed))[0]


def named_differences(pm) -> tuple[list, list[str]]:
    """(records, accept keys that matched nothing) for built pair models (tfpt.checks.pairs.PairModels): each
    matched layer's configuration differences; each matched activation step whose functions differ, and a Keras
    layer's fused activation that nothing applies on the PyTorch side (replacing the converter's informational
    note); each preprocessing layer present on one side only, with its constants."""
    by_keras = {k.name: (k, t) for k, t, _ in pm.match.params}
    fused = {k.label: k for k in pm.match.only_keras if k.function and k.label in by_keras}
    acts = [(label, k, t) for label, k, t in pm.match.functions]
    out = []
    for layer, d in checks.config_differences(pm):
        k, t = by_keras[layer]
        out.append(record(k.name, t.name, k.cls, t.cls, d))  # type: ignore[arg-type]  # a convert.Difference
    # the converter's note on a fused activation, where the functions applied are compared instead
    compared = set(fused) | {label for label, _, _ in acts}
    out = [d for d in out if not (d.field == "activation" and d.keras_layer in compared)]
    for label, k in fused.items():
        owner, t = by_keras[label]
        out += [x for x in [activation_difference(label, t.name, owner.cls, t.cls, k.function, None)] if x]
    for label, k, t in acts:
        owner = by_keras[label][0].cls if label in by_keras else k.cls
        out += [x for x in [activation_difference(label, t.name, owner, t.cls, k.function, t.function)] if x]
    for side, events, model in ((KERAS_SIDE, pm.match.only_keras, pm.keras_model),
                                (TORCH_SIDE, pm.match.only_torch, pm.torch_model)):
        pre = [e.name for e in events if e.kind == Kind.PREPROCESS]
        if pre:
            for name, rec in on_side(side).module("adapter").records(model, pre).items():
                out.append(preprocessing_difference(side, name, rec.cls, rec.config, dict(rec.weights)))
    counts = Counter(k.cls for k, _, _ in pm.match.params)
    out = [replace(d, of=counts.get(d.keras_class, 0)) for d in out]
    return with_accepted(out, pm.pair.accept)
