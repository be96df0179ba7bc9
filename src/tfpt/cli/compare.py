"""The study's comparison: each framework trains the spec CNN with the study's settings in its own process,
then one side-by-side table: test accuracy, seconds per epoch, peak RSS, parameters, time to accuracy, versions.

    python -m tfpt.cli.compare [--dataset mnist|fashion] [--epochs 1] [--frameworks tf,torch] [--json out.json]
    python -m tfpt.cli.compare --repeats 5           # 5 fresh workers per framework, alternating tf, torch, ...
    python -m tfpt.cli.compare --pair study          # the study's two models as written, its 5 epochs
    python -m tfpt.cli.compare --pair spec,study     # both, in one table side by side
    python -m tfpt.cli.compare --mode study-code     # the study's own code as written, its 5 epochs
    python -m tfpt.cli.compare --pair resnet50,my_pair:pair   # a model pair's step, latency, throughput, RSS

--pair spec (default) trains the spec CNN in both frameworks, 1 epoch unless --epochs says otherwise; --pair study
trains the study's Keras model (softmax head, loss on probabilities) and its PyTorch model (extra ReLU, logits,
CrossEntropyLoss) with the study's settings (tfpt.settings.STUDY), its 5 epochs unless --epochs says otherwise.

--repeats N (default 3) runs N fresh workers per framework, alternating (tf, torch, tf, torch, ...), so slow drift
of the machine falls on both; the table gives the median epoch time, peak RSS and accuracy of each framework with a
95 % bootstrap interval (tfpt.stats), and the TF / PyTorch ratio of the medians with its interval: "faster" or
"smaller" only when that interval excludes 1, else "no difference resolved"; a ratio of epoch times where either
side had an epoch flagged idle gets no verdict, only which epochs were flagged. Each epoch's seconds are the
framework's own epoch boundaries (Keras: on_epoch_begin -> on_epoch_end inside model.fit, what its progress bar
times; PyTorch: around the batch loop), wall and CPU time side by side (tfpt.training.clock): fit's set-up and
teardown (its tf.data iterator's destructor can wait for tf.data's autotuner: see docs/measurement.md) are
reported apart, and an epoch whose CPU time does not explain its wall time is flagged "idle" with its idle
seconds. Build, compile, data conversion and the first trace are outside the clock (but for --mode study-code,
which times what the study timed: Keras' epochs of one fit call, the first one tracing). Peak RSS is the
kernel's exact figure (/proc VmHWM, the peak of its own address space) per phase. --eval-batch sets the test
images per evaluation forward pass.

--pair takes model pairs, each a registered name or MODULE:ATTR, as every command does. spec and study are the
registered pairs of models/pairs.py (the spec CNN, the study's two models as written) and train epochs as above;
any other pair (resnet50, my_pair:pair) has what a training step, batch-1 latency, throughput and peak RSS of that
model cost in each framework compared, one set of weights, after a forward-agreement check: tfpt.cli.pair_compare
(this module only dispatches to it).

Every option (ranges, duplicate frameworks, a writable --json folder) and the data are checked before any
worker starts; a mistake is one line on stderr, `error: <the thing>: <what was expected>; fix: <the fix>`.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from tfpt import frameworks, procs, stats
from tfpt.cli.args import check_seed, framework_list, int_at_least
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.data import datasets
from tfpt.frameworks import registry
from tfpt.procs import child_env, thread_env
from tfpt.settings import RUN_MODES, STUDY_CODE
from tfpt.training.worker import PHASE_NAMES

PAIR_NAMES = {"spec": "spec CNN", "study": "study as written"}


def epochs_for(pair: str, epochs: int | None) -> int:
    """--epochs when given; else the study's epochs (tfpt.settings.STUDY) for its models, 1 for the spec CNN."""
    from tfpt.settings import STUDY as SETTINGS
    return epochs if epochs is not None else (SETTINGS.epochs if pair == "study" else 1)


def _pair_list(text: str) -> list[str]:
    pairs = [q.strip() for q in text.split(",") if q.strip()]
    if not pairs or len(set(pairs)) != len(pairs):
        raise argparse.ArgumentTypeError(f"expected model pairs, each a registered name or MODULE:ATTR (comma "
                                         f"separated, each once), got {text!r}")
    return pairs


