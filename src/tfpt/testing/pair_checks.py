"""Every generic check over every selected model pair (the registered ones, or those named with --pair).

Ids read `[pair]`, `[pair-layer]`, `[pair-layer-direction]`, `[pair-format]`. Weights are shared through the
converter registry, inputs come from the pair's InputSpec, tolerances from the one table (tfpt.tolerances), and
the forward, gradient, step and export figures go through its comparator, so the tolerance gate sees them. A
forward, gradient or step comparison that fails the table is judged again against each framework's own float32
error on the same pair and inputs (tfpt.checks.pairs.agree), so a deep model needs no tolerance of its own.
A check that needs the layer correspondence carries `pair_matched`: the plugin skips it, with the reason, where
the pair cannot be matched.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from tfpt import frameworks
from tfpt.checks import pairs as P
from tfpt.compare import assert_close, record
from tfpt.match import MatchError
from tfpt.pair import PairError
from tfpt.testing import sessions as S

pytestmark = [pytest.mark.tf, pytest.mark.torch]
matched = pytest.mark.pair_matched


def test_layers_correspond(model_pair, measurements):
    """Every layer with parameters has its counterpart (same kind, a converter, equal parameter count)."""
    try:
        pm = S.built(model_pair)
    except (MatchError, PairError) as exc:
        pytest.fail(f"{model_pair.name}: {exc}", pytrace=False)
    assert pm.match.params, f"{model_pair.name}: no layer with parameters found"
    measurements[f"pair {model_pair.name} layers"] = {
        "matched": [f"{k.name}↔{t.name}" for k, t, _ in pm.match.params],
        "params": sum(k.param_count for k, _, _ in pm.match.params),
        "only keras": [e.name for e in pm.match.only_keras], "only torch": [e.name for e in pm.match.only_torch]}
    if model_pair.tolerances:  # each override beside the table's default, where the figures are read
        measurements[f"pair {model_pair.name} tolerance overrides"] = model_pair.tolerance_overrides()


@matched
def test_configurations_match(model_pair, measurements):
    """No matched layer differs in a setting that changes the math (epsilon, momentum, padding, bias, ...), except
    those the pair declares accepted (`accept`); an accept entry that matches no difference fails too."""
    from tfpt.checks.differences import named_differences
    from tfpt.convert.named import unaccepted_message
    diffs, unused = named_differences(S.models(model_pair))
    measurements[f"pair {model_pair.name} config differences"] = [
        d.key + (" (accepted)" if d.accepted else "") for d in diffs]
    message = unaccepted_message(model_pair.name, diffs, unused)
    if message:
        pytest.fail(message, pytrace=False)


@matched
def test_parameters_agree(model_pair, measurements):
    """An as-is pair's own parameters agree, PyTorch's brought to Keras' layout by the converters: a converter
    that dropped, re-initialised or mis-permuted a weight is named here, by layer and weight."""
    if not model_pair.as_is:
        pytest.skip(f"{model_pair.name}: the suite copies one set of weights into both models (as_is=False); the "
                    f"converters' exactness is test_weight_round_trip_is_exact")
    k, t = P.parameters(S.models(model_pair))
    result = assert_close(k, t, model_pair.tolerance("parameters"), what="parameter")
    measurements[f"pair {model_pair.name} parameters max |Δ|"] = result.max_abs


@matched
def test_layer_output_shape(model_pair, pair_layer):
    k, t = S.outputs(model_pair, "tf->torch")  # traced once per pair, not once per layer
    assert k[pair_layer].shape == t[pair_layer].shape, \
        f"{model_pair.name} {pair_layer}: Keras {k[pair_layer].shape}, PyTorch (in Keras' layout) " \
        f"{t[pair_layer].shape}" + S.explain(model_pair, pair_layer)


@matched
@pytest.mark.parametrize("direction", P.DIRECTIONS)
def test_forward_layer(model_pair, pair_layer, direction, measurements):
    """This layer's output agrees, and every compared output before it (the first divergent one is named)."""
    if direction != P.DIRECTIONS[0]:
        S.skip_as_is(model_pair, "no weights are copied, so both directions are one comparison")
    keras_out, torch_out = S.outputs(model_pair, direction)
    verdict = S.forward_verdict(model_pair, direction)
    rows = {r.name: r for r in verdict.result.rows}
    before = list(keras_out)[:list(keras_out).index(pair_layer)]
    names = [n for n in before if not rows[n].ok][:1] + [pair_layer]
    if not all(rows[n].ok for n in names):
        pytest.fail(f"{model_pair.name}: {verdict.message(rows=[rows[n] for n in names])}"
                    f"{S.explain(model_pair, names[0])}", pytrace=False)
    if not verdict.own:
        record({pair_layer: keras_out[pair_layer]}, {pair_layer: torch_out[pair_layer]},
               model_pair.tolerance("forward"))
    figures = measurements.setdefault(f"pair {model_pair.name} forward max |Δ| {direction}", {})
    figures[pair_layer] = rows[pair_layer].max_abs
    if pair_layer in verdict.own:
        f = verdict.figures()[pair_layer]
        measurements.setdefault(f"pair {model_pair.name} forward own float32 error {direction}", {})[pair_layer] = \
            {k: f[k] for k in ("keras_own", "torch_own", "cross")}


