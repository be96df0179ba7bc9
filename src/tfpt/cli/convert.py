"""tfpt-convert: a trained model's weights from one framework to the other, for a declared pair.

    tfpt-convert --pair mymodule:my_pair model.pt model.weights.h5      # PyTorch state_dict -> Keras weights
    tfpt-convert --pair mymodule:my_pair model.weights.h5 model.pt      # Keras weights -> PyTorch state_dict

The direction follows the files' suffixes. The converted weights pass the pair's forward check (every compared
layer and the models' own outputs, on the pair's inputs) before the target is written, whole; a one-page report
(layer, converter, max |Δ|) goes to stdout and, with --report, to a file. Every argument is checked before any
framework is imported; a mistake is one line naming the fix (tfpt.cli.exitcodes). No output (the target, the
report) may be an input (the source, the pair's module) or the other output, and each must be writable: checked
first, so nothing a user gave is ever written over. A setting that changes the math and differs between the two
models (`tfpt.differences`: a BatchNorm epsilon, a momentum) refuses the conversion (exit 7) unless the pair
accepts it. PyTorch state Keras has no place for (BatchNorm's num_batches_tracked) travels inside the
.weights.h5 and comes back in the .pt. SIGINT or SIGTERM: exit 130, no temp file left.
"""
from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

from tfpt import procs
from tfpt.cli import exitcodes as codes
from tfpt.cli.args import check_outputs, int_at_least, model_pair
from tfpt.cli.exitcodes import Formatter, Parser, UserError, epilog, report
from tfpt.pair import PAIR_MEANS, PAIR_METAVAR

OK, USAGE, BAD_INPUT, MISMATCH, INTERRUPTED = codes.OK, codes.USAGE, codes.BAD_INPUT, codes.MISMATCH, codes.INTERRUPTED

CODES = (OK, USAGE, BAD_INPUT, MISMATCH, INTERRUPTED)


def parser() -> Parser:
    p = Parser(prog="tfpt-convert", description=__doc__.split("\n\n", 1)[1], formatter_class=Formatter,
               epilog=epilog(*CODES))
    p.add_argument("--pair", required=True, metavar=PAIR_METAVAR, help=f"{PAIR_MEANS}: the pair the weights are of")
    p.add_argument("source", type=Path, help="a .pt/.pth state_dict (or checkpoint), or a .weights.h5 file")
    p.add_argument("target", type=Path, help="the file to write: .weights.h5 for a .pt source, .pt for a .weights.h5")
    p.add_argument("--samples", type=int_at_least(1), default=32, help="inputs for the forward check")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the check's inputs and the builders")
    p.add_argument("--report", type=Path, default=None, help="also write the report (markdown) to this file")
    return p


def pair_module_file(ref: str) -> Path | None:
    """The file of the module a --pair MODULE:ATTR names, found the way --pair imports it (the current folder
    first) without running it or its packages: None where it is not found, or where --pair is a name."""
    if ":" not in ref:
        return None
    name, path, spec = ref.partition(":")[0], [str(Path.cwd()), *sys.path], None
    parts = name.split(".") if name else []
    for i in range(len(parts)):
        try:
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:i + 1]), path)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        path = list(spec.submodule_search_locations or [])
    return Path(spec.origin) if spec is not None and spec.has_location and spec.origin else None


def validate_files(source: Path, target: Path, report_path: Path | None, pair_ref: str = "") -> None:
    from tfpt.convert.porting import FILE_KINDS, kind_of_file
    src, dst = kind_of_file(source), kind_of_file(target)
    if src is None:
        raise UserError(f"source {source}", "a .pt/.pth PyTorch state_dict or a .weights.h5 Keras weights file",
                        "name the weights file with its framework's suffix", USAGE)
    if not source.is_file():
        raise UserError(f"source {source}", "an existing file" + (", got a folder" if source.is_dir() else ""),
                        "check the path")
    holds = FILE_KINDS[src]["holds"]
    if source.stat().st_size == 0:
        save = "torch.save(model.state_dict(), path)" if src == "state_dict" else "model.save_weights(path)"
        raise UserError(f"source {source}", f"{holds} weights, got an empty file (0 bytes)",
                        f"save the weights again with {save} and convert that file")
    want = FILE_KINDS[src]["target"]
    if dst != want:
        suffix, theirs = FILE_KINDS[want]["suffix"], FILE_KINDS[want]["holds"]
        raise UserError(f"target {target}", f"a {suffix} file ({source.name} holds {holds} "
                                            f"weights, so the target is {theirs}'s)", f"name the target like model"
                                                                                       f"{suffix}", USAGE)
    check_outputs({"target": target, "--report": report_path},
                  {"source": source, "pair's module": pair_module_file(pair_ref)})


