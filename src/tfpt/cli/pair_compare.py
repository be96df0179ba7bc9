"""What a user's own model pair costs in each framework (`tfpt-compare --pair NAME|MODULE:ATTR`): one set of weights,
the same batches, each framework in fresh worker processes, interleaved; medians, intervals, ratios, one table.

The parent builds the pair once, seeded, with one set of weights (tfpt.checks.pairs.shared, Keras -> PyTorch through
the converters), writes them to a temp folder (Keras' .weights.h5, PyTorch's state_dict) with the batches (the
pair's InputSpec, labels as the pair benchmarks draw them) and runs the forward-agreement check FIRST: the models'
own outputs compared as the generic check test_model_outputs_match compares them (tfpt.checks.pairs.agree at the
pair's forward tolerance, each framework's own float32 error allowed where the table's figure fails). The Keras
model is the reference (its weights are the ones made; PyTorch's are converted from them), so where the two
disagree the PyTorch side is named and gets no cost. Each worker (tfpt.training.pair_cost) checks again what it
loaded against the parent's output of its side at the same tolerance, so a Keras backend that computes another
function (or a worker that loaded other weights) is named too. A side refused so is a pair that is not what the
comparison expects (two models of one function): exit 3, bad input, after the other sides' table; not 5 (nothing
failed to run) and not 7 (tfpt-convert's: nothing is written here).

Figures per worker: a training step at the pair's declared batch (or 32) with Adam at the study's settings, its
steps per second, batch-1 latency, throughput at batch 256 (images per second), peak RSS (VmHWM) after import,
load, steps, latency and throughput calls, and each timed region's wall and CPU seconds: a region whose CPU time
does not explain its wall time is flagged idle (tfpt.training.clock, as the study's epochs are) and a ratio built
on it gets no verdict.
"""
from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfpt import frameworks, procs, stats
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, UserError
from tfpt.frameworks import registry
from tfpt.procs import child_env
from tfpt.training.pair_cost import PHASE_NAMES, PHASES

# This repository's pair modules, looked in for a name when run from its root (zoo pairs are not registered:
# found by their `name` among the ModelPair objects these modules hold).
PAIR_MODULES = ("models.pairs", "models.transformer", "models.zoo", "models.zoo_ports")
STEP_BATCH = 32  # a pair that declares no batch
THROUGHPUT_BATCH = 256  # the pair benchmarks' throughput batch (benchmarks/test_bench_pairs.py)
LATENCY_CALLS, THROUGHPUT_CALLS = 50, 5  # timed calls per worker, after 5 and 1 untimed ones
STEPS = 10  # timed training steps per worker (after 2 untimed), --steps
NAMES = frameworks.NAMES
# figure: (label, region whose idle flag withholds its verdict, the verdict's word, which way is better)
FIGURES = {
    "step_s": ("seconds per training step", "step", "faster", "lower"),
    "latency_ms": ("latency at batch 1", "latency", "faster", "lower"),
    "throughput_ips": ("throughput at batch 256", "throughput", "faster", "higher"),
    "peak_rss_mb": ("peak RSS", None, "smaller", "lower"),
}
REGIONS = ("step", "latency", "throughput")


@dataclass
class Selected:
    """One pair the user named: the pair, and MODULE:ATTR a worker imports it by."""
    pair: object
    ref: str


@dataclass
class Prepared:
    """One pair made ready: a job file per framework allowed to run, and a line per framework refused."""
    selected: Selected
    jobs: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    check: dict = field(default_factory=dict)


def _known() -> dict[str, str]:
    """{pair name: MODULE:ATTR} of the pairs this repository's modules hold (those that import here)."""
    from tfpt.pair import ModelPair
    out: dict[str, str] = {}
    if str(Path.cwd()) not in sys.path:  # a console script's sys.path holds its own folder, not the caller's
        sys.path.insert(0, str(Path.cwd()))
    for name in PAIR_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, ModelPair) and attr.isupper():
                out.setdefault(value.name, f"{name}:{attr}")
    return out