def judged(model_pair, verdict, expected, actual, what: str, measurements, key: str) -> None:
    """Fail with the verdict's message (naming each framework's own float32 error where it was measured), or
    record its figures: for the tolerance gate where the table's entry alone passed it, else each entry's own
    errors beside the cross difference, their largest, under `key` ("... own float32 error")."""
    if not verdict.ok:
        pytest.fail(f"{model_pair.name}: {verdict.message(what)}", pytrace=False)
    if verdict.own:
        measurements[f"{key} own float32 error"] = verdict.summary()
    else:
        record(expected, actual, verdict.result.tol)


@matched
@pytest.mark.parametrize("direction", P.DIRECTIONS)
def test_model_outputs_match(model_pair, direction, measurements):
    """The models' own outputs, each model called whole after its declared head, agree, whatever the layers
    matched: a step after the last compared layer (log_softmax where logits are declared, a missing head) fails
    here even where every per-layer check passes."""
    if direction != P.DIRECTIONS[0]:
        S.skip_as_is(model_pair, "no weights are copied, so both directions are one comparison")
    pm, x = S.models(model_pair, direction), S.batch(model_pair)[0]

    def named(out):  # a pair declaring several outputs gets each under its Keras name
        return out if isinstance(out, dict) else {"output": out}
    k, t = map(named, P.model_outputs(pm, x))

    def own():
        twins = P.own_model_outputs(pm, x)
        return None if twins is None else (named(twins[0]), named(twins[1]))
    verdict = P.agree(k, t, model_pair.tolerance("forward"), own)
    key = f"pair {model_pair.name} model output max |Δ| {direction}"
    judged(model_pair, verdict, k, t, "model output", measurements, key)
    measurements[key] = verdict.result.max_abs


@matched
def test_weight_round_trip_is_exact(model_pair):
    """Keras -> PyTorch -> Keras gives the Keras weights back bit for bit."""
    S.skip_as_is(model_pair, "its builders give one set of weights, so a probe model cannot start from others; "
                             "test_parameters_agree compares its two models' weights through the same converters")
    pm = S.models(model_pair)
    before = P.flat(P.keras_weights(pm))
    P.to_torch(pm)
    probe = P.build(model_pair, seed=S.SEED + 1)  # other weights, overwritten from PyTorch
    probe.torch_model = pm.torch_model
    P.to_keras(probe)
    after = P.flat(P.keras_weights(probe))
    differ = [n for n in before if not np.array_equal(before[n], after[n])]
    assert not differ, f"{model_pair.name}: weights changed in the round trip: {differ}"


