"""Per-session caches of the generic checks: each pair is built, matched and compared once per pytest process,
however many parametrized tests read the result."""
from __future__ import annotations

import functools

from tfpt import frameworks
from tfpt.checks import pairs as P
from tfpt.match import MatchError
from tfpt.pair import ModelPair, PairError

SEED = 0
BATCH = 256  # the default samples for the forward and gradient checks (ModelPair.batch overrides it)


def built(pair: ModelPair, direction: str = "tf->torch") -> P.PairModels:
    return _built(pair, "tf->torch" if pair.as_is else direction)  # as-is: nothing copied, one build


def skip_as_is(pair: ModelPair, why: str) -> None:
    """Skip a check that means nothing for a pair whose models hold their own weights (ModelPair.as_is)."""
    if pair.as_is:
        import pytest
        pytest.skip(f"{pair.name} is an as-is pair (as_is=True): {why}")


@functools.cache
def _built(pair: ModelPair, direction: str) -> P.PairModels:
    return P.shared(pair, direction, SEED)


def models(pair: ModelPair, direction: str = "tf->torch") -> P.PairModels:
    """The shared-weight pair. A check that needs it carries the `pair_matched` marker: where the correspondence
    cannot be found, the plugin skips it with the reason (match_error) before it starts."""
    return built(pair, direction)


@functools.cache
def match_error(pair: ModelPair) -> str | None:
    """Why the pair's layer correspondence cannot be found, or None where it can (built once per process)."""
    try:
        built(pair)
    except (MatchError, PairError) as exc:
        return str(exc)
    return None


def batch(pair: ModelPair, n: int | None = None):
    """n samples (default: the pair's `batch`, else 256) and seeded labels, made once per process."""
    return _batch(pair, pair.sample_batch if n is None else n)


@functools.cache
def _batch(pair: ModelPair, n: int):
    x = pair.input.batch(n, SEED)
    return x, P.labels(pair, n, SEED)


def layer_inputs(pair: ModelPair, direction: str):
    """The samples the per-layer comparison records: the pair's batch, capped to fit the recording budget."""
    x = batch(pair)[0]
    return x[:P.layer_batch(models(pair, direction), len(x))]


@functools.cache
def outputs(pair: ModelPair, direction: str):
    """Both models' compared outputs on layer_inputs, in Keras' layout: ({label: array}, {label: array})."""
    return P.outputs(models(pair, direction), layer_inputs(pair, direction))


@functools.cache
def forward_verdict(pair: ModelPair, direction: str) -> P.Verdict:
    """Every compared output judged once (P.agree: the table's tolerance, else each framework's own float32
    error measured on the same samples), so each per-layer check reads its row."""
    k, t = outputs(pair, direction)
    return P.agree(k, t, pair.tolerance("forward"),
                   lambda: P.own_outputs(models(pair, direction), layer_inputs(pair, direction)))


@functools.cache
def divergent(pair: ModelPair, direction: str) -> list[str]:
    """The compared outputs that disagree beyond the pair's forward tolerance, in order: one comparison of every
    output, so each per-layer check reads it instead of comparing all the layers before it again (ResNet50 has
    174 compared outputs)."""
    return [r.name for r in forward_verdict(pair, direction).result.rows if not r.ok]


@functools.cache
def _named(pair: ModelPair) -> dict:
    """{Keras layer: [its material, not accepted configuration differences, in words]}, found once."""
    from tfpt.checks.differences import named_differences
    out: dict = {}
    for d in named_differences(models(pair))[0]:
        if d.material and not d.accepted:
            out.setdefault(d.keras_layer, []).append(str(d))
    return out


def explain(pair: ModelPair, layer: str) -> str:
    """Where an output first differs: the configuration differences of that layer or of the nearest matched layer
    before it that has some ("; Keras conv3_block1_1_conv (Conv2D) vs PyTorch layer2.0.conv1 (Conv2d): Conv2D
    stride (2, 2) vs (1, 1)"), or "" where no setting differs (then the numbers are all there is)."""
    try:
        named = _named(pair)
    except Exception:  # an explanation must never hide the failure it explains
        return ""
    order = built(pair).match.labels
    upto = order[:order.index(layer) + 1] if layer in order else order
    found = next((n for n in reversed(upto) if n in named), None) or \
        next((n for n in named if n not in order), None)  # a layer on one side only (a Rescaling) precedes all
    return f"; configuration differs at or before it: {'; '.join(named[found])}" if found else ""


def point_labels(pair: ModelPair) -> list[str]:
    """The compared outputs' names, for test ids; ["unmatched"] when the pair cannot be matched (the check
    that needs the match then reports why)."""
    try:
        return built(pair).match.labels
    except Exception:  # collection must never crash on a user's pair: the tests report the failure
        return ["unmatched"]


@functools.cache
def deployed(pair: ModelPair, folder: str) -> dict:
    """Every export format of the pair's untrained seeded models, exported here and reloaded by the deployer in
    one fresh process per framework (the two run at once), at batch 1 and 7: {format: (artifact, input, result,
    loaded modules, outputs file)}, or the exporter's error message for a format whose export failed. A format
    whose packages are missing is absent (its test skips with the reason)."""
    import importlib.util
    import json
    import subprocess
    import sys
    from pathlib import Path

    import numpy as np

    from tfpt import exports
    from tfpt.procs import child_env
    formats = pair.export_formats(exports.FORMATS)  # only what the pair declares: formats=() exports nothing
    if not formats:
        return {}
    pm, root = models(pair), Path(folder)
    x = batch(pair)[0][:7]
    jobs: dict = {fw: [] for fw in frameworks.FRAMEWORKS}
    out: dict = {}
    for fmt in formats:
        if any(importlib.util.find_spec(m) is None for m in exports.NEEDS.get(fmt, ())):
            continue
        fw = exports.framework_of(fmt)
        model, xin = frameworks.get(fw).model(pm), frameworks.get(fw).inputs(pair, x)
        try:
            art = exports.export(fw, model, fmt, root / fmt, xin)
        except Exception as exc:  # one exporter's failure is that format's test failure, not its neighbours'
            out[fmt] = f"exporting {fmt} failed: {type(exc).__name__}: {exc}"
            continue
        np.save(root / f"{fmt}-in.npy", xin)
        argv = [fmt, str(art.path), str(root / f"{fmt}-in.npy"), str(root / f"{fmt}-out.npz"), "1,7"]
        jobs[fw].append((fmt, art, xin, argv))
    procs = {}
    for fw, js in jobs.items():
        if js:
            (root / f"jobs-{fw}.json").write_text(json.dumps([j[3] for j in js]))
            procs[fw] = subprocess.Popen(
                [sys.executable, "-m", "tfpt.testing.deploy_many", str(root / f"jobs-{fw}.json")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
    for fw, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"the {fw} deployer process failed (exit {proc.returncode}): {stderr[-2000:]}")
        doc = json.loads(stdout.strip().splitlines()[-1])
        for (fmt, art, xin, _), result in zip(jobs[fw], doc["results"], strict=True):
            out[fmt] = (art, xin, result, doc["loaded"], root / f"{fmt}-out.npz")
    return out
