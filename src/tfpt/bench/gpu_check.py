"""The record of one `scripts/gpu-check` run, in its figures folder: what the device was, what the gpu-marked tests
and benchmarks did (pytest's JUnit XML and pytest-benchmark's saved run), the CUDA comparison
(tfpt.bench.cuda_compare), as gpu-check.json and a short summary.md a note can quote.

`python -m tfpt.bench.gpu_check device --json FILE` writes what torch sees of the accelerator;
`python -m tfpt.bench.gpu_check summary --dir DIR ...` reads what the run left in DIR and writes the two files;
`python -m tfpt.bench.gpu_check carry-data --out .gpu/data` writes MNIST's four IDX files gzipped (about 11 MB,
within the lent machine's carry limit) from the verified data, for that machine's loader (TFPT_DATA_DIR).
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tfpt import procs
from tfpt.bench import cuda_compare
from tfpt.cli.exitcodes import BAD_INPUT, OK, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.data.registry import DataError

PROG = "python -m tfpt.bench.gpu_check"
JSON_NAME, SUMMARY_NAME, JUNIT_NAME = "gpu-check.json", "summary.md", "pytest-junit.xml"


def carry_data(out: Path) -> list[Path]:
    """MNIST as the four official .gz IDX files in `out` (verified first; each written whole, by temp + rename;
    files already there are kept, never rewritten)."""
    import gzip

    from tfpt.data import datasets
    from tfpt.data.cache import atomic_write
    from tfpt.data.idx import idx_bytes
    from tfpt.data.registry import IDX_NAMES
    ds = datasets.load("mnist")
    written = []
    for key, stem in IDX_NAMES.items():
        path = out / f"{stem}.gz"
        if not path.exists():
            atomic_write(path, gzip.compress(idx_bytes(getattr(ds, key)), mtime=0))
            written.append(path)
    return written


def pytest_outcome(junit: Path) -> dict:
    """Counts and each skip reason (once, with how often) from pytest's JUnit XML; {"missing": ...} without it."""
    if not junit.is_file():
        return {"missing": f"{junit.name}: pytest wrote none (it did not start, or was stopped)"}
    try:
        root = ET.parse(junit).getroot()
    except ET.ParseError as exc:
        return {"missing": f"{junit.name}: unreadable ({exc})"}
    cases = list(root.iter("testcase"))
    outcome = {"tests": len(cases), "passed": 0, "failed": [], "skipped": 0, "skip_reasons": {}}
    for case in cases:
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        bad = case.find("failure")
        bad = bad if bad is not None else case.find("error")
        skip = case.find("skipped")
        if bad is not None:
            first = (bad.get("message") or bad.tag).strip().splitlines() or [bad.tag]
            outcome["failed"].append(f"{name}: {first[0][:200]}")
        elif skip is not None:
            outcome["skipped"] += 1
            reason = (skip.get("message") or "").strip()
            outcome["skip_reasons"][reason] = outcome["skip_reasons"].get(reason, 0) + 1
        else:
            outcome["passed"] += 1
    return outcome


def benchmark_figures(folder: Path) -> list[dict]:
    """Each saved benchmark's median and the figures the suite records beside it (device memory, accuracy)."""
    rows = []
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        for b in json.loads(path.read_text()).get("benchmarks", []):
            info, st = b.get("extra_info", {}), b.get("stats", {})
            rows.append({"name": b.get("name"), "group": b.get("group"), "median_s": st.get("median"),
                         "rounds": st.get("rounds"), "file": path.name,
                         **{k: info[k] for k in ("framework", "device", "quantity", "mode", "batch", "dtype",
                                                 "device_peak_mb", "test_acc", "peak_rss_mb") if k in info}})
    return rows


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def summary(folder: Path, pytest_rc: int | None, compare_rc: int | None, keras: str, data: str,
            dry_run: bool, smi: str, device: dict | None = None) -> dict:
    compare = _read_json(folder / cuda_compare.JSON_NAME)
    return {"dry_run": dry_run, "nvidia_smi": smi, "device": device, "keras": keras,
            "data": data, "pytest": {"rc": pytest_rc, **pytest_outcome(folder / JUNIT_NAME)},
            "benchmarks": benchmark_figures(folder / "benchmarks"), "cuda_compare_rc": compare_rc,
            "cuda_compare": compare}