def resolve(names: list[str]) -> list[Selected]:
    """The pairs --pair names (registered names or MODULE:ATTR), each checked to be one the comparison can run:
    one input, one output, a batch it can draw. Raises UserError."""
    from tfpt.data.datasets import DataError
    from tfpt.pair import InputSpec, PairError
    from tfpt.plugin.pairs import import_module_of
    out = []
    known = None
    for name in names:
        if ":" in name:
            frameworks.torch_first()  # the user's module may import Keras (TensorFlow) before torch: crash-safe order
            try:
                import_module_of(name)
            except PairError as exc:
                said = str(exc).removeprefix(f"--pair {name}: ").removeprefix(f"--pair {name!r}: ")
                thing, _, fix = said.rpartition("; fix: ")
                raise UserError(f"--pair {name}", thing or said, fix or "correct the module", USAGE) from None
            module, _, attr = name.partition(":")
            if module not in sys.modules:
                raise UserError(f"--pair {name}", f"an importable module {module!r}; it is not found",
                                "run from the folder that holds it, or put it on PYTHONPATH", USAGE)
            pair, ref = getattr(sys.modules[module], attr), name
        else:
            known = _known() if known is None else known
            if name not in known:
                names_here = ", ".join(sorted(known)) or "none here: run from the repository's root for its own"
                raise UserError(f"--pair {name}", f"spec, study, a pair name ({names_here}) or MODULE:ATTR of a "
                                "tfpt.ModelPair", "e.g. --pair resnet50 or --pair my_pair:pair", USAGE)
            ref = known[name]
            module, _, attr = ref.partition(":")
            pair = getattr(sys.modules[module], attr)
        if not isinstance(pair.input, InputSpec) or pair.outputs:
            raise UserError(f"--pair {name}", "a pair with one input and one output (the cost worker feeds one "
                            "array and trains on one loss)", "compare such a pair with pytest --pair", USAGE)
        try:
            pair.input.batch(1, 0)
        except DataError as exc:
            said, _, fix = str(exc).rpartition("; fix: ")
            raise UserError(f"pair {pair.name}'s input", f"its sample data; {said}" if said else str(exc),
                            fix if said else "make the data available (make data)", BAD_INPUT) from None
        out.append(Selected(pair, ref))
    return out


def runs_pairs(fw_id: str) -> bool:
    """Whether `fw_id` runs a ModelPair's own models: TensorFlow, PyTorch and Keras on another backend do (a
    framework with models of its own only, Flax's spec CNN, does not)."""
    fw = registry.get(fw_id)
    return fw.in_process or fw.keras_backend is not None


