"""The spec CNN on CUDA beside the CPU, one process per framework and device: training step, batch-1 latency and
large-batch throughput with synchronised timing and peak device memory (tfpt.frameworks.torch.cuda), as a table and
a JSON; what `scripts/gpu-check` runs on a lent GPU machine.

`python -m tfpt.bench.cuda_compare --out DIR [--frameworks torch,keras-torch] [--devices gpu,cpu] [--quick]`
writes DIR/cuda-compare.json and prints the Markdown table. A side that cannot run here (no CUDA GPU, Keras not
installed) is skipped with its reason; a side whose process fails or outruns --timeout is named with its last
line (exit 5); nothing else stops the others. Ratios are medians of one process's rounds with a bootstrap 95 %
interval (tfpt.stats): they say how the two sides differ in this run, on this machine, not between machines.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tfpt import frameworks, procs, stats
from tfpt.cli import args as cli_args
from tfpt.cli.exitcodes import OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report

PROG = "python -m tfpt.bench.cuda_compare"
DEVICES = ("gpu", "cpu")
DEFAULT_FRAMEWORKS = "torch,keras-torch"
JSON_NAME = "cuda-compare.json"


def side_name(fw: str, device: str) -> str:
    return f"{fw}-{device}"


def worker_main(fw: str, device: str, out: Path, quick: bool, seed: int) -> int:
    """In the worker process: measure and write the JSON (the answer's one file)."""
    from tfpt.bench import cuda_timing
    from tfpt.frameworks.torch.cuda import measure  # every side runs on torch's CUDA; its bodies are fw's folder's
    result = measure(fw, device, cuda_timing.QUICK if quick else cuda_timing.Plan(), seed)
    out.write_text(json.dumps(result))
    return OK


def _run_worker(fw: str, device: str, quick: bool, seed: int, timeout: float) -> dict:
    """One side in its own process (its Keras backend fixed, other frameworks hidden): its result, or
    {"failed": last line} when it fails or outruns `timeout` (then it is stopped with what it started)."""
    with tempfile.TemporaryDirectory(prefix="tfpt-cuda-") as tmp:
        out = Path(tmp) / "side.json"
        cmd = [sys.executable, "-m", "tfpt.bench.cuda_compare", "--worker", fw, device, "--json", str(out),
               "--seed", str(seed)] + (["--quick"] if quick else [])
        proc = subprocess.Popen(cmd, env=procs.child_env(**frameworks.worker_env(fw), PYTHONUNBUFFERED="1"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            procs.stop(proc)
            return {"failed": f"outran --timeout {timeout:.0f} s and was stopped"}
        except BaseException:
            procs.stop(proc)
            raise
        if proc.returncode != 0 or not out.is_file():
            last = next((s for s in reversed(log.splitlines()) if s.strip()), "no output")
            return {"failed": f"exit {proc.returncode}: {last.strip()[:300]}"}
        return json.loads(out.read_text())


def comparisons(sides: dict) -> list[dict]:
    """Each framework's CPU against its GPU (how much faster the GPU is), and each further framework against the
    first one on the same device (how much slower it is): per quantity and batch, the ratio of median times."""
    measured = {k: {(r["quantity"], r["batch"]): r for r in v["rows"]} for k, v in sides.items() if "rows" in v}
    fws = list(dict.fromkeys(v["framework"] for v in sides.values()))
    pairs = [(side_name(fw, "cpu"), side_name(fw, "gpu"), "GPU faster", "GPU slower") for fw in fws]
    pairs += [(side_name(fw, dev), side_name(fws[0], dev), f"{frameworks.get(fw).name} slower",
               f"{frameworks.get(fw).name} faster") for dev in DEVICES for fw in fws[1:]]
    out = []
    for a, b, above, below in pairs:
        if a not in measured or b not in measured:
            continue
        for key in measured[a]:
            if key in measured[b]:
                r = stats.ratio(measured[a][key]["samples_s"], measured[b][key]["samples_s"])
                out.append({"a": a, "b": b, "quantity": key[0], "batch": key[1], "ratio": r.as_dict(),
                            "verdict": stats.verdict(r, above, below, unit="rounds")})
    return out


def _cell(row: dict) -> str:
    if row["quantity"] == "throughput":
        text = f"{row['images_per_s']:,.0f} img/s"
    else:
        text = f"{1000 * row['median_s']:.3f} ms"
    mem = row.get("device_peak_mib")
    return text + (f", {mem:,.0f} MiB" if mem is not None else "")


def table(result: dict) -> str:
    """The Markdown table: a column per side (median per call; peak device memory on the GPU), then the ratios."""
    sides = result["sides"]
    names = list(sides)
    head = [frameworks.get(sides[n]["framework"]).name + " " + sides[n]["device"].upper() for n in names]
    keys = list(dict.fromkeys((r["quantity"], r["batch"]) for s in sides.values() for r in s.get("rows", [])))
    lines = ["| quantity | " + " | ".join(head) + " |", "|---|" + "---|" * len(names)]
    for q, b in keys:
        cells = []
        for n in names:
            row = next((r for r in sides[n].get("rows", []) if (r["quantity"], r["batch"]) == (q, b)), None)
            cells.append(_cell(row) if row else "—")
        lines.append(f"| {q} (batch {b}) | " + " | ".join(cells) + " |")
    notes = [f"- {n}: {'skipped' if 'skipped' in s else 'FAILED'}: {s.get('skipped') or s.get('failed')}"
             for n, s in sides.items() if "rows" not in s]
    ratios = [f"- {c['quantity']} (batch {c['batch']}): {c['a']} / {c['b']} time "
              f"{stats.Estimate(**c['ratio']).text('{:.2f}')}: {c['verdict']}" for c in result["comparisons"]]
    return "\n".join(lines + [""] + notes + (["", "Ratios of median times (95 % interval over rounds):"] + ratios
                                             if ratios else []))


def compare(fws: list[str], devices: list[str], quick: bool, seed: int, timeout: float) -> dict:
    sides = {}
    for fw in fws:
        for device in devices:
            name = side_name(fw, device)
            print(f"cuda-compare: {name} ...", file=sys.stderr, flush=True)
            if not frameworks.installed(fw):
                sides[name] = {"skipped": frameworks.missing_reason(fw)}
            else:
                sides[name] = _run_worker(fw, device, quick, seed, timeout)
            sides[name].update(framework=fw, device=device)
    return {"sides": sides, "comparisons": comparisons(sides), "quick": quick, "seed": seed,
            "timing": "each call between torch.cuda.synchronize() calls; float32, TF32 off",
            "inputs": "seeded synthetic images with MNIST's shapes (tfpt.data.datasets.synthetic)"}


def parser() -> Parser:
    from tfpt.frameworks.torch.cuda import SUPPORTED
    p = Parser(prog=PROG, description=__doc__, formatter_class=Formatter, epilog=epilog(OK, USAGE, RUNTIME))
    p.add_argument("--out", type=Path, help="folder for cuda-compare.json (created; an existing file there is "
                   "refused, never overwritten)")
    p.add_argument("--frameworks", type=cli_args.framework_list(frameworks.ALL_ALIASES), default=DEFAULT_FRAMEWORKS,
                   help=f"any of {', '.join(SUPPORTED)}")
    p.add_argument("--devices", default="gpu,cpu", help="gpu and/or cpu, comma separated")
    p.add_argument("--quick", action="store_true", help="a few rounds at small batches: every path in seconds")
    p.add_argument("--seed", type=cli_args.int_at_least(0), default=0)
    p.add_argument("--timeout", type=cli_args.int_at_least(1), default=120, help="seconds per side's process")
    p.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "DEVICE"), help=argparse.SUPPRESS)
    p.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    return p


@procs.interruptible(PROG)
def main(argv=None) -> int:
    from tfpt.frameworks.torch.cuda import SUPPORTED
    a = parser().parse_args(argv)
    if a.worker:
        return worker_main(a.worker[0], a.worker[1], a.json, a.quick, a.seed)
    try:
        bad = [fw for fw in a.frameworks if fw not in SUPPORTED]
        if bad:
            raise UserError(f"--frameworks {','.join(bad)}", f"frameworks that run on torch's CUDA: "
                            f"{', '.join(SUPPORTED)}", f"e.g. --frameworks {','.join(SUPPORTED)}", USAGE)
        devices = [d.strip().lower() for d in a.devices.split(",") if d.strip()]
        if not devices or any(d not in DEVICES for d in devices) or len(set(devices)) < len(devices):
            raise UserError(f"--devices {a.devices!r}", "gpu and/or cpu, each once", "e.g. --devices gpu,cpu",
                            USAGE)
        if a.out is None:
            raise UserError("--out", "a folder for cuda-compare.json", "pass --out DIR", USAGE)
        target = a.out / JSON_NAME
        if target.exists():
            raise UserError(str(target), "a new file (results are never overwritten)",
                            "pass another --out folder or move the old result away")
        a.out.mkdir(parents=True, exist_ok=True)
    except UserError as exc:
        return report(exc)
    except OSError as exc:
        return report(UserError(f"--out {a.out}", f"a folder that can be created ({exc.strerror})",
                                "pass a writable folder"))
    result = compare(a.frameworks, devices, a.quick, a.seed, a.timeout)
    tmp = target.with_name(f".{JSON_NAME}.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(target)
    print(table(result))
    return RUNTIME if any("failed" in s for s in result["sides"].values()) else OK


if __name__ == "__main__":
    sys.exit(main())
