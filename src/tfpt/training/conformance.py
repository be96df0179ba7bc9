"""Trainer conformance: a framework's real training path (tfpt.frameworks.<folder>.train.train, the code the
comparison runs) for a few steps, against the NumPy reference of the declared settings (tfpt.training.reference).

    report = check_trainer("torch", ds, initial_weights, steps=5)      # STUDY settings, shared order
    assert not report.findings, "\\n".join(report.findings)

The trainer runs with a `Recorder`, which it hands the optimizer and loss it built (read back from the objects),
and per step the batch it fed, the loss it computed and the weights after the step. Then, step by step from the
trainer's own weights before the step, the reference takes its expected batch (settings' batch size, shared
order, x / divisor), computes the loss and its derivative in NumPy, has the framework back-propagate that
derivative through the network, applies the framework's documented Adam in float64 and compares the result with
the trainer's weights after the step. Each finding names what differs, e.g. "learning rate: trainer 0.002,
settings 0.001" or "step 1 weights differ from the reference at conv1.kernel: ...".
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from tfpt.compare import compare
from tfpt.settings import STUDY, TrainSettings
from tfpt.tolerances import tol
from tfpt.training import reference

CONFIG_LABELS = {"optimizer": "optimizer", "learning_rate": "learning rate", "beta_1": "beta_1", "beta_2": "beta_2",
                 "epsilon": "epsilon", "epsilon_placement": "epsilon placement", "loss_form": "loss form",
                 "reduction": "loss reduction"}


def flat(weights_by_layer) -> "OrderedDict[str, np.ndarray]":
    return OrderedDict((f"{n}.{part}", np.asarray(w)) for n, (kernel, bias) in weights_by_layer.items()
                       for part, w in (("kernel", kernel), ("bias", bias)))


def unflat(weights: dict) -> "OrderedDict[str, tuple]":
    layers = OrderedDict()
    for name, w in weights.items():
        layer, part = name.rsplit(".", 1)
        layers.setdefault(layer, {})[part] = w
    return OrderedDict((n, (p["kernel"], p["bias"])) for n, p in layers.items())


class Recorder:
    """What a trainer did, step by step. The trainers call on_start once, then per step on_batch, on_loss and
    on_step (channels-last inputs, canonical weights)."""

    def __init__(self):
        self.config: dict = {}
        self.initial: OrderedDict | None = None
        self.batches: list = []
        self.losses: list = []
        self.weights: list = []

    def on_start(self, config: dict, weights) -> None:
        self.config, self.initial = dict(config), flat(weights)

    def on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        self.batches.append((np.array(x), np.array(y)))

    def on_loss(self, value: float) -> None:
        self.losses.append(float(value))

    def on_step(self, weights) -> None:
        self.weights.append(flat(weights))


@dataclass
class StepFigures:
    step: int
    loss_trainer: float
    loss_reference: float
    weights_max_abs: float  # max |trainer - reference| over all parameters after the step
    reference: OrderedDict = field(repr=False, default_factory=OrderedDict)
    trainer: OrderedDict = field(repr=False, default_factory=OrderedDict)


@dataclass
class Report:
    fw: str
    findings: list
    steps: list  # [StepFigures]
    recorder: Recorder = field(repr=False, default=None)

    @property
    def max_weight_diff(self) -> float:
        return max((s.weights_max_abs for s in self.steps), default=float("nan"))

    @property
    def max_loss_diff(self) -> float:
        return max((abs(s.loss_trainer - s.loss_reference) for s in self.steps), default=float("nan"))


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def config_findings(fw: str, config: dict, settings: TrainSettings, head: str) -> list[str]:
    adam = settings.adam(fw)
    declared = {"optimizer": settings.optimizer, **dataclasses.asdict(adam), "loss_form": settings.loss_for(head),
                "reduction": settings.reduction}
    out = []
    for key, label in CONFIG_LABELS.items():
        got, want = config.get(key), declared[key]
        same = np.isclose(got, want, rtol=1e-6, atol=0) if isinstance(want, float) and got is not None else got == want
        if not same:
            out.append(f"{label}: trainer {_fmt(got)}, settings {_fmt(want)}")
    if adam.epsilon_placement != reference.PLACEMENT[fw]:
        out.append(f"epsilon placement: settings {adam.epsilon_placement!r}, but {fw}'s Adam is documented as "
                   f"{reference.PLACEMENT[fw]!r}")
    return out


def batch_findings(recorded: list, expected: list, settings: TrainSettings) -> list[str]:
    out = []
    sizes_got = [len(x) for x, _ in recorded]
    sizes_want = [len(x) for x, _ in expected]
    if sizes_got != sizes_want:
        out.append(f"batch size: trainer {sizes_got[0] if sizes_got else 'no batches'}, settings "
                   f"{settings.batch_size} (steps: trainer {len(sizes_got)}, settings {len(sizes_want)})")
        return out
    for t, ((xg, yg), (xw, yw)) in enumerate(zip(recorded, expected, strict=False), 1):
        if not np.array_equal(yg, yw):
            out.append(f"data order: step {t} labels differ from the settings' {settings.order} order")
            break
        if xg.shape != xw.shape or xg.dtype != xw.dtype:
            out.append(f"input scaling: step {t} inputs {xg.dtype}{list(xg.shape)}, settings "
                       f"{xw.dtype}{list(xw.shape)}")
            break
        if not np.array_equal(xg, xw):
            d = float(np.abs(xg.astype(np.float64) - xw).max())
            out.append(f"input scaling: step {t} inputs differ from x/{settings.input_divisor:g} "
                       f"{settings.input_dtype} by up to {d:.3g} (trainer max {float(xg.max()):.4g}, settings max "
                       f"{float(xw.max()):.4g})")
            break
    return out


def check_trainer(fw: str, ds, initial_weights, steps: int = 5, seed: int = 0, spec=None,
                  trainer_settings: TrainSettings | None = None, settings: TrainSettings = STUDY) -> Report:
    """Run `fw`'s trainer one epoch over the first `steps * settings.batch_size` training images of `ds`, order
    shared, from `initial_weights` (canonical, by layer), with `trainer_settings` (default: `settings`), and
    compare it with the reference of `settings`."""
    from tfpt.frameworks import get
    from tfpt.spec import CNN

    settings = settings.changed(order="shared")
    trainer_settings = (trainer_settings or settings).changed(order="shared")
    ad = get(fw).module("cnn")
    spec = spec or CNN
    n = steps * settings.batch_size
    small = dataclasses.replace(ds, x_train=ds.x_train[:n], y_train=ds.y_train[:n], x_test=ds.x_test[:32],
                                y_test=ds.y_test[:32])
    model = ad.set_weights(ad.build(spec), initial_weights)
    rec = Recorder()
    get(fw).module("trainer").train(small, epochs=1, seed=seed, spec=spec, model=model, progress=False,
                                    evaluate_epochs=False, settings=trainer_settings, recorder=rec)
    head = ad.spec_of(model).head
    findings = config_findings(fw, rec.config, settings, head)
    expected = reference.expected_batches(small.x_train, small.y_train.astype(np.int64), settings, seed)
    findings += batch_findings(rec.batches, expected, settings)
    if len(rec.losses) != len(rec.batches) or len(rec.weights) != len(rec.batches):
        findings.append(f"recorder: {len(rec.batches)} batches, {len(rec.losses)} losses, {len(rec.weights)} "
                        f"weight snapshots (expected one of each per step)")

    # Replay: each step from the trainer's own weights before it, with the reference's batch, loss and Adam.
    replay = ad.build(spec)
    backward = get(fw).part("steps").forward_backward
    form = settings.loss_for(head)
    adam = reference.Adam(fw, settings.adam(fw))
    weight_tol, loss_tol = tol("trainer_reference"), tol("trainer_loss")
    figures = []
    before = rec.initial
    for t, (x, y) in enumerate(expected[:len(rec.weights)], 1):
        ad.set_weights(replay, unflat(before))
        loss_ref, grads = backward(replay, x,
                                   lambda out, y=y: reference.cross_entropy(out, y, form, settings.reduction))
        ref = adam.step(before, grads)
        got = rec.weights[t - 1]
        ref32 = OrderedDict((k, v.astype(np.float32)) for k, v in ref.items())
        cmp = compare(ref32, got, weight_tol)
        loss_got = rec.losses[t - 1] if t <= len(rec.losses) else float("nan")
        figures.append(StepFigures(t, loss_got, loss_ref, cmp.max_abs, ref32, got))
        if abs(loss_got - loss_ref) > loss_tol.atol + loss_tol.rtol * abs(loss_ref) or np.isnan(loss_got):
            findings.append(f"step {t} loss: trainer {loss_got:.7g}, reference {loss_ref:.7g} ({form}, "
                            f"{settings.reduction}; |Δ| {abs(loss_got - loss_ref):.3g}, allowed "
                            f"{loss_tol.atol + loss_tol.rtol * abs(loss_ref):.3g})")
        if not cmp.ok:
            bad = cmp.first_divergent
            findings.append(f"step {t} weights differ from the reference at {bad.name}: max |Δ| {bad.max_abs:.3g} "
                            f"(atol {weight_tol.atol:g}, rtol {weight_tol.rtol:g}; "
                            f"{100 * bad.frac_bad:.3g} % of elements outside)")
        before = got
    return Report(fw, findings, figures, rec)
