"""Training-mode parity: Adam steps in training mode from shared weights on the same batches, then the weights,
BatchNorm's running statistics and Adam's moments compared in Keras' layout.

The other step check (`tfpt.checks.pairs.sgd_steps`) runs plain SGD in inference mode, where a BatchNorm momentum
difference is invisible; here BatchNorm normalises with batch statistics and updates its running statistics, so a
wrong momentum (Keras' default 0.99 against PyTorch's default momentum=0.1, which is Keras 0.9) fails, named in
words, unless the pair declares it accepted (`accept={"momentum": ...}`), in which case the check skips.
Dropout is off for the check's duration: every dropout rate is set to 0 on both sides (and restored after), so the
steps are deterministic. Adam runs in two variants: each framework's defaults (Keras epsilon 1e-7 added to sqrt(v)
before bias correction, PyTorch eps 1e-8 after it: `tfpt.settings`) and matched (Keras' epsilon and placement on
both sides). PyTorch updates running_var with the unbiased batch variance (times n / (n - 1), n the values per
channel in the batch), Keras moving_variance with the biased one; PyTorch's is brought to Keras' convention exactly
(from its own momentum and the shared start) before the comparison. Adam's moments are mapped with the converters'
gradient layout (`grads_to_keras`: a linear map, so it holds for m and v as for gradients).

Framework-neutral: it talks to the two adapters (tfpt.frameworks.get(fw).module("adapter")) and to numpy only.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from tfpt.checks import pairs as P
from tfpt.compare import Comparison, compare, record
from tfpt.frameworks import get
from tfpt.pair import ModelPair
from tfpt.settings import TrainSettings
from tfpt.tolerances import Tol

STEPS, BATCH = 5, 8
ADAM_MATCHED_STEPS = 10  # the steps tfpt.tolerances' `adam_matched` was measured at
_DEFAULTS = TrainSettings()  # each framework's own Adam defaults (tfpt.settings: lr, betas, epsilon, placement)
VARIANTS = {"defaults": (_DEFAULTS.keras_adam, _DEFAULTS.torch_adam),
            "matched": (_DEFAULTS.keras_adam, _DEFAULTS.keras_adam)}
STATISTICS = ("moving_mean", "moving_variance")
# A weight's Adam first moment counts as zero by construction where both sides' norm is at most this fraction of
# all first moments' norm. Measured after 5 steps, seeds 0-3: bn-cnn's conv2.bias (before a training-mode
# BatchNorm) 6.4e-8 .. 1.0e-7, transformer-block's attention key bias 6e-11 .. 9e-11; the smallest other weight's
# 1.3e-4 (transformer-block attention.key/kernel), 1.2e-2 on bn-cnn.
ZERO_MOMENT = 1e-5


@dataclass
class TrainingParity:
    """What N training-mode Adam steps left on both sides, compared: `weights` (every weight but the statistics),
    `noise` (weights whose gradient is zero by construction, moved by Adam on rounding noise alone: bounded by
    Adam's own largest travel), `statistics` (BatchNorm moving mean and variance) and `moments` (Adam's m and v per
    trainable weight); `momentum`: the pair's BatchNorm momentum differences that it does not accept."""
    pair: str
    variant: str
    steps: int
    weights: Comparison
    noise: Comparison
    statistics: Comparison
    moments: Comparison
    momentum: list = field(default_factory=list)
    adam: tuple = ()
    # ((keras, torch, tolerance), ...) of the table-bounded groups, for `record`
    values: tuple = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in (self.weights, self.noise, self.statistics, self.moments))

    def message(self) -> str:
        """Why it failed, in words: a momentum difference first (it moves the running statistics), then an Adam
        epsilon difference (the defaults variant), then the first divergent entry of each failing group."""
        parts = []
        if self.momentum and not self.statistics.ok:
            parts.append(momentum_words(self.momentum, self.steps, self.statistics))
        k, t = self.adam
        if self.variant == "defaults" and (k.epsilon, k.epsilon_placement) != (t.epsilon, t.epsilon_placement) \
                and not (self.weights.ok and self.moments.ok):
            parts.append(f"Adam epsilon {k.epsilon:g} (Keras, added to sqrt(v) before bias correction) vs "
                         f"{t.epsilon:g} (PyTorch, after it): weights after {self.steps} training steps differ by "
                         f"max |Δ| {self.weights.max_abs:.3g}; fix: train both with one epsilon and placement "
                         f"(the 'matched' variant)")
        for what, result in (("weight", self.weights), ("weight with a zero-by-construction gradient", self.noise),
                             ("running statistic", self.statistics), ("Adam moment", self.moments)):
            if not result.ok:
                parts.append(result.message(what))
        if not parts:
            return f"{self.pair}: all agree after {self.steps} training-mode Adam steps ({self.variant})"
        return f"{self.pair}, {self.steps} training-mode Adam steps ({self.variant}): " + "; ".join(parts)

    def record(self) -> None:
        """Report each table-bounded group's figure to the tolerance gate (tfpt.compare.record), where it passed;
        moments of zero-by-construction weights are left out (their own norm is ~0)."""
        for keras_values, torch_values, bound in self.values:
            if keras_values and compare(keras_values, torch_values, bound).ok:  # a model without BatchNorm has none
                record(keras_values, torch_values, bound)

    def figures(self) -> dict:
        """The measured figures, for the run's measurements: max |Δ| per group, the noise-driven weights named."""
        return {"weights max |Δ|": self.weights.max_abs, "statistics max |Δ|": self.statistics.max_abs,
                "moments max ||Δ|| / ||.||": max((r.max_rel for r in self.moments.rows), default=0.0),
                "zero-gradient weights": {r.name: r.max_abs for r in self.noise.rows}}