# Options the model-pair path (tfpt.cli.pair_compare) does not use: it trains no epochs on a dataset, has no
# accuracy target and runs the study's as-written settings; given with a model pair they would change nothing.
PAIR_IGNORES = ("--dataset", "--epochs", "--order", "--target", "--eval-every", "--eval-batch", "--mode")


def _model_pairs(args, given: list[str]) -> None:
    """--pair naming model pairs other than spec and study: every option that path uses checked, the pairs
    resolved (tfpt.cli.pair_compare.resolve) into args.pair. Raises UserError."""
    from tfpt.cli import pair_compare
    study = [q for q in args.pair if q in PAIR_NAMES]
    if study:
        raise UserError(f"--pair {','.join(args.pair)}", f"either spec/study or other model pairs, not both "
                        f"({study[0]} trains epochs on a dataset; another pair's cost is steps and calls)",
                        "run them as two commands", USAGE)
    ignored = [o for o in PAIR_IGNORES if o in given]
    if ignored:
        raise UserError(f"{ignored[0]} with --pair {','.join(args.pair)}", "an option the model-pair comparison "
                        f"uses; it times training steps and calls on the pair's own batches, so {ignored[0]} would "
                        "change nothing", f"leave {ignored[0]} out", USAGE)
    pair_compare.check_frameworks(args.frameworks)
    args.pair = pair_compare.resolve(args.pair)
    args.model_pairs = True
    args.steps = args.steps or pair_compare.STEPS


def run_worker(fw: str, args, pair: str | None = None, threads: int | None = None) -> dict:
    pair = pair or (getattr(args, "pair", None) or ["spec"])[0]
    if args.mode == STUDY_CODE:
        pair = "study"
    epochs = epochs_for(pair, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--dataset", args.dataset,
               "--epochs", str(epochs), "--seed", str(args.seed), "--order", args.order,
               "--target", str(args.target), "--mode", args.mode, "--pair", pair, "--out", str(out)]
        if args.eval_every:
            cmd += ["--eval-every", str(args.eval_every)]
        if getattr(args, "eval_batch", None):
            cmd += ["--eval-batch", str(args.eval_batch)]
        what = "the study's own code" if args.mode == STUDY_CODE else f"the {PAIR_NAMES[pair]}"
        print(f"== {fw}: training {what} {epochs} epoch(s) on {args.dataset} in its own process"
              + (f" (repeat {args.repeat})" if getattr(args, "repeat", None) else ""), file=sys.stderr, flush=True)
        # its Keras backend fixed and the other frameworks' modules hidden (frameworks.worker_env)
        proc = procs.run(cmd, env=child_env(**thread_env(threads), **frameworks.worker_env(fw)))
        if proc.returncode != 0 or not out.is_file():
            raise SystemExit(f"the {fw} worker failed (exit {proc.returncode}); its messages are above")
        return json.loads(out.read_text())


NAMES = frameworks.NAMES
# The figures each run gives: label, how it is read from a run, the verdict's word, which way is better, and the
# key its verdict has in the ratios (the first two keep the names earlier JSON files have).
FIGURES = {
    "epoch_s": ("seconds per epoch", lambda r: epoch_seconds(r), "faster", "lower", "epoch_verdict"),
    "peak_rss_mb": ("peak RSS", lambda r: r["peak_rss_mb"], "smaller", "lower", "rss_verdict"),
    "latency_ms": ("latency at batch 1", lambda r: r.get("serving", {}).get("latency_ms"), "faster", "lower",
                   "latency_ms_verdict"),
    "throughput_ips": ("throughput at batch 1,024", lambda r: r.get("serving", {}).get("throughput_ips"), "faster",
                       "higher", "throughput_ips_verdict"),
}


def idle_flag(name: str, r_list: list) -> list[str]:
    """The flag on a framework's epoch figures, in words: how many of its timed epochs were idle and how many
    seconds of each the CPU time does not explain; [] where none was."""
    flagged = idle_epochs(r_list)
    if not flagged:
        return []
    secs = [s for *_, s in flagged]
    total = sum(len(r["epochs"]) for r in r_list)
    return [f"{name}: {len(flagged)} of {total} epochs idle ({min(secs):.1f}-{max(secs):.1f} s the CPU time does "
            "not explain)"]