def markdown(record: dict) -> str:
    dev = record.get("device") or {}
    gpu = (f"{dev.get('device_name')} ({dev.get('device_memory_gib')} GiB, compute {dev.get('capability')})"
           if dev.get("cuda_available") else "no CUDA GPU visible to torch" if dev else "not read")
    lines = ["# gpu-check", ""]
    if record["dry_run"]:
        lines += ["**Dry run**: no GPU work was measured; the GPU cases were skipped (reasons below) and the "
                  "comparison ran a few rounds on the CPU.", ""]
    lines += [f"- device: {gpu}; torch {dev.get('torch')}, CUDA {dev.get('cuda')}, cuDNN {dev.get('cudnn')}; "
              f"CPU {dev.get('cpu')} ({dev.get('cpu_threads')} threads)",
              f"- nvidia-smi -L: {record['nvidia_smi']}", f"- Keras: {record['keras']}", f"- data: {record['data']}"]
    pt = record["pytest"]
    if "missing" in pt:
        lines.append(f"- pytest -m gpu (exit {pt['rc']}): {pt['missing']}")
    else:
        lines.append(f"- pytest -m gpu (exit {pt['rc']}): {pt['passed']} passed, {len(pt['failed'])} failed, "
                     f"{pt['skipped']} skipped of {pt['tests']}")
        lines += [f"  - FAILED {f}" for f in pt["failed"]]
        lines += [f"  - skipped ({n}): {reason}" for reason, n in pt["skip_reasons"].items()]
    if record["benchmarks"]:
        lines += ["", "| benchmark | median | device peak |", "|---|---|---|"]
        for b in record["benchmarks"]:
            mem = b.get("device_peak_mb")
            lines.append(f"| {b['name']} | {1000 * b['median_s']:.3f} ms | "
                         f"{f'{mem:,.0f} MiB' if mem is not None else '—'} |")
    compare = record.get("cuda_compare")
    lines += ["", f"## The spec CNN on CUDA and on the CPU (exit {record['cuda_compare_rc']})", ""]
    lines.append(cuda_compare.table(compare) if compare else "no cuda-compare.json: the comparison did not finish")
    return "\n".join(lines) + "\n"


def parser() -> Parser:
    p = Parser(prog=PROG, description=__doc__, formatter_class=Formatter, epilog=epilog(OK, USAGE, BAD_INPUT))
    sub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    d = sub.add_parser("device", help="what torch sees of the accelerator, as JSON")
    d.add_argument("--json", type=Path, required=True)
    c = sub.add_parser("carry-data", help="MNIST's four .gz IDX files for the lent machine's carry")
    c.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("summary", help="gpu-check.json and summary.md from what the run left in --dir")
    s.add_argument("--dir", type=Path, required=True)
    s.add_argument("--pytest-rc", type=int)
    s.add_argument("--compare-rc", type=int)
    s.add_argument("--keras", default="not asked")
    s.add_argument("--data", default="not asked")
    s.add_argument("--nvidia-smi", default="not run")
    s.add_argument("--device-json", type=Path, help="what `device` wrote")
    s.add_argument("--dry-run", action="store_true")
    return p


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


@procs.interruptible(PROG)
def main(argv=None) -> int:
    a = parser().parse_args(argv)
    if a.what == "device":
        from tfpt.frameworks.torch.cuda import device_info
        _write(a.json, json.dumps(device_info(), indent=1))
        return OK
    if a.what == "carry-data":
        try:
            written = carry_data(a.out)
        except DataError as exc:
            print(f"error: mnist: {exc}", file=sys.stderr)
            return BAD_INPUT
        print(f"MNIST in {a.out}: {len(written)} file(s) written, {4 - len(written)} already there")
        return OK
    try:
        if not a.dir.is_dir():
            raise UserError(f"--dir {a.dir}", "the run's figures folder", "pass the folder gpu-check wrote")
        clash = [n for n in (JSON_NAME, SUMMARY_NAME) if (a.dir / n).exists()]
        if clash:
            raise UserError(str(a.dir / clash[0]), "a new file (a summary is never overwritten)",
                            "summarise a fresh run's folder")
    except UserError as exc:
        return report(exc)
    device = _read_json(a.device_json) if a.device_json else None
    record = summary(a.dir, a.pytest_rc, a.compare_rc, a.keras, a.data, a.dry_run, a.nvidia_smi, device)
    _write(a.dir / JSON_NAME, json.dumps(record, indent=1))
    text = markdown(record)
    _write(a.dir / SUMMARY_NAME, text)
    print(text)
    return OK


if __name__ == "__main__":
    sys.exit(main())
