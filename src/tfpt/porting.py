"""Porting a trained model's weights between a pair's two models: a PyTorch state_dict (or checkpoint) written
as Keras weights (.weights.h5), and Keras weights written as a state_dict (.pt), through the converter registry;
then the pair's forward check on the converted weights (every compared layer and the models' own outputs), and a
one-page report (layer, converter, max |Δ|). The target file is written only when the check passes, and then
whole (a temporary file renamed over it). The library behind `tfpt-convert`; no argument parsing here."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tfpt.compare import compare
from tfpt.pair import ModelPair

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

    @property
    def ok(self) -> bool:
        return not self.failure

    def render(self) -> str:
        verdict = f"wrote {self.target}" if self.written else f"nothing written: {self.failure}"
        lines = [f"# tfpt-convert: {self.pair}", "",
                 f"{self.source} -> {self.target} ({self.direction}); forward check on {self.samples} samples, "
                 f"tolerance {self.tolerance}: {'passed' if self.ok else 'FAILED'}; {verdict}", "",
                 "| Keras layer | PyTorch module | converter | max abs diff |", "|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r.keras_layer} | {r.torch_layer} | {r.converter} | "
                         f"{'-' if r.max_abs is None else f'{r.max_abs:.3g}'} |")
        lines += ["", f"models' own outputs: max |Δ| {self.output_max_abs:.3g}; {len(self.rows)} layers converted "
                      f"in {self.seconds:.1f} s", ""]
        return "\n".join(lines)


def convert_file(pair: ModelPair, source: Path, target: Path, samples: int = 32, seed: int = 0) -> ConversionReport:
    """Read `source` into the pair's model of its framework, convert to the other, check, write `target`.
    Raises tfpt.adapters.weight_files.WeightFileError for a file that does not fit the model, tfpt.pair.PairError
    or tfpt.match.MatchError for a pair that cannot be matched."""
    from tfpt import convert
    from tfpt.adapters import weight_files
    from tfpt.checks import pairs as checks
    start = time.perf_counter()
    from_torch = kind_of_file(source) == "state_dict"
    pm = checks.build(pair, seed)
    if from_torch:
        weight_files.read_torch(pm.torch_model, source)
        checks.to_keras(pm)
    else:
        weight_files.read_keras(pm.keras_model, source)
        checks.to_torch(pm)
    tolerance = pair.tolerance("forward")
    x = pair.input.batch(samples, seed)
    layers = compare(*checks.outputs(pm, x), tolerance)
    k_out, t_out = checks.model_outputs(pm, x)
    whole = compare({"output": k_out}, {"output": t_out}, tolerance)
    by_label = {r.name: r.max_abs for r in layers.rows}
    report = ConversionReport(pair.name, str(source), str(target), "torch->tf" if from_torch else "tf->torch",
                              samples, f"atol {tolerance.atol:g}, rtol {tolerance.rtol:g}",
                              [Row(k.name, t.name, convert.find(k.cls, t.cls).name, by_label.get(k.name))
                               for k, t, _ in pm.match.params], whole.max_abs)
    if not layers.ok or not whole.ok:
        report.failure = layers.message() if not layers.ok else whole.message("model output")
    else:
        (weight_files.write_keras(pm.keras_model, target) if from_torch else
         weight_files.write_torch(pm.torch_model, target))
        report.written = True
    report.seconds = time.perf_counter() - start
    return report