def check_frameworks(fws: list[str]) -> None:
    """Each framework runs a pair's own models; one set of weights needs both in-process frameworks here (built
    in each, moved by the converters). Raises UserError."""
    others = [fw for fw in fws if not runs_pairs(fw)]
    if others:
        can = ", ".join(fw for fw in registry.REGISTRY if runs_pairs(fw))
        raise UserError(f"--frameworks {others[0]}", f"frameworks that run a ModelPair's Keras model or PyTorch "
                        f"module ({can}); {NAMES[others[0]]} has models of its own only",
                        f"leave {others[0]} out of --frameworks", USAGE)
    missing = [fw.id for fw in frameworks.native() if not frameworks.installed(fw.id)]
    if missing:
        raise UserError("--pair with a model pair", "TensorFlow and PyTorch both installed: the weights are made "
                        f"in Keras and converted to PyTorch here, but {frameworks.missing_reason(missing[0])}",
                        frameworks.missing_fix(missing[0]), USAGE)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def prepare(sel: Selected, fws: list[str], seed: int, folder: Path, steps: int) -> Prepared:
    """Build the pair once (one set of weights), run the forward check, write weights, batches and a job per
    framework. Raises UserError where the pair cannot be built or matched (its own code, or the converters)."""
    frameworks.torch_first()
    from tfpt.adapters import get as adapter, weight_files
    from tfpt.checks import pairs as P
    pair, prep = sel.pair, Prepared(sel)
    try:
        pm = P.shared(pair, "tf->torch", seed)
    except Exception as exc:  # noqa: BLE001 - the user's builders or an unmatched layer: one line
        raise UserError(f"--pair {pair.name}", f"two models the suite can build and match ({_one_line(exc)})",
                        f"run pytest --pair {sel.ref} to see which check fails", BAD_INPUT) from None
    tol = pair.tolerance("forward")
    x = pair.input.batch(pair.sample_batch, seed)

    def named(out):
        return {"output": np.asarray(out)}
    k, t = P.model_outputs(pm, x)

    def own():
        twins = P.own_model_outputs(pm, x)
        return None if twins is None else (named(twins[0]), named(twins[1]))
    verdict = P.agree(named(k), named(t), tol, own)
    prep.check = {"agrees": verdict.ok, "max_abs": verdict.result.max_abs, "samples": len(x),
                  "tolerance": {"atol": tol.atol, "rtol": tol.rtol}, "message": verdict.message("model output")}
    keras_fw, torch_fw = frameworks.on_side(frameworks.KERAS_SIDE), frameworks.on_side(frameworks.TORCH_SIDE)
    sides = {frameworks.KERAS_SIDE: (keras_fw, pm.keras_model, folder / f"{pair.name}.weights.h5"),
             frameworks.TORCH_SIDE: (torch_fw, pm.torch_model, folder / f"{pair.name}.pt")}
    weight_files.write_keras(pm.keras_model, sides[frameworks.KERAS_SIDE][2])
    weight_files.write_torch(pm.torch_model, sides[frameworks.TORCH_SIDE][2])
    batch = pair.batch or STEP_BATCH
    arrays = {"x_check": x, "x_step": pair.input.batch(batch, seed + 2), "x_one": pair.input.batch(1, seed + 3),
              "x_big": pair.input.batch(THROUGHPUT_BATCH, seed + 4)}
    files = {}
    for side, (fw, model, _) in sides.items():
        files[side] = {}
        for key, value in arrays.items():
            files[side][key] = folder / f"{pair.name}-{side}-{key}.npy"
            np.save(files[side][key], fw.inputs(pair, value))
        files[side]["expected"] = folder / f"{pair.name}-{side}-expected.npy"
        np.save(files[side]["expected"], np.asarray(adapter(fw.id).predict(model, fw.inputs(pair, x)), np.float32))
        files[side]["y_step"] = folder / f"{pair.name}-{side}-y_step.npy"
        np.save(files[side]["y_step"], P.labels(pair, batch, seed))
    for fw_id in fws:
        fw = registry.get(fw_id)
        if fw.side == frameworks.TORCH_SIDE and not verdict.ok:
            prep.refused[fw_id] = (f"{NAMES[fw_id]} gets no cost: {pair.name}'s PyTorch model does not compute its "
                                   f"Keras model's function with the same weights ({verdict.message('model output')})")
            continue
        job = {"framework": fw_id, "ref": sel.ref, "seed": seed, "weights": str(sides[fw.side][2]),
               "arrays": {k: str(v) for k, v in files[fw.side].items()},
               "tol": {"atol": tol.atol, "rtol": tol.rtol, "quantile": tol.quantile, "norm": tol.norm},
               "batch": batch, "throughput_batch": THROUGHPUT_BATCH, "steps": steps,
               "latency_calls": LATENCY_CALLS, "throughput_calls": THROUGHPUT_CALLS}
        prep.jobs[fw_id] = folder / f"{pair.name}-{fw_id}-job.json"
        prep.jobs[fw_id].write_text(json.dumps(job))
    return prep


def run_worker(fw: str, job: Path, label: str) -> dict:
    """One fresh worker holding `fw` alone (frameworks.worker_env), its result."""
    out = job.with_name(job.stem + "-result.json")
    out.unlink(missing_ok=True)
    print(f"== {fw}: {label} in its own process", file=sys.stderr, flush=True)
    proc = procs.run([sys.executable, "-m", "tfpt.training.pair_cost", "--job", str(job), "--out", str(out)],
                     env=child_env(**frameworks.worker_env(fw)))
    if proc.returncode == BAD_INPUT:  # the worker said what in the user's pair it could not use, in one line
        raise SystemExit(BAD_INPUT)
    if proc.returncode != 0 or not out.is_file():
        raise SystemExit(f"the {fw} worker failed (exit {proc.returncode}); its messages are above")
    return json.loads(out.read_text())