def momentum_words(diffs: list, steps: int, statistics: Comparison) -> str:
    """"BatchNorm momentum 0.99 (Keras) vs 0.9 (PyTorch momentum=0.1) in 2 layers (bn1 <-> 1, ...): running
    statistics after 5 training steps differ by ...; fix: ..." for the pair's momentum differences."""
    groups: dict = {}
    for d in diffs:
        groups.setdefault((d.keras, d.torch, d.fix), []).append(d)
    bad = statistics.first_divergent
    where = f"up to {statistics.max_abs:.3g}" + (f" (first beyond the bound: {bad.name})" if bad is not None else "")
    out = []
    for (km, tm, fix), ds in groups.items():
        torch_as_keras = f"{1.0 - float(tm):g} (PyTorch momentum={float(tm):g})" if tm is not None else \
            "cumulative (PyTorch momentum=None)"
        layers = ", ".join(f"{d.keras_layer} <-> {d.torch_layer}" for d in ds[:2]) + \
            (f", ... {len(ds) - 2} more" if len(ds) > 2 else "")
        out.append(f"BatchNorm momentum {float(km):g} (Keras) vs {torch_as_keras} in {len(ds)} layer"
                   f"{'s' if len(ds) > 1 else ''} ({layers}): running statistics after {steps} training steps "
                   f"differ by {where}; fix: {fix} (or accept={{'momentum': '<why>'}} where only inference matters)")
    return "; ".join(out)


def momentum_differences(pm: P.PairModels) -> tuple[list, list]:
    """(not accepted, accepted) BatchNorm momentum differences of the pair, as tfpt.convert.named records."""
    from tfpt.checks.differences import named_differences
    diffs = [d for d in named_differences(pm)[0] if d.field == "momentum"]
    return [d for d in diffs if not d.accepted], [d for d in diffs if d.accepted]


