"""The study's comparison: each framework trains the spec CNN with the study's settings in its own process,
then one side-by-side table: test accuracy, seconds per epoch, peak RSS, parameters, time to accuracy, versions.

    python -m tfpt.cli.compare [--dataset mnist|fashion] [--epochs 1] [--frameworks tf,torch] [--json out.json]
    python -m tfpt.cli.compare --pair study          # the study's two models as written, its 5 epochs
    python -m tfpt.cli.compare --pair spec,study     # both, in one table side by side

--pair spec (default) trains the spec CNN in both frameworks, 1 epoch unless --epochs says otherwise; --pair study
trains the study's Keras model (softmax head, loss on probabilities) and its PyTorch model (extra ReLU, logits,
CrossEntropyLoss) with the study's settings (tfpt.settings.STUDY), its 5 epochs unless --epochs says otherwise.

Every option (ranges, duplicate frameworks, a writable --json folder) and the data are checked before any
worker starts; a mistake is one line on stderr, `error: <the thing>: <what was expected>; fix: <the fix>`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.data import datasets
from tfpt import frameworks
from tfpt.procs import child_env

STUDY = {"tf": {"test_acc": 0.9914}, "torch": {"test_acc": 0.9895}}  # the study's published 5-epoch figures
PAIR_NAMES = {"spec": "spec CNN", "study": "study as written"}


def epochs_for(pair: str, epochs: int | None) -> int:
    """--epochs when given; else the study's epochs (tfpt.settings.STUDY) for its models, 1 for the spec CNN."""
    from tfpt.settings import STUDY as SETTINGS
    return epochs if epochs is not None else (SETTINGS.epochs if pair == "study" else 1)


def _pair_list(text: str) -> list[str]:
    pairs = [q.strip() for q in text.split(",") if q.strip()]
    if not pairs or any(q not in PAIR_NAMES for q in pairs) or len(set(pairs)) != len(pairs):
        raise argparse.ArgumentTypeError(f"expected spec and/or study (comma separated, each once), got {text!r}")
    return pairs


def run_worker(fw: str, args, pair: str | None = None) -> dict:
    pair = pair or (getattr(args, "pair", None) or ["spec"])[0]
    epochs = epochs_for(pair, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--dataset", args.dataset,
               "--epochs", str(epochs), "--seed", str(args.seed), "--order", args.order,
               "--target", str(args.target), "--mode", args.mode, "--pair", pair, "--out", str(out)]
        if args.eval_every:
            cmd += ["--eval-every", str(args.eval_every)]
        print(f"== {fw}: training the {PAIR_NAMES[pair]} {epochs} epoch(s) on {args.dataset} in its own process",
              file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, env=child_env())
        if proc.returncode != 0 or not out.is_file():
            raise SystemExit(f"the {fw} worker failed (exit {proc.returncode}); its messages are above")
        return json.loads(out.read_text())


def table(results: dict) -> str:
    fws = list(results)
    def row(label, fn):
        return f"| {label} | " + " | ".join(fn(results[f]) for f in fws) + " |"
    names = {"tf": "TensorFlow", "torch": "PyTorch"}
    pairs = {results[f].get("pair", "spec") for f in fws}
    label = (lambda r: f"{names[r['framework']]}, {PAIR_NAMES[r.get('pair', 'spec')]}") if len(pairs) > 1 \
        else (lambda r: names[r["framework"]])
    n_epochs = sorted({len(results[f]["epochs"]) for f in fws})
    lines = [
        "| | " + " | ".join(label(results[f]) for f in fws) + " |",
        "|---|" + "---|" * len(fws),
        row(f"test accuracy after {n_epochs[0]} epoch(s)" if len(n_epochs) == 1 else "test accuracy (epochs)",
            lambda r: f"{100 * r['epochs'][-1]['test_acc']:.2f} %" + ("" if len(n_epochs) == 1 else f" ({len(r['epochs'])})")),
        row("seconds per epoch (training; mean)", lambda r: f"{sum(e['seconds'] for e in r['epochs']) / len(r['epochs']):.1f} s"),
        row("seconds per epoch, each", lambda r: " / ".join(f"{e['seconds']:.1f}" for e in r["epochs"])),
        row("evaluation of 10,000 test images", lambda r: f"{r['epochs'][-1]['eval_seconds']:.1f} s"),
        row(f"time to {100 * results[fws[0]]['target']:.1f} % test accuracy",
            lambda r: f"{r['time_to_accuracy']:.1f} s" if r["time_to_accuracy"] is not None else "not reached"),
        row("final training loss", lambda r: f"{r['epochs'][-1]['loss']:.4f}"),
        row("peak RSS of the process", lambda r: f"{r['peak_rss_mb']:.0f} MB"),
        row("parameters", lambda r: f"{r['params']:,}"),
        row("version", lambda r: (f"TF {r['versions'].get('tensorflow')} / Keras {r['versions'].get('keras')}"
                                  if r["framework"] == "tf" else f"torch {r['versions'].get('torch')}")),
    ]
    if all(f in STUDY for f in fws):
        lines.append(row("the study (5 epochs, its machine)", lambda r: f"{100 * STUDY[r['framework']]['test_acc']:.2f} %"))
    return "\n".join(lines)


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a test accuracy in (0, 1], e.g. 0.99, got {text}")
    return value


