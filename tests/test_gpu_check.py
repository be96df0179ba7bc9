"""scripts/gpu-check, the prepared run for a lent GPU machine (docs/gpu.md): its dry run here leaves every part's
record in one folder and exits 0 with the GPU cases skipped and said so; its mistakes are one line; the summary
counts a failed test and the comparison calls a difference only where the interval excludes 1."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfpt.bench import cuda_compare, gpu_check
from tfpt.procs import child_env

REPO = Path(__file__).resolve().parent.parent


def gpu_check_script(*args, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/gpu-check", *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=child_env(OUT=str(out), PYTHON=sys.executable))


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    from tfpt.frameworks import devices
    if devices.gpu_missing_reason("torch") is None:
        pytest.skip("a CUDA GPU is visible here: the run measures it (this test is for machines without one)")
    out = tmp_path_factory.mktemp("gpu") / "figures"
    return gpu_check_script("--dry-run", out=out), out


@pytest.mark.cli
def test_dry_run_exits_0_and_says_the_gpu_cases_were_skipped(dry_run):
    proc, out = dry_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = (out / "summary.md").read_text()
    assert "**Dry run**" in summary and "no CUDA GPU visible to torch" in summary
    record = json.loads((out / "gpu-check.json").read_text())
    assert record["dry_run"] and record["pytest"]["rc"] == 0
    assert record["pytest"]["passed"] == 0 and not record["pytest"]["failed"]
    assert record["pytest"]["skipped"] == record["pytest"]["tests"] > 0
    assert any("no CUDA GPU" in reason for reason in record["pytest"]["skip_reasons"])


@pytest.mark.cli
def test_dry_run_leaves_every_record_in_its_folder(dry_run):
    proc, out = dry_run
    files = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    assert sorted(files) == ["cuda-compare.json", "gpu-check.json", "gpu-check.log", "pytest-junit.xml", "pytest.log",
                             "summary.md"]  # the lent machine returns at most 8 files (docs/gpu.md)
    assert json.loads((out / "gpu-check.json").read_text())["device"]["cuda_available"] is False
    cpu_side = json.loads((out / "cuda-compare.json").read_text())["sides"]["torch-cpu"]
    assert [r["quantity"] for r in cpu_side["rows"]] == ["step", "latency", "throughput"]
    assert all(r["median_s"] > 0 and r["device_peak_mib"] is None for r in cpu_side["rows"])
    assert "== pytest -m gpu" in (out / "gpu-check.log").read_text()


@pytest.mark.cli
def test_a_figures_folder_in_use_or_a_bad_option_is_one_line_and_touches_nothing(tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    (out / "earlier.json").write_text("{}")
    proc = gpu_check_script("--dry-run", out=out)
    assert proc.returncode == 3 and proc.stderr.startswith("error: ") and "fix: " in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and [p.name for p in out.iterdir()] == ["earlier.json"]
    proc = gpu_check_script("--gpu", out=tmp_path / "new")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and not (tmp_path / "new").exists()


JUNIT = """<testsuites><testsuite>
<testcase classname="benchmarks.test_bench_training" name="test_step[float32-torch-gpu]"/>
<testcase classname="benchmarks.test_bench_training" name="test_step[bfloat16-torch-gpu]">
  <failure message="AssertionError: device max |d| 0.5">trace</failure></testcase>
<testcase classname="equivalence.test_devices" name="test_forward[tf-gpu]"><skipped message="no TF"/></testcase>
</testsuite></testsuites>"""


def test_the_summary_counts_a_failed_gpu_test_and_names_it(tmp_path):
    """Negative control of the summary: a failure in pytest's JUnit XML is counted and named, not lost."""
    (tmp_path / gpu_check.JUNIT_NAME).write_text(JUNIT)
    record = gpu_check.summary(tmp_path, 1, 0, "k", "d", dry_run=False, smi="GPU 0: H100")
    assert {k: record["pytest"][k] for k in ("tests", "passed", "skipped")} == {"tests": 3, "passed": 1, "skipped": 1}
    assert record["pytest"]["failed"] == ["benchmarks.test_bench_training::test_step[bfloat16-torch-gpu]: "
                                          "AssertionError: device max |d| 0.5"]
    text = gpu_check.markdown(record)
    assert "1 failed" in text and "FAILED benchmarks.test_bench_training" in text and "no cuda-compare.json" in text


def _side(fw: str, device: str, seconds: float) -> dict:
    samples = [seconds * (1 + 0.01 * i) for i in range(7)]
    return {"framework": fw, "device": device, "rows": [{"quantity": "step", "batch": 32, "samples_s": samples}]}


def test_the_comparison_calls_the_gpu_faster_only_where_the_interval_excludes_1():
    sides = {"torch-gpu": _side("torch", "gpu", 0.001), "torch-cpu": _side("torch", "cpu", 0.01),
             "keras-torch-gpu": _side("keras-torch", "gpu", 0.001),
             "keras-torch-cpu": {"skipped": "no Keras", "framework": "keras-torch", "device": "cpu"}}
    found = {(c["a"], c["b"]): c for c in cuda_compare.comparisons(sides)}
    assert found[("torch-cpu", "torch-gpu")]["verdict"] == "GPU faster"
    assert found[("torch-cpu", "torch-gpu")]["ratio"]["value"] == pytest.approx(10.0)
    same = found[("keras-torch-gpu", "torch-gpu")]  # the same figures: the control that must not be called
    assert same["verdict"].startswith("no difference resolved")
    assert set(found) == {("torch-cpu", "torch-gpu"), ("keras-torch-gpu", "torch-gpu")}


def test_a_framework_off_torchs_cuda_is_one_line_and_exit_2(tmp_path, capsys):
    assert cuda_compare.main(["--frameworks", "tf", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --frameworks tf:") and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()