def skip_reason(pair: ModelPair, pm: P.PairModels | None = None) -> str | None:
    """Why the check does not apply to this pair, or None: an as-is pair (nothing shared to start from), or an
    accepted momentum difference (the pair declares training-mode statistics out of scope)."""
    if pair.as_is:
        return f"{pair.name} is an as-is pair (as_is=True): training steps need one shared start"
    accepted = momentum_differences(pm or P.build(pair))[1]
    if accepted:
        return (f"{pair.name} accepts its BatchNorm momentum difference ({accepted[0].accepted}): running statistics "
                f"after training steps would differ by construction, so training-mode steps are not compared")
    return None


def _values_per_channel(event, config: dict, batch: int) -> int:
    """How many values a BatchNorm averages per channel for one batch: the batch times the output's other axes."""
    shape = tuple(event.shape or ())
    axis = config.get("axis", -1)
    axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
    if len(shape) < 2 or not isinstance(axis, int):
        return 0
    return batch * int(np.prod(shape[1:])) // int(shape[axis])


def _biased(running: np.ndarray, start: np.ndarray, momentum, steps: int, n: int) -> np.ndarray:
    """PyTorch's running_var after `steps` train-mode steps in Keras' convention (biased batch variances): PyTorch
    adds momentum * var * n / (n - 1) per step, so the part its steps added is scaled by (n - 1) / n."""
    if momentum is None or n < 2:
        return running
    keep = (1.0 - float(momentum)) ** steps
    start64 = np.asarray(start, np.float64)
    out = keep * start64 + (np.asarray(running, np.float64) - keep * start64) * (n - 1) / n
    return out.astype(running.dtype)


def train_both(pm: P.PairModels, batches, variant: str = "matched") -> tuple[OrderedDict, OrderedDict, dict]:
    """Both models trained in place on `batches` ([(x, y)], x in Keras' layout) with the variant's Adam. Returns
    Keras' and PyTorch's results in Keras' layout, {name: array} ("layer.weight", "layer.weight.m", ".v"), and
    {"steps", "batch"}."""
    keras_adam, torch_adam = VARIANTS[variant]
    pair = pm.pair
    k_names, t_names = pm.param_names
    start, _ = P.parameters(pm)
    k_out, t_out = pair.loss_output  # the output the loss reads, for a model with several
    k_side, t_side = get("tf").module("adapter"), get("torch").module("adapter")
    k_state = k_side.train_steps(pm.keras_model, batches, pair.keras_head, asdict(keras_adam), k_names, output=k_out)
    t_state = t_side.train_steps(pm.torch_model, [(pair.input.to_torch_layout(x), y) for x, y in batches],
                                 pair.torch_head, asdict(torch_adam), t_names, output=t_out)
    kw, tw = P.parameters(pm)
    krec, trec = k_side.records(pm.keras_model, k_names), t_side.records(pm.torch_model, t_names)
    steps, size = len(batches), len(batches[0][0]) if batches else 0
    for k, t, ctx in pm.match.params:
        key = f"{k.name}.moving_variance"
        if key in tw and "running_var" in trec[t.name].weights:
            n = _values_per_channel(k, krec[k.name].config, size)
            tw[key] = _biased(tw[key], start[key], trec[t.name].config.get("momentum"), steps, n)
        conv = P._converter(k, t)
        for moment in ("m", "v"):
            full = {name: t_state[t.name][name][moment] if name in t_state[t.name] else np.zeros_like(w)
                    for name, w in trec[t.name].weights.items()}
            as_keras = conv.grads_to_keras(full, krec[k.name], trec[t.name], ctx)
            for name, state in k_state[k.name].items():
                kw[f"{k.name}.{name}.{moment}"], tw[f"{k.name}.{name}.{moment}"] = state[moment], as_keras[name]
    return kw, tw, {"steps": steps, "batch": size}


def split(values: OrderedDict) -> tuple[OrderedDict, OrderedDict, OrderedDict]:
    """(weights, running statistics, Adam moments) of train_both's result, each in its order."""
    groups: tuple = (OrderedDict(), OrderedDict(), OrderedDict())
    for name, v in values.items():
        group = 2 if name.endswith((".m", ".v")) else 1 if name.rsplit(".", 1)[-1] in STATISTICS else 0
        groups[group][name] = v
    return groups