def _framework_list(text: str) -> list[str]:
    try:
        fws = frameworks.parse_names(text, "--frameworks")
    except frameworks.FrameworkNameError:
        raise argparse.ArgumentTypeError(f"expected tf and/or torch (comma or space separated), got {text!r}") from None
    if not fws:
        raise argparse.ArgumentTypeError("expected at least one of tf, torch; got nothing")
    dupes = sorted({f for f in fws if fws.count(f) > 1})
    if dupes:
        raise argparse.ArgumentTypeError(f"expected each framework once, got {', '.join(dupes)} twice in {text!r}")
    return fws


def check_json_target(path: Path) -> None:
    """--json must be a file in an existing folder this user can write: checked by creating and removing a temp
    file there, before any training, so a long run never ends on an unwritable path."""
    if path.is_dir():
        raise UserError(f"--json {path}", "a file path, got an existing folder", f"pass e.g. {path / 'results.json'}")
    if not path.parent.is_dir():
        raise UserError(f"--json {path}", f"a file in an existing folder; {path.parent} does not exist",
                        f"mkdir -p {path.parent}")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"--json {path}", f"a folder this user can write ({exc.strerror})",
                        "choose a writable folder") from None


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and validate every option; nothing has started yet when this raises or exits."""
    p = Parser(prog="tfpt-compare", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--dataset", choices=sorted(datasets.INFO), default="mnist")
    p.add_argument("--epochs", type=_int_at_least(1), default=None,
                   help="epochs per framework (>= 1); default 1 for the spec CNN, the study's 5 for --pair study")
    p.add_argument("--pair", type=_pair_list, default=["spec"], help="spec, study or spec,study")
    p.add_argument("--frameworks", type=_framework_list, default="tf,torch",
                   help="tf and/or torch (also tensorflow/pytorch), comma or space separated, each once")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="weight init and shuffling seed (>= 0)")
    p.add_argument("--order", choices=("native", "shared"), default="native",
                   help="native: each framework shuffles as the study did; shared: both see one seeded order")
    p.add_argument("--target", type=_fraction, default=0.99, help="test accuracy for time-to-accuracy, in (0, 1]")
    p.add_argument("--eval-every", type=_int_at_least(1), default=None,
                   help="also evaluate every N steps (time-to-accuracy; N >= 1)")
    p.add_argument("--mode", choices=("as-written", "tuned"), default="as-written",
                   help="as-written: the study's code paths; tuned: same math, faster feeding (see README)")
    p.add_argument("--json", type=Path, default=None, help="also write all results as JSON here")
    args = p.parse_args(argv)
    for fw in args.frameworks:
        if not frameworks.installed(fw):
            hidden = fw in frameworks.hidden()
            raise UserError(f"--frameworks {fw}", f"an installed framework, but {frameworks.missing_reason(fw)}",
                            "unset TFPT_HIDE_FRAMEWORKS" if hidden else "install it (see requirements.txt)"
                            f", or leave {fw} out of --frameworks", USAGE)
    if args.json is not None:
        check_json_target(args.json)
    return args


def main(argv=None) -> int:
    try:
        args = parse_args(argv)
    except UserError as exc:
        return report(exc)
    fws = args.frameworks
    try:
        datasets.load(args.dataset)  # verify (and cache) once, before any worker starts
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    try:
        multi = len(args.pair) > 1
        results = {(f"{fw}/{q}" if multi else fw): run_worker(fw, args, q) for q in args.pair for fw in fws}
    except SystemExit as exc:  # run_worker's "the <fw> worker failed": exit 5, one meaning per code
        if not isinstance(exc.code, str):
            raise
        print(f"error: {exc.code}; fix: read the worker's messages above", file=sys.stderr)
        return RUNTIME
    from tfpt.settings import STUDY as SETTINGS
    print(f"\nThe study's comparison on {args.dataset}, batch {SETTINGS.batch_size}, Adam defaults, seed {args.seed}, "
          f"order {args.order}, mode {args.mode}, {' and '.join(PAIR_NAMES[q] for q in args.pair)}; each framework "
          f"in its own process:\n")
    print(table(results))
    if args.json:
        datasets.atomic_write(args.json, json.dumps(results, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
