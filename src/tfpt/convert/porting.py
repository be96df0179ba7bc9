"""Porting a trained model's weights between a pair's two models: a PyTorch state_dict (or checkpoint) written
as Keras weights (.weights.h5), and Keras weights written as a state_dict (.pt), through the converter registry;
then the pair's forward check on the converted weights (every compared layer and the models' own outputs), and a
one-page report (layer, converter, max |Δ|). A pair whose layers differ in a setting that changes the math (an
epsilon, a padding: `tfpt.differences`) and that the pair does not accept is refused before any weight moves. The
target file is written only when the check passes, and then whole (a temporary file renamed over it). State_dict
entries no Keras layer holds (BatchNorm's `num_batches_tracked`) ride along in the `.weights.h5` file and come back
on the way to PyTorch. The library behind `tfpt-convert`; no argument parsing here."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tfpt.compare import compare
from tfpt.convert.registry import find
from tfpt.pair import ModelPair, PairError

TORCH_SUFFIXES = (".pt", ".pth")
KERAS_SUFFIX = ".weights.h5"


# The two weight-file kinds: what each holds, its suffix, and the kind a conversion of it writes.
FILE_KINDS = {"state_dict": {"holds": "PyTorch", "suffix": ".pt", "target": "keras_weights"},
              "keras_weights": {"holds": "Keras", "suffix": KERAS_SUFFIX, "target": "state_dict"}}


def kind_of_file(path: Path) -> str | None:
    """"state_dict" for a .pt/.pth file, "keras_weights" for a .weights.h5 file, else None."""
    name = path.name.lower()
    if name.endswith(KERAS_SUFFIX):
        return "keras_weights"
    return "state_dict" if name.endswith(TORCH_SUFFIXES) else None


class BuildError(Exception):
    """The pair's own code raised while its two models were built and run once on its input: `builder` names the
    builder it came from (module.name), `error` is the exception in one line."""

    def __init__(self, builder: str, error: str):
        super().__init__(f"{builder}: {error}")
        self.builder, self.error = builder, error


@dataclass
class Row:
    keras_layer: str
    torch_layer: str
    converter: str
    max_abs: float | None  # the layer's output, Keras vs PyTorch; None where its output is not compared


@dataclass
class ConversionReport:
    pair: str
    source: str
    target: str
    direction: str  # "torch->tf" (state_dict to Keras weights) or "tf->torch"
    samples: int
    tolerance: str
    rows: list[Row] = field(default_factory=list)
    output_max_abs: float = 0.0
    failure: str = ""  # the forward check's first divergence, in words; "" where it passed
    written: bool = False
    seconds: float = 0.0
    differences: list = field(default_factory=list)  # tfpt.convert.named.PairDifference: material, not accepted
    kept: list[str] = field(default_factory=list)  # state_dict entries no Keras layer holds, carried as they were

    @property
    def ok(self) -> bool:
        return not self.failure

    def render(self) -> str:
        lines = [f"# tfpt-convert: {self.pair}", ""]
        if self.differences:
            return "\n".join(lines + [f"{self.source} -> {self.target} ({self.direction}): refused, nothing written; "
                                      "the two models differ in settings that change the outputs:", ""]
                             + [f"- {d}" for d in self.differences] + [""])
        verdict = f"wrote {self.target}" if self.written else f"nothing written: {self.failure}"
        lines += [f"{self.source} -> {self.target} ({self.direction}); forward check on {self.samples} samples, "
                  f"tolerance {self.tolerance}: {'passed' if self.ok else 'FAILED'}; {verdict}", "",
                  "| Keras layer | PyTorch module | converter | max abs diff |", "|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r.keras_layer} | {r.torch_layer} | {r.converter} | "
                         f"{'-' if r.max_abs is None else f'{r.max_abs:.3g}'} |")
        lines += ["", f"models' own outputs: max |Δ| {self.output_max_abs:.3g}; {len(self.rows)} layers converted "
                      f"in {self.seconds:.1f} s", ""]
        if self.kept:
            shown = ", ".join(self.kept[:3]) + (", ..." if len(self.kept) > 3 else "")
            where = "kept inside the .weights.h5" if self.direction == "torch->tf" else "restored from the .weights.h5"
            lines += [f"{len(self.kept)} PyTorch state_dict entries no Keras layer holds, {where}: {shown}", ""]
        return "\n".join(lines)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _build(pair: ModelPair, seed: int):
    """Both models and their correspondence; an exception of the pair's own code becomes a BuildError naming the
    builder it came from (PairError and MatchError, the suite's own words, pass as they are)."""
    from tfpt.checks import pairs as checks
    from tfpt.match import MatchError
    try:
        return checks.build(pair, seed)
    except (PairError, MatchError):
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module: any exception, one line
        codes = {getattr(fn, "__code__", None): fn for fn in (pair.keras, pair.torch)}
        tb, builder = exc.__traceback__, None
        while tb is not None and builder is None:
            builder = codes.get(tb.tb_frame.f_code)
            tb = tb.tb_next
        name = (f"{builder.__module__}.{builder.__qualname__}" if builder is not None
                else "code (building both models and running them once on its input)")
        raise BuildError(name, _one_line(exc)) from None


def _held(pm) -> set[str]:
    """The PyTorch state_dict keys the converters write (each matched module's record, its own keys prefixed)."""
    from tfpt.frameworks import get
    _, names = pm.param_names
    return {f"{n}.{w}" if n else w for n, rec in get("torch").module("adapter").records(pm.torch_model, names).items()
            for w in rec.weights}


def convert_file(pair: ModelPair, source: Path, target: Path, samples: int = 32, seed: int = 0) -> ConversionReport:
    """Read `source` into the pair's model of its framework, convert to the other, check, write `target`.
    Raises tfpt.convert.weight_files.WeightFileError for a file that does not fit the model, BuildError where the
    pair's own code raises, tfpt.pair.PairError or tfpt.match.MatchError for a pair that cannot be matched. A
    material setting that differs and that the pair does not accept refuses the conversion (`report.differences`,
    nothing read or written)."""
    from tfpt.checks import pairs as checks
    from tfpt.checks.differences import named_differences
    from tfpt.frameworks import KERAS_SIDE, TORCH_SIDE, on_side
    start = time.perf_counter()
    from_torch = kind_of_file(source) == "state_dict"
    pm = _build(pair, seed)
    tolerance = pair.tolerance("forward")
    report = ConversionReport(pair.name, str(source), str(target), "torch->tf" if from_torch else "tf->torch",
                              samples, f"atol {tolerance.atol:g}, rtol {tolerance.rtol:g}")
    report.differences = [d for d in named_differences(pm)[0] if d.material and not d.accepted]
    if report.differences:
        report.failure = "the two models' settings differ"
        report.seconds = time.perf_counter() - start
        return report
    held = _held(pm)
    keras_files, torch_files = on_side(KERAS_SIDE).part("weight_files"), on_side(TORCH_SIDE).part("weight_files")
    if from_torch:
        torch_files.read(pm.torch_model, source)
        checks.to_keras(pm)
        kept = torch_files.torch_only(pm.torch_model, held)
    else:
        carried = keras_files.read(pm.keras_model, source)
        checks.to_torch(pm)
        kept = torch_files.restore_torch_only(pm.torch_model, carried, held)
    report.kept = sorted(kept)
    x = pair.input.batch(samples, seed)
    layers = compare(*checks.outputs(pm, x), tolerance)
    k_out, t_out = checks.model_outputs(pm, x)
    whole = compare({"output": k_out}, {"output": t_out}, tolerance)
    by_label = {r.name: r.max_abs for r in layers.rows}
    report.rows = [Row(k.name, t.name, getattr(find(k.cls, t.cls), "name", "-"), by_label.get(k.name))
                   for k, t, _ in pm.match.params]
    report.output_max_abs = whole.max_abs
    if not layers.ok or not whole.ok:
        report.failure = layers.message() if not layers.ok else whole.message("model output")
    elif from_torch:
        keras_files.write(pm.keras_model, target, kept)
        report.written = True
    else:
        torch_files.write(pm.torch_model, target)
        report.written = True
    report.seconds = time.perf_counter() - start
    return report