def run_repeats(prepared: list[Prepared], repeats: int) -> tuple[dict, list]:
    """Interleaved: in each repeat, every pair and framework once, in order. A worker whose own forward check
    fails is refused from then on. Returns ({pair: {fw: [results]}}, [(pair, fw) in the order they ran])."""
    runs: dict = {p.selected.pair.name: {} for p in prepared}
    order = []
    for rep in range(1, repeats + 1):
        for prep in prepared:
            name = prep.selected.pair.name
            for fw, job in prep.jobs.items():
                if fw in prep.refused:
                    continue
                r = run_worker(fw, job, f"{name}, repeat {rep}/{repeats}")
                order.append([name, fw])
                if not r["check"]["agrees"]:
                    prep.refused[fw] = (f"{NAMES[fw]} gets no cost: its model of {name}, loaded in its own process, "
                                        f"does not compute the reference's function ({r['check']['message']})")
                    runs[name].pop(fw, None)
                    continue
                runs[name].setdefault(fw, []).append(r)
    return runs, order


def value(r: dict, fig: str) -> float:
    return r["peak_rss_mb"] if fig == "peak_rss_mb" else r[FIGURES[fig][1]][fig]


def idle(rs: list, region: str) -> list:
    """(repeat, idle seconds) of every run whose `region` was flagged idle."""
    return [(i, r[region]["idle_seconds"]) for i, r in enumerate(rs, 1) if r[region]["idle"]]


def flags(fw: str, rs: list, region: str | None) -> list[str]:
    found = idle(rs, region) if region else []
    if not found:
        return []
    return [f"{NAMES[fw]}: {len(found)} of {len(rs)} {region} regions idle "
            f"({', '.join(f'{s:.1f} s' for _, s in found)} the CPU time does not explain)"]


def summarize(per_fw: dict) -> dict:
    """{fw: [results]} -> medians per figure and the ratio of every two frameworks (A listed before B)."""
    medians = {fw: {fig: stats.median([value(r, fig) for r in rs]) for fig in FIGURES} for fw, rs in per_fw.items()}
    ratios = {}
    fws = list(per_fw)
    for i, a in enumerate(fws):
        for b in fws[i + 1:]:
            out = {}
            for fig, (_, region, word, better) in FIGURES.items():
                r = stats.ratio([value(x, fig) for x in per_fw[a]], [value(x, fig) for x in per_fw[b]])
                above, below = (f"{NAMES[b]} {word}", f"{NAMES[a]} {word}") if better == "lower" else \
                    (f"{NAMES[a]} {word}", f"{NAMES[b]} {word}")
                out[fig] = {"ratio": r, "verdict": stats.verdict(
                    r, above, below, flags(a, per_fw[a], region) + flags(b, per_fw[b], region))}
            ratios[f"{a}/{b}"] = out
    return {"per_framework": medians, "ratios": ratios}


def table(per_fw: dict) -> str:
    """One pair's side-by-side table (a column per framework) and its ratios."""
    fws = list(per_fw)
    summary = summarize(per_fw)
    est = summary["per_framework"]
    first = {fw: per_fw[fw][0] for fw in fws}

    def row(label, fn):
        return f"| {label} | " + " | ".join(fn(fw) for fw in fws) + " |"

    def med(values, fmt):
        return fmt.format(float(np.median(values)))
    batch, n = first[fws[0]]["batch"], sorted({len(rs) for rs in per_fw.values()})
    lines = [
        "| | " + " | ".join(NAMES[fw] for fw in fws) + " |", "|---|" + "---|" * len(fws),
        row(f"seconds per training step at batch {batch} (Adam, study settings), median of {n[0]} [95 % CI]",
            lambda fw: est[fw]["step_s"].text("{:.4f}", " s")),
        row("training steps per second, median", lambda fw: med([1 / value(r, "step_s") for r in per_fw[fw]],
                                                                 "{:.2f}")),
        row("seconds per step, each repeat", lambda fw: " / ".join(f"{value(r, 'step_s'):.4f}" for r in per_fw[fw])),
        row("latency at batch 1, median [95 % CI]", lambda fw: est[fw]["latency_ms"].text("{:.2f}", " ms")),
        row(f"throughput at batch {THROUGHPUT_BATCH}, median [95 % CI]",
            lambda fw: est[fw]["throughput_ips"].text("{:,.0f}", " img/s")),
        row("CPU seconds per wall second (step / latency / throughput), median",
            lambda fw: " / ".join(med([r[g]["cpu_seconds"] / r[g]["seconds"] for r in per_fw[fw]], "{:.2f}")
                                  for g in REGIONS)),
        row("idle regions (wall time the CPU time does not explain)",
            lambda fw: ", ".join(f"repeat {i} {g}: {s:.1f} s" for g in REGIONS for i, s in idle(per_fw[fw], g))
            or "none"),
        row("peak RSS (VmHWM), median [95 % CI]", lambda fw: est[fw]["peak_rss_mb"].text("{:.0f}", " MB")),
    ]
    lines += [row(f"peak RSS {PHASE_NAMES[p]}, median",
                  lambda fw, p=p: med([r["phases"][p]["peak_rss_mb"] for r in per_fw[fw]], "{:.0f} MB"))
              for p in PHASES]
    lines += [
        row("its output against the parent's of its side, max |Δ|", lambda fw: f"{first[fw]['check']['max_abs']:.2g}"),
        row("training step / inference call", lambda fw: first[fw]["how"]),
        row("version", lambda fw: registry.get(fw).versions(first[fw]["versions"])),
    ]
    if summary["ratios"]:
        lines += ["", "| ratio of medians | figure | A / B [95 % CI] | verdict |", "|---|---|---|---|"]
        for ab, figs in summary["ratios"].items():
            a, b = ab.split("/")
            lines += [f"| {NAMES[a]} / {NAMES[b]} | {FIGURES[fig][0]} | {f['ratio'].text()} | {f['verdict']} |"
                      for fig, f in figs.items()]
    return "\n".join(lines)