# The flags the suite raises on a figure's runs (tfpt.training.clock's idle epochs: a wait, not the work): a ratio
# built on any of them gets no verdict (tfpt.stats.verdict), only the flags.
FLAGS = {"epoch_s": idle_flag}


def epoch_seconds(r: dict) -> float:
    """One run's figure: its mean training seconds per epoch (each the trainer's own perf_counter figure)."""
    return sum(e["seconds"] for e in r["epochs"]) / len(r["epochs"])


def spread(r_list: list) -> float:
    """Max / min of the runs' epoch seconds (1.0 for one run)."""
    v = [epoch_seconds(r) for r in r_list]
    return max(v) / min(v) if min(v) > 0 else float("inf")


def cpu_ratio(r: dict) -> float:
    """CPU seconds per wall second over a run's timed epochs (nan for results without CPU time)."""
    wall = sum(e["seconds"] for e in r["epochs"])
    return sum(e.get("cpu_seconds", float("nan")) for e in r["epochs"]) / wall if wall > 0 else float("nan")


def idle_epochs(r_list: list) -> list:
    """(repeat, epoch, idle seconds) of every epoch flagged idle."""
    return [(i, e["epoch"], e.get("idle_seconds", 0.0)) for i, r in enumerate(r_list, 1) for e in r["epochs"]
            if e.get("idle")]


def summarize(runs: dict) -> dict:
    """{key: [one result per repeat]} -> {key: {figure: Estimate}} and, per pair, the ratio of every two frameworks'
    medians in the order given (A / B for A listed before B), each with its verdict."""
    per = {}
    for key, rs in runs.items():
        per[key] = {"test_acc": stats.median([r["epochs"][-1]["test_acc"] for r in rs])}
        for fig, (_, get, *_) in FIGURES.items():
            values = [get(r) for r in rs]
            if all(v is not None for v in values):
                per[key][fig] = stats.median(values)
    ratios: dict = {}
    keys = list(runs)
    for i, ka in enumerate(keys):
        for kb in keys[i + 1:]:
            a, b = runs[ka][0], runs[kb][0]
            if a.get("pair", "spec") == b.get("pair", "spec") and a["framework"] != b["framework"]:
                ratios.setdefault(f"{a['framework']}/{b['framework']}", {})[a.get("pair", "spec")] = \
                    ratio_figures(runs[ka], runs[kb])
    return {"per_framework": per, "ratios": ratios}


def ratio_figures(a_runs: list, b_runs: list) -> dict:
    """A / B ratio of the medians of each figure both have, with its verdict ("PyTorch faster": B's figure is
    the better one and the interval excludes 1; else "no difference resolved"; where the suite flagged either
    side's figures (FLAGS), no verdict: the flags)."""
    a_name, b_name = NAMES[a_runs[0]["framework"]], NAMES[b_runs[0]["framework"]]
    out = {}
    for fig, (_, get, word, better, verdict_key) in FIGURES.items():
        va, vb = [get(r) for r in a_runs], [get(r) for r in b_runs]
        if any(v is None for v in va + vb):
            continue
        r = stats.ratio(va, vb)
        above, below = (f"{b_name} {word}", f"{a_name} {word}") if better == "lower" else \
            (f"{a_name} {word}", f"{b_name} {word}")
        flag = FLAGS.get(fig)
        flags = flag(a_name, a_runs) + flag(b_name, b_runs) if flag else []
        out[fig], out[verdict_key] = r, stats.verdict(r, above, below, flags)
    return out


def run_repeats(args, fws: list) -> tuple[dict, list]:
    """--repeats rounds; in each, every pair and framework once, in order (tf, torch, tf, torch, ...), each a
    fresh worker process. Returns ({key: [result per repeat]}, [keys in the order they ran])."""
    multi = len(args.pair) > 1
    runs, order = {}, []
    for rep in range(1, args.repeats + 1):
        args.repeat = f"{rep}/{args.repeats}"
        for q in args.pair:
            for fw in fws:
                key = f"{fw}/{q}" if multi else fw
                runs.setdefault(key, []).append(run_worker(fw, args, q))
                order.append(key)
    return runs, order