@matched
def test_gradients(model_pair, measurements):
    """The loss (forward tolerance) and every parameter's gradient, ||g_tf - g_torch|| / ||g_tf|| per tensor."""
    x, y = S.batch(model_pair)
    pm = S.models(model_pair)
    (loss_k, loss_t), kg, tg = P.gradients(pm, x, y)
    twins = functools.cache(lambda: P.own_gradients(pm, x, y))  # one float64 run serves the loss and gradients
    key = f"pair {model_pair.name} gradient relative error"
    loss = {"loss": np.float64(loss_k)}, {"loss": np.float64(loss_t)}
    verdict = P.agree(*loss, model_pair.tolerance("forward"), lambda: None if twins() is None else (
        {"loss": np.float64(twins()[0][0])}, {"loss": np.float64(twins()[0][1])}))
    judged(model_pair, verdict, *loss, "loss", measurements, f"{key} loss")
    verdict = P.agree(kg, tg, model_pair.tolerance("gradient"), lambda: None if twins() is None else twins()[1:])
    judged(model_pair, verdict, kg, tg, "gradient", measurements, key)
    measurements[key] = {"loss_tf": loss_k, "loss_torch": loss_t, **{r.name: r.max_rel for r in verdict.result.rows}}


@matched
def test_sgd_steps(model_pair, measurements):
    """5 plain SGD steps (lr 0.01) from shared weights on the same batches give the same weights."""
    pm = P.shared(model_pair, "tf->torch", S.SEED)
    x, y = S.batch(model_pair, 5 * 8)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 40, 8)]
    keras_after, torch_after = P.sgd_steps(pm, batches)
    verdict = P.agree(keras_after, torch_after, model_pair.tolerance("sgd_steps"),
                      lambda: P.own_sgd_steps(model_pair, batches, direction="tf->torch", seed=S.SEED))
    key = f"pair {model_pair.name} SGD 5 steps max |Δ|"
    judged(model_pair, verdict, keras_after, torch_after, "weight", measurements, key)
    measurements[key] = verdict.result.max_abs