def to_json(prepared: list[Prepared], runs: dict, order: list, repeats: int) -> dict:
    out = {"repeats": repeats, "run_order": order, "pairs": {}}
    for prep in prepared:
        name = prep.selected.pair.name
        summary = summarize(runs[name]) if runs[name] else {"per_framework": {}, "ratios": {}}
        out["pairs"][name] = {
            "ref": prep.selected.ref, "forward_check": prep.check, "refused": prep.refused, "runs": runs[name],
            "summary": {fw: {f: e.as_dict() for f, e in figs.items()} for fw, figs in
                        summary["per_framework"].items()},
            "ratios": {ab: {f: {"ratio": v["ratio"].as_dict(), "verdict": v["verdict"]} for f, v in figs.items()}
                       for ab, figs in summary["ratios"].items()}}
    return out


def run(args) -> int:
    """The whole comparison of `args.pair` (Selected pairs), after every option was checked."""
    from tfpt.data.datasets import atomic_write
    with procs.temp_dir(prefix="tfpt-pair-cost-") as folder:
        try:
            prepared = [prepare(sel, args.frameworks, args.seed, folder, args.steps) for sel in args.pair]
        except UserError as exc:
            from tfpt.cli.exitcodes import report
            return report(exc)
        try:
            runs, order = run_repeats(prepared, args.repeats)
        except SystemExit as exc:
            if exc.code == BAD_INPUT:
                return BAD_INPUT
            if not isinstance(exc.code, str):
                raise
            print(f"error: {exc.code}; fix: read the worker's messages above", file=sys.stderr)
            return RUNTIME
    for prep in prepared:
        name = prep.selected.pair.name
        print(f"\n### {name}: {prep.selected.ref}\n\nOne set of weights (Keras -> PyTorch), the same batches, "
              f"seed {args.seed}; {args.repeats} repeat(s), each framework in a fresh process, interleaved; the two "
              f"models' outputs on {prep.check['samples']} samples: max |Δ| {prep.check['max_abs']:.2g} "
              f"({'agree' if prep.check['agrees'] else 'they disagree: PyTorch gets no cost, below'}).\n")
        print(table(runs[name]) if runs[name] else "(no framework measured)")
    refused = [(prep.selected.pair.name, line) for prep in prepared for line in prep.refused.values()]
    for name, line in refused:
        print(f"error: --pair {name}: {line}; fix: make both builders compute one function (pytest --pair names "
              "the first layer that differs)", file=sys.stderr)
    for prep in prepared:
        for fw, rs in runs[prep.selected.pair.name].items():
            for region in REGIONS:
                found = idle(rs, region)
                if found:
                    print(f"warning: {prep.selected.pair.name}/{fw}: {len(found)} {region} region(s) idle: a wait, "
                          "not work, is in those figures; re-run on a quiet machine", file=sys.stderr)
    if args.json:
        atomic_write(args.json, json.dumps(to_json(prepared, runs, order, args.repeats), indent=1,
                                           default=lambda o: o.as_dict()).encode())
    return BAD_INPUT if refused else OK