def resolve_pair(ref: str):
    """--pair NAME|MODULE:ATTR -> the ModelPair (tfpt.pair.PAIR_MEANS, tfpt.cli.args.model_pair); or UserError."""
    return model_pair(ref)[0]


def differences_line(name: str, differences: list) -> str:
    """The one error line of a refused pair: each material difference once, with the layers it is in (DenseNet121
    differs in all 121 BatchNorm epsilons: one entry, three layer names and a count), and the accept keys."""
    groups: dict = {}
    for d in differences:
        groups.setdefault(d.what, []).append(d)
    said, keys = [], []
    for what, ds in groups.items():
        names = [f"Keras {d.keras_layer} vs PyTorch {d.torch_layer}" for d in ds]
        said.append(f"{what} in {names[0]}" if len(ds) == 1 else
                    f"{what} in {len(ds)} layers ({', '.join(names[:3])}{', ...' if len(ds) > 3 else ''})")
        keys.append(f"'{ds[0].key if len(ds) == 1 else ds[0].field}': 'why'")
    return (f"error: pair {name}: no difference that changes the outputs unless the pair accepts it, got "
            f"{', '.join(said)}; fix: make them equal in the pair's builders, or declare them known with "
            f"ModelPair(..., accept={{{', '.join(dict.fromkeys(keys))}}}); nothing written")


def _write_report(path: Path, text: str) -> None:
    from tfpt.data.datasets import atomic_write
    atomic_write(path, text.encode())


def run(args) -> int:
    from tfpt.match import MatchError
    from tfpt.pair import PairError
    validate_files(args.source, args.target, args.report, args.pair)
    from tfpt import frameworks
    frameworks.torch_first()  # before the pair's module or the Keras side loads TensorFlow (tfpt.frameworks)
    if frameworks.installed("tf"):
        frameworks.import_tf()  # TensorFlow's load-time log lines held back, not printed above a one-line error
    pair = resolve_pair(args.pair)
    from tfpt.convert.porting import BuildError, convert_file
    from tfpt.convert.weight_files import WeightFileError
    try:
        result = convert_file(pair, args.source, args.target, samples=args.samples, seed=args.seed)
    except WeightFileError as exc:
        raise UserError(f"source {args.source}", f"weights of pair {pair.name}'s model: expected {exc}",
                        exc.fix or "convert a file saved from this pair's model (same layers and sizes)") from None
    except BuildError as exc:
        raise UserError(f"pair {pair.name}'s builder {exc.builder}", f"a model; it raised {exc.error}",
                        f"correct {exc.builder} until it builds (`pytest --pair {args.pair}` shows the traceback)"
                        ) from None
    except PairError as exc:  # the declaration or what a builder returned: the message's own fix, once
        said, _, fix = str(exc).removeprefix(f"pair {pair.name}: ").partition("; fix: ")
        raise UserError(f"pair {pair.name}", said, fix or "correct the pair's declaration") from None
    except MatchError as exc:
        raise UserError(f"pair {pair.name}", f"its two models matched layer by layer ({exc})",
                        "fix the pair's declaration (layer_map) until `pytest --pair` matches it") from None
    text = result.render()
    print(text)
    if args.report is not None:
        _write_report(args.report, text)
    if result.differences:
        print(differences_line(pair.name, result.differences), file=sys.stderr)
        return MISMATCH
    if not result.ok:
        print(f"error: {args.source} converted for pair {pair.name}: the forward check failed ({result.failure}); "
              f"fix: compare the models with `pytest --pair {args.pair}`; nothing written", file=sys.stderr)
        return MISMATCH
    return OK


@procs.interruptible("tfpt-convert")
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except UserError as exc:
        return report(exc)


if __name__ == "__main__":
    sys.exit(main())