@pytest.mark.parametrize("fw", frameworks.FRAMEWORKS)
def test_same_seed_same_model(model_pair, fw):
    S.skip_as_is(model_pair, "its builders return models with fixed weights, so seeds do not apply")
    adapter = frameworks.get(fw).module("adapter")
    a, b, c = (adapter.build(model_pair, s) for s in (S.SEED, S.SEED, S.SEED + 1))
    x = S.batch(model_pair)[0][:4]
    x = frameworks.get(fw).inputs(model_pair, x)
    pa, pb, pc = (adapter.predict(m, x) for m in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(pa, pc), f"{model_pair.name}: another seed built the same {fw} model"


@matched
def test_export_reloads_in_fresh_process(model_pair, pair_format, tmp_path_factory, measurements):
    """The untrained seeded model, exported and reloaded by the deployer in a process that imports only its own
    framework's runtimes (one such process per framework for all of a pair's formats), gives the in-memory
    model's outputs at batch 1 and 7."""
    from tfpt import exports
    fw, pm = exports.framework_of(pair_format), S.models(model_pair)
    done = S.deployed(model_pair, str(tmp_path_factory.getbasetemp() / f"exports-{model_pair.name}"))
    if isinstance(done[pair_format], str):
        pytest.fail(f"{model_pair.name}: {done[pair_format]}", pytrace=False)
    artifact, x, result, loaded, out = done[pair_format]
    assert result["code"] == 0, f"{model_pair.name}: the {pair_format} deployer exited {result['code']}: " \
                                f"{result['stderr'][-2000:]}"
    info = json.loads(result["stdout"].strip().splitlines()[-1])
    other = frameworks.other(fw).modules[0]
    assert info["format"] == pair_format and other not in loaded, \
        f"{model_pair.name}: the {pair_format} deployer reported format {info['format']!r} and loaded {other} " \
        f"(it must import only its own runtime); loaded: {sorted(loaded)}"
    model = frameworks.get(fw).model(pm)
    got, expected = np.load(out), frameworks.get(fw).module("adapter").predict(model, x)
    kind = "export-tflite" if pair_format == "tflite" else "export"
    result = assert_close({f"b{n}": expected[:n] for n in (1, 7)}, {f"b{n}": got[f"b{n}"] for n in (1, 7)},
                          model_pair.tolerance(kind),
                          "batch")
    measurements[f"pair {model_pair.name} export {pair_format} max |Δ|"] = result.max_abs


@matched
def test_training_mode_steps(model_pair, measurements):
    """5 Adam steps of batch 8 in training mode (batch statistics, running statistics updated; every dropout rate
    set to 0 on both sides for the check), Keras' epsilon and placement on both sides, from shared weights: the
    weights, BatchNorm's running statistics and Adam's moments agree (tfpt.checks.training_mode). A BatchNorm
    momentum difference fails here, named; where the pair accepts it, this check skips with the pair's reason.
    Each framework's own Adam defaults are run too and recorded (their epsilon difference fails the bound)."""
    from tfpt.checks import training_mode as T
    reason = T.skip_reason(model_pair, S.models(model_pair))
    if reason:
        pytest.skip(reason)
    result = T.check(model_pair, "matched", seed=S.SEED)
    if not result.ok:
        pytest.fail(result.message(), pytrace=False)
    result.record()
    defaults = T.check(model_pair, "defaults", seed=S.SEED)
    measurements[f"pair {model_pair.name} training mode 5 Adam steps"] = {
        "matched": result.figures(), "defaults": defaults.figures(),
        "defaults verdict": "agree" if defaults.ok else defaults.message()}


# ------------------------------------------------------------ each worker side (Flax) against the Keras side

def _sides(model_pair, pair_side):
    """tfpt.checks.sides, or a skip with the reason where this side cannot be checked here (Flax not installed)."""
    from tfpt.checks import sides
    reason = sides.side_skip_reason(model_pair, pair_side)
    if reason:
        pytest.skip(reason)
    return sides


def _side_judged(model_pair, pair_side, verdict, what: str, measurements, key: str, relative: bool = False) -> None:
    """Fail with the verdict's message (the first divergent entry named), or record each entry's figure (max |Δ|,
    or the relative error of a norm tolerance) under `key`."""
    if not verdict.ok:
        pytest.fail(f"{model_pair.name}, {pair_side} against keras: {verdict.message(what)}", pytrace=False)
    measurements[key] = {r.name: r.max_rel if relative else r.max_abs for r in verdict.result.rows}
    if verdict.own:
        measurements[f"{key} own float32 error"] = verdict.summary()


@matched
def test_side_layers_and_output_match_keras(model_pair, pair_side, measurements):
    """The side's model, built by its worker and given the Keras model's weights, gives Keras' output at every
    mapped layer (Keras' fused activation applied) and at the model's own output; the first divergent is named."""
    sides = _sides(model_pair, pair_side)
    verdict = sides.side_forward(S.models(model_pair), pair_side, S.batch(model_pair)[0])
    _side_judged(model_pair, pair_side, verdict, "layer", measurements,
                 f"pair {model_pair.name} {pair_side} forward max |Δ|")


@matched
def test_side_gradients_match_keras(model_pair, pair_side, measurements):
    """The loss and every trainable weight's gradient (inference mode), the side's against Keras'."""
    sides = _sides(model_pair, pair_side)
    x, y = S.batch(model_pair)
    loss, grads = sides.side_gradients(S.models(model_pair), pair_side, x, y)
    key = f"pair {model_pair.name} {pair_side} gradient"
    _side_judged(model_pair, pair_side, loss, "loss", measurements, f"{key} loss |Δ|")
    _side_judged(model_pair, pair_side, grads, "gradient", measurements, f"{key} relative error", relative=True)


@matched
def test_side_adam_step_matches_keras(model_pair, pair_side, measurements):
    """One Adam step of batch 8 in training mode (Keras' Adam, dropout rates 0) from Keras' weights: the weights
    (those whose gradient is zero by construction within Adam's travel) and the moving statistics after it, the
    side's against Keras'."""
    sides = _sides(model_pair, pair_side)
    x, y = S.batch(model_pair, 8)
    weights, noise, moving = sides.side_step(S.models(model_pair), pair_side, x, y)
    key = f"pair {model_pair.name} {pair_side} Adam step max |Δ|"
    _side_judged(model_pair, pair_side, weights, "weight", measurements, key)
    for verdict, what, group in ((noise, "weight", "zero-gradient weights"), (moving, "statistic", "statistics")):
        if verdict.result.rows:
            _side_judged(model_pair, pair_side, verdict, what, measurements, f"{key} {group}")