def table(runs: dict) -> str:
    """The side-by-side table: medians over the repeats with 95 % bootstrap intervals, then the ratios."""
    keys = list(runs)
    first = {k: runs[k][0] for k in keys}
    summary = summarize(runs)
    est = summary["per_framework"]

    def row(label, fn):
        return f"| {label} | " + " | ".join(fn(k) for k in keys) + " |"

    def med(values, fmt="{:.1f}"):
        return fmt.format(float(np.median(values))) if values else "-"
    pairs = {first[k].get("pair", "spec") for k in keys}
    label = (lambda r: f"{NAMES[r['framework']]}, {PAIR_NAMES[r.get('pair', 'spec')]}") if len(pairs) > 1 \
        else (lambda r: NAMES[r["framework"]])
    n_epochs = sorted({len(first[k]["epochs"]) for k in keys})
    n_rep = sorted({len(runs[k]) for k in keys})
    reps = f"{n_rep[0]} repeat(s)" if len(n_rep) == 1 else "repeats"
    lines = [
        "| | " + " | ".join(label(first[k]) for k in keys) + " |",
        "|---|" + "---|" * len(keys),
        row(f"test accuracy after {n_epochs[0]} epoch(s), median [95 % CI]" if len(n_epochs) == 1
            else "test accuracy, median [95 % CI] (epochs)",
            lambda k: est[k]["test_acc"].text("{:.2%}").replace("%", " %")
            + ("" if len(n_epochs) == 1 else f" ({len(first[k]['epochs'])})")),
        row(f"seconds per epoch (training), median of {reps} [95 % CI]",
            lambda k: est[k]["epoch_s"].text("{:.2f}", " s")),
        row("seconds per epoch, each repeat", lambda k: " / ".join(f"{epoch_seconds(r):.2f}" for r in runs[k])),
        row("spread of the repeats (slowest / fastest)", lambda k: f"{spread(runs[k]):.2f}x"),
    ]
    if len(n_epochs) == 1 and n_epochs[0] > 1:
        lines.append(row("seconds of epoch 1 ... N, medians", lambda k: " / ".join(
            f"{float(np.median([r['epochs'][i]['seconds'] for r in runs[k]])):.2f}" for i in range(n_epochs[0]))))
    lines += [
        row("CPU seconds per wall second in the epochs, median",
            lambda k: med([cpu_ratio(r) for r in runs[k]], "{:.2f}")),
        row("idle epochs (wall time the CPU time does not explain)",
            lambda k: ", ".join(f"repeat {i} epoch {e}: {s:.1f} s" for i, e, s in idle_epochs(runs[k])) or "none"),
        row("fit/loader set-up + teardown per run, outside the epochs, median",
            lambda k: med([sum(e.get("setup_seconds", 0.0) + e.get("teardown_seconds", 0.0) for e in r["epochs"])
                           for r in runs[k]], "{:.2f} s")),
        row("peak RSS (VmHWM), median [95 % CI]", lambda k: est[k]["peak_rss_mb"].text("{:.0f}", " MB")),
    ]
    for phase in ("import", "data", "model", "train", "eval"):
        if all("phases" in r for k in keys for r in runs[k]):
            lines.append(row(f"peak RSS {PHASE_NAMES[phase]}, median",
                             lambda k, p=phase: med([r["phases"][p]["peak_rss_mb"] for r in runs[k]], "{:.0f} MB")))
    if all("latency_ms" in est[k] for k in keys):
        lines += [row("latency at batch 1, plain call of the trained model, median [95 % CI]",
                      lambda k: est[k]["latency_ms"].text("{:.2f}", " ms")),
                  row("throughput at batch 1,024, median [95 % CI]",
                      lambda k: est[k]["throughput_ips"].text("{:,.0f}", " img/s"))]
    lines += [
        row(f"evaluation of the test images (batch {first[keys[0]].get('eval_batch', 1000)}), median",
            lambda k: med([r["epochs"][-1]["eval_seconds"] for r in runs[k]], "{:.1f} s")),
    ]
    if any(r.get("evaluations") for k in keys for r in runs[k]):
        lines.append(row(f"time to {100 * first[keys[0]]['target']:.1f} % test accuracy, median of those reaching it",
                         lambda k: (med([r["time_to_accuracy"] for r in runs[k] if r["time_to_accuracy"] is not None],
                                        "{:.1f} s")
                                    + f" ({sum(r['time_to_accuracy'] is not None for r in runs[k])}/{len(runs[k])})")))
    lines += [
        row("final training loss, median", lambda k: med([r["epochs"][-1]["loss"] for r in runs[k]], "{:.4f}")),
        row("parameters", lambda k: f"{first[k]['params']:,}"),
        row("version", lambda k: registry.get(first[k]["framework"]).versions(first[k]["versions"])),
    ]
    published = {k: registry.get(first[k]["framework"]).study("acc") for k in keys}  # its 5-epoch accuracy, %
    if any(v is not None for v in published.values()):  # the study measured TensorFlow and PyTorch only
        lines.append(row("the study (5 epochs, its machine)",
                         lambda k: f"{published[k]:.2f} %" if published[k] is not None else "-"))
    if summary["ratios"]:
        multi = len(pairs) > 1
        lines += ["", "| ratio of medians | " + ("pair | " if multi else "") + "figure | A / B [95 % CI] | verdict |",
                  "|---|" + ("---|" if multi else "") + "---|---|---|"]
        for ab, per_pair in summary["ratios"].items():
            a, b = ab.split("/")
            for pair, r in per_pair.items():
                p = f"{PAIR_NAMES[pair]} | " if multi else ""
                for fig, (label, *_, vkey) in FIGURES.items():
                    if fig in r:
                        lines.append(f"| {NAMES[a]} / {NAMES[b]} | {p}{label} | {r[fig].text()} | {r[vkey]} |")
        if any(ab == f"{registry.TF.id}/{registry.TORCH.id}" for ab in summary["ratios"]):
            lines.append("\n(the paper the study cites: TensorFlow / PyTorch 11.19 s / 7.67 s = 1.46 per epoch, "
                         "1.7 GB / 3.5 GB = 0.49 RAM)")
    return "\n".join(lines)