def tolerances(pair: ModelPair, steps: int) -> tuple[Tol, Tol, Tol]:
    """(weights, statistics, moments) bounds after `steps` steps: the table's `adam_matched` (measured at 10 steps),
    `training_statistics` and `adam_moments` (measured at STEPS), each grown in proportion to the steps beyond
    those it was measured at, as Adam's per-step differences add up (the pair's overrides where it declares some)."""
    def grown(t: Tol, measured_at: int) -> Tol:
        factor = max(1.0, steps / measured_at)
        return t if factor == 1.0 else replace(t, atol=t.atol * factor, rtol=t.rtol * (factor if t.norm else 1.0))
    return (grown(pair.tolerance("adam_matched"), ADAM_MATCHED_STEPS),
            grown(pair.tolerance("training_statistics"), STEPS), grown(pair.tolerance("adam_moments"), STEPS))


def check(pair: ModelPair, variant: str = "matched", steps: int = STEPS, batch: int = BATCH,
          seed: int = 0) -> TrainingParity:
    """N training-mode Adam steps of batch `batch` from shared weights (tfpt.checks.pairs.shared), compared. The
    caller skips first where `skip_reason` says so."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    pm = P.shared(pair, "tf->torch", seed)
    momentum = momentum_differences(pm)[0]
    x, y = pair.input.batch(steps * batch, seed), P.labels(pair, steps * batch, seed)
    batches = [(x[i:i + batch], y[i:i + batch]) for i in range(0, steps * batch, batch)]
    kw, tw, _ = train_both(pm, batches, variant)
    (kwe, kst, kmo), (twe, tst, tmo) = split(kw), split(tw)
    zero, scale = noise_driven(kmo, tmo)
    kno, tno = (OrderedDict((n, d.pop(n)) for n in zero) for d in (kwe, twe))
    w_tol, s_tol, m_tol = tolerances(pair, steps)
    keras_adam = VARIANTS[variant][0]
    travel = 2 * steps * keras_adam.learning_rate * max(1.0, (1 - keras_adam.beta_1) / np.sqrt(1 - keras_adam.beta_2))
    noise_tol = Tol(atol=travel, rtol=0.0, why="Adam's largest travel in N steps, both sides")
    own = [n for n in kmo if n not in scale]
    values = ((kwe, twe, w_tol), (kst, tst, s_tol),
              (OrderedDict((n, kmo[n]) for n in own), OrderedDict((n, tmo[n]) for n in own), m_tol))
    return TrainingParity(pair.name, variant, steps, compare(kwe, twe, w_tol), compare(kno, tno, noise_tol),
                          compare(kst, tst, s_tol), compare(kmo, tmo, m_tol, scale=scale), momentum,
                          VARIANTS[variant], values)


def noise_driven(k_moments: OrderedDict, t_moments: OrderedDict) -> tuple[list[str], dict]:
    """(weights whose Adam first moment is, on both sides, at most ZERO_MOMENT times all first moments' norm: a
    gradient zero by construction, such as a conv bias before a training-mode BatchNorm, whose steps are Adam
    normalising rounding noise; {moment entry: the norm it is measured against instead of its own ~0 one})."""
    def norm(values: OrderedDict, suffix: str) -> float:
        return float(np.sqrt(sum(float(np.sum(np.square(np.asarray(v, np.float64)))) for n, v in values.items()
                                 if n.endswith(suffix))))
    total = {s: norm(k_moments, s) for s in (".m", ".v")}
    zero = [n[:-2] for n in k_moments if n.endswith(".m") and total[".m"] > 0 and
            max(np.linalg.norm(np.asarray(k_moments[n], np.float64)),
                np.linalg.norm(np.asarray(t_moments[n], np.float64))) <= ZERO_MOMENT * total[".m"]]
    return zero, {f"{n}{s}": total[s] for n in zero for s in (".m", ".v")}
