"""Multi-seed study: N seeds per framework, each run in its own worker process, then mean ± std of test
accuracy and epoch time, and Welch's t-test of the accuracy difference with its effect size (Cohen's d).

    python -m tfpt.cli.seeds [--n 5] [--epochs 1] [--dataset mnist] [--jobs 1] [--json out.json]

--jobs N runs N workers at once, the machine's cores divided between them (each worker's compute threads capped
at cores // N), and prints the throughput as seeds per hour. Epoch times of parallel jobs share the machine:
compare them only with runs of the same --jobs.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from tfpt import frameworks, procs
from tfpt.cli.args import int_at_least
from tfpt.cli.compare import check_json_target
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.data import datasets


def summarize(accs: dict, times: dict) -> dict:
    """accs/times: {fw: [per-seed values]} -> means, stds, Welch's t-test, Cohen's d and the sentence."""
    from scipy import stats

    out = {fw: {"n": len(accs[fw]), "acc_mean": statistics.mean(accs[fw]), "acc_std": statistics.stdev(accs[fw]),
                "epoch_s_mean": statistics.mean(times[fw]), "epoch_s_std": statistics.stdev(times[fw])}
           for fw in accs}
    first, second = frameworks.native()  # TensorFlow, PyTorch: the study's two
    a, b = accs[first.id], accs[second.id]
    t = stats.ttest_ind(a, b, equal_var=False)
    pooled = ((statistics.variance(a) + statistics.variance(b)) / 2) ** 0.5
    d = (statistics.mean(a) - statistics.mean(b)) / pooled if pooled > 0 else float("inf")
    diff = 100 * (statistics.mean(a) - statistics.mean(b))
    significant = bool(t.pvalue < 0.05)
    sentence = (f"With n={len(a)} and {len(b)} seeds, {first.name}'s mean test accuracy "
                f"{100 * statistics.mean(a):.2f} % (sd {100 * statistics.stdev(a):.2f}) vs {second.name}'s "
                f"{100 * statistics.mean(b):.2f} % (sd {100 * statistics.stdev(b):.2f}) differs by {diff:+.2f} points: "
                f"{'significant' if significant else 'not significant'} at 5 % (Welch's t = {t.statistic:.2f}, "
                f"p = {t.pvalue:.3g}), effect size Cohen's d = {d:.2f}.")
    return {"per_framework": out, "welch_t": float(t.statistic), "p_value": float(t.pvalue), "cohens_d": d,
            "difference_points": diff, "significant_at_5pct": significant, "sentence": sentence}


def run(n: int, epochs: int, dataset: str, first_seed: int = 1, jobs: int = 1) -> dict:
    from tfpt.cli.compare import run_worker

    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    tasks = [(seed, fw) for seed in range(first_seed, first_seed + n) for fw in frameworks.FRAMEWORKS]

    def one(task):
        seed, fw = task
        args = SimpleNamespace(dataset=dataset, epochs=epochs, seed=seed, order="native", target=0.99,
                               eval_every=None, mode="as-written", pair=["spec"])
        return run_worker(fw, args, threads=threads)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each thread waits on one worker process
        runs = list(pool.map(one, tasks))
    wall = time.perf_counter() - start
    accs: dict = {fw: [] for fw in frameworks.FRAMEWORKS}
    times: dict = {fw: [] for fw in frameworks.FRAMEWORKS}
    for (_, fw), r in zip(tasks, runs, strict=True):
        accs[fw].append(r["epochs"][-1]["test_acc"])
        times[fw].append(statistics.mean(e["seconds"] for e in r["epochs"]))
    return {**summarize(accs, times), "runs": runs, "epochs": epochs, "dataset": dataset, "jobs": jobs,
            "threads_per_job": threads, "wall_s": wall, "seeds_per_hour": 3600 * n / wall}


@procs.interruptible("python -m tfpt.cli.seeds")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.seeds", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--n", type=int_at_least(2), default=5, help="seeds per framework (>= 2: a t-test needs two)")
    p.add_argument("--epochs", type=int_at_least(1), default=1, help="epochs per run")
    p.add_argument("--dataset", choices=sorted(datasets.INFO), default="mnist")
    p.add_argument("--jobs", type=int_at_least(1), default=1,
                   help="workers run at once, the cores divided between them")
    p.add_argument("--json", type=Path, default=None, help="also write the study's figures as JSON here")
    a = p.parse_args(argv)
    try:
        if a.json:
            check_json_target(a.json)  # before any training: a long study never ends on an unwritable path
        datasets.load(a.dataset)
    except UserError as exc:
        return report(exc)
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    result = run(a.n, a.epochs, a.dataset, jobs=a.jobs)
    for fw, s in result["per_framework"].items():
        print(f"{fw}: accuracy {100 * s['acc_mean']:.2f} ± {100 * s['acc_std']:.2f} %, "
              f"epoch {s['epoch_s_mean']:.1f} ± {s['epoch_s_std']:.1f} s (n={s['n']})")
    print(result["sentence"])
    print(f"{a.n} seeds x 2 frameworks in {result['wall_s']:.0f} s with {a.jobs} job(s)"
          + (f" of {result['threads_per_job']} thread(s)" if result["threads_per_job"] else "")
          + f": {result['seeds_per_hour']:.1f} seeds per hour")
    if a.json:
        datasets.atomic_write(a.json, json.dumps(result, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