def to_json(runs: dict, order: list) -> dict:
    """Every repeat's full result, the run order, and the medians / ratios with their intervals ("ratios":
    {"tf/torch": {pair: {figure: Estimate, verdict...}}}, every two frameworks in the order given;
    "ratios_tf_over_torch" repeats its TensorFlow / PyTorch entry, as earlier files had it)."""
    summary = summarize(runs)

    def plain(r):
        return {f: (v.as_dict() if isinstance(v, stats.Estimate) else v) for f, v in r.items()}
    ratios = {ab: {pair: plain(r) for pair, r in per.items()} for ab, per in summary["ratios"].items()}
    out = {"repeats": max(len(v) for v in runs.values()), "run_order": order, "runs": runs,
           "summary": {k: {f: e.as_dict() for f, e in v.items()} for k, v in summary["per_framework"].items()},
           "ratios": ratios}
    tf_torch = f"{registry.TF.id}/{registry.TORCH.id}"
    if tf_torch in ratios:
        out["ratios_tf_over_torch"] = ratios[tf_torch]
    return out


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a test accuracy in (0, 1], e.g. 0.99, got {text}")
    return value


def check_json_target(path: Path) -> None:
    """--json must be a file in an existing folder this user can write: checked by creating and removing a temp
    file there, before any training, so a long run never ends on an unwritable path."""
    if path.is_dir():
        raise UserError(f"--json {path}", "a file path, got an existing folder", f"pass e.g. {path / 'results.json'}")
    if not path.parent.is_dir():
        is_file = path.parent.exists()
        raise UserError(f"--json {path}", f"a file in an existing folder; {path.parent} "
                        + ("is a file" if is_file else "does not exist"),
                        "pass a path in a folder" if is_file else f"mkdir -p {path.parent}")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"--json {path}", f"a folder this user can write ({exc.strerror})",
                        "choose a writable folder") from None


# Options --mode study-code does not use: the study's code shuffles natively, evaluates once per epoch on the whole
# test set in its own batches and has no target; given with it they were accepted and changed nothing.
STUDY_CODE_IGNORES = ("--order", "--target", "--eval-every", "--eval-batch")


def _installed(fw: str) -> None:
    if not frameworks.installed(fw):
        fix = frameworks.missing_fix(fw)
        raise UserError(f"--frameworks {fw}", f"an installed framework, but {frameworks.missing_reason(fw)}",
                        fix if fix.startswith("unset") else f"{fix}, or leave {fw} out of --frameworks", USAGE)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and validate every option; nothing has started yet when this raises or exits."""
    from tfpt.pair import PAIR_MEANS, PAIR_METAVAR
    p = Parser(prog="tfpt-compare", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--dataset", choices=sorted(datasets.INFO), default="mnist")
    p.add_argument("--epochs", type=int_at_least(1), default=None,
                   help="epochs per framework (>= 1); default 1 for the spec CNN, the study's 5 for --pair study")
    p.add_argument("--pair", type=_pair_list, default=None, metavar=f"{PAIR_METAVAR}[,...]",
                   help=f"{PAIR_MEANS}; comma separated. spec (default) and study, the registered pairs of the "
                        "spec CNN and of the study's two models as written, train epochs on --dataset (both: side "
                        f"by side; --mode {STUDY_CODE} takes study only); any other pair: what a training step, "
                        "latency, throughput and peak RSS cost in each framework (tfpt.cli.pair_compare)")
    p.add_argument("--frameworks", type=framework_list(frameworks.ALL_ALIASES), default="tf,torch",
                   help=f"any of {', '.join(frameworks.ALL)} (also tensorflow/pytorch), comma or space separated, "
                        "each once, in the order the table and its ratios take them; the Keras backends "
                        "(keras-torch, keras-jax) train through Keras' fit in a worker with that backend")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="weight init and shuffling seed (>= 0)")
    p.add_argument("--order", choices=("native", "shared"), default="native",
                   help="native: each framework shuffles as the study did; shared: both see one seeded order")
    p.add_argument("--target", type=_fraction, default=0.99, help="test accuracy for time-to-accuracy, in (0, 1]")
    p.add_argument("--eval-every", type=int_at_least(1), default=None,
                   help="also evaluate every N steps (time-to-accuracy; N >= 1)")
    p.add_argument("--mode", choices=RUN_MODES, default="as-written",
                   help="as-written: the study's settings (batch 32, Adam defaults, x / 255) on the chosen pair "
                        "through the suite's trainers; tuned: same math, faster feeding; tuned-bf16: tuned in "
                        f"bfloat16 mixed precision (float32 weights); {STUDY_CODE}: the study's own code as "
                        "written (its models, Keras on float64 arrays in one fit call, PyTorch through "
                        "torchvision's MNIST + ToTensor and an unshuffled DataLoader), its 5 epochs")
    p.add_argument("--repeats", type=int_at_least(1), default=3,
                   help="fresh workers per framework, alternating tf, torch, ... (>= 1); medians with 95 %% "
                        "bootstrap intervals need 3 or more")
    p.add_argument("--eval-batch", type=int_at_least(1), default=1000,
                   help="test images per evaluation forward pass (>= 1); default 1000, what both trainers do")
    p.add_argument("--json", type=Path, default=None, help="also write every repeat's results as JSON here")
    p.add_argument("--steps", type=int_at_least(1), default=None,
                   help="with a model pair: timed training steps per worker (>= 1, default 10)")
    args = p.parse_args(argv)
    given = [t.split("=")[0] for t in (sys.argv[1:] if argv is None else argv) if str(t).startswith("--")]
    args.model_pairs = False
    if args.pair and not all(q in PAIR_NAMES for q in args.pair):
        for fw in args.frameworks:
            _installed(fw)
        check_seed(args.seed, args.frameworks)
        _model_pairs(args, given)
        if args.json is not None:
            check_json_target(args.json)
            for sel in args.pair:  # the user's pair module is an input: --json must never write over it
                source = getattr(sys.modules.get(sel.ref.split(":")[0]), "__file__", None)
                if source and Path(source).resolve() == args.json.resolve():
                    raise UserError(f"--json {args.json}", f"a file of its own, got the module of --pair {sel.ref} "
                                    "(it would be written over)", "name another path for --json", USAGE)
        return args
    if args.steps is not None:
        raise UserError("--steps", "--pair naming a model pair other than spec and study (those train epochs, not "
                        "steps)",
                        "leave --steps out, or use --epochs", USAGE)
    if args.mode == STUDY_CODE:
        ignored = [o for o in STUDY_CODE_IGNORES if o in given]
        if ignored:  # accepted, they changed nothing: the study's code trains and evaluates as written
            raise UserError(f"{ignored[0]} with --mode {STUDY_CODE}", f"an option that mode uses; the study's "
                            f"code shuffles, evaluates and stops as written, so {ignored[0]} would change nothing",
                            f"leave {ignored[0]} out, or use another --mode", USAGE)
        if args.pair not in (None, ["study"]):
            raise UserError(f"--pair {','.join(args.pair)}", f"--mode {STUDY_CODE} runs the study's own models",
                            "leave --pair out (or use another --mode for the spec CNN)", USAGE)
        unwritten = [fw for fw in args.frameworks if registry.get(fw).study_code is None]
        if unwritten:
            wrote = " and ".join(registry.with_study_code())
            raise UserError(f"--mode {STUDY_CODE} --frameworks {','.join(unwritten)}",
                            f"frameworks the study wrote code for ({wrote})",
                            f"--frameworks {wrote.replace(' and ', ',')}, or another --mode", USAGE)
        if any("torchvision" in registry.get(fw).distributions for fw in args.frameworks) \
                and importlib.util.find_spec("torchvision") is None:
            raise UserError(f"--mode {STUDY_CODE}", "torchvision installed: the study's PyTorch code reads MNIST "
                            "through torchvision.datasets", "pip install torchvision, or --frameworks tf", USAGE)
    args.pair = args.pair or (["study"] if args.mode == STUDY_CODE else ["spec"])
    for fw in args.frameworks:
        _installed(fw)
    check_seed(args.seed, args.frameworks)
    if args.json is not None:
        check_json_target(args.json)
    return args


@procs.interruptible("tfpt-compare")
def main(argv=None) -> int:
    try:
        args = parse_args(argv)
    except UserError as exc:
        return report(exc)
    if args.model_pairs:
        from tfpt.cli import pair_compare
        return pair_compare.run(args)
    fws = args.frameworks
    try:
        datasets.load(args.dataset)  # verify (and cache) once, before any worker starts
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    try:
        runs, order = run_repeats(args, fws)
    except SystemExit as exc:  # run_worker's "the <fw> worker failed": exit 5, one meaning per code
        if not isinstance(exc.code, str):
            raise
        print(f"error: {exc.code}; fix: read the worker's messages above", file=sys.stderr)
        return RUNTIME
    from tfpt.settings import STUDY as SETTINGS
    what = "the study's own code as written" if args.mode == STUDY_CODE else \
        " and ".join(PAIR_NAMES[q] for q in args.pair)
    print(f"\nThe study's comparison on {args.dataset}, batch {SETTINGS.batch_size}, Adam defaults, seed {args.seed}, "
          f"order {args.order}, mode {args.mode}, {what}; "
          f"{args.repeats} repeat(s), each framework in a fresh process, alternating:\n")
    print(table(runs))
    idle = {k: idle_epochs(v) for k, v in runs.items() if idle_epochs(v)}
    for k, flagged in idle.items():
        print(f"warning: {k}: {len(flagged)} epoch(s) idle ({', '.join(f'{s:.1f} s' for *_, s in flagged)} "
              "that CPU time does not explain): a wait, not training, is in those figures; re-run on a quiet "
              "machine, or read the idle rows above", file=sys.stderr)
    if args.json:
        datasets.atomic_write(args.json, json.dumps(to_json(runs, order), indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
