"""The headline figures' machinery, fast (no full training): per-phase peak RSS from a tiny worker run, the
bootstrap interval's coverage and the "no difference resolved" wording, the alternation of repeats, the epoch
worker's protocol, the warm-up leaving training unchanged, and the FLOP formula against torch's flop counter."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from fixtures.params import FRAMEWORKS
from tests.worker_runs import all_framework_params, run_worker
from tfpt import stats
from tfpt.procs import child_env

PHASES = ["import", "data", "model", "train", "eval"]


@pytest.mark.cli  # a worker process per framework, the Keras backends included (each in its own worker)
@pytest.mark.parametrize("fw", all_framework_params())
def test_worker_reports_monotonic_phases(fw, tmp_path):
    proc, r = run_worker(fw, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert r["framework"] == fw and r["foreign_modules_loaded"] == []  # no other framework in its RSS
    s = r["serving"]  # the trained model's plain call, after the run's own peak
    assert (s["latency_batch"], s["throughput_batch"]) == (1, 1024) and s["latency_ms"] > 0 and s["throughput_ips"] > 0
    assert list(r["phases"]) == PHASES and r["eval_batch"] == 64 and r["limit"] == 256
    peaks = [r["phases"][p]["peak_rss_mb"] for p in PHASES]
    assert peaks == sorted(peaks), r["phases"]  # a high-water mark never falls
    assert all(r["phases"][p]["rss_mb"] <= r["phases"][p]["peak_rss_mb"] + 1 for p in PHASES), r["phases"]
    assert peaks[-1] == pytest.approx(r["peak_rss_mb"], abs=1.0)
    seconds = [r["phases"][p]["seconds"] for p in PHASES]
    assert seconds == sorted(seconds)
    assert not r["other_framework_loaded"]


@pytest.mark.cli  # a child process
def test_a_workers_peak_rss_is_its_own_not_its_parents():
    """Linux keeps ru_maxrss across fork + exec: a worker started by a process that once held 400 MB more
    reported that figure as its own peak. The worker's figure (VmHWM) starts afresh at exec."""
    hold = np.ones(400 * 2**20 // 8)  # the parent's high-water mark rises by 400 MB
    code = ("import resource; from tfpt.training.worker import peak_rss_mb; "
            "print(peak_rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    proc = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60)
    own, inherited = map(float, proc.stdout.split())
    assert hold.sum() > 0 and own < 300, (own, inherited)
    assert inherited > 400, (own, inherited)  # the counter that was used before: the parent's peak (negative control)


@pytest.mark.cli  # a --serve worker process
@pytest.mark.torch
def test_epoch_worker_times_epochs_in_its_own_process():
    from tfpt.bench.epoch_worker import EpochWorker
    w = EpochWorker("torch", dataset="synthetic", limit=256)
    try:
        assert w.ready["ready"] and not w.ready["other_framework_loaded"]
        secs = [w.epoch(), w.epoch()]
        result = w.finish()
    finally:
        w.close()
    assert all(s > 0 for s in secs)
    assert [e["seconds"] for e in result["epochs"]] == secs and len(result["epochs"]) == 2
    assert 0 <= result["final_eval"]["test_acc"] <= 1 and list(result["phases"]) == PHASES


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_warm_up_leaves_training_unchanged(fw, tiny):
    """prepare's warm-up (first trace / kernel set-up out of epoch 1's time) is undone: same weights after."""
    from tfpt.frameworks import get
    t, cnn = get(fw).module("trainer"), get(fw).module("cnn")
    weights = []
    for warm in (0, 10):
        model, _ = t.train(tiny, epochs=1, seed=3, progress=False, evaluate_epochs=False, warmup_steps=warm)
        weights.append(cnn.get_weights(model))
    for name in weights[0]:
        for a, b in zip(weights[0][name], weights[1][name], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{fw} {name}: the warm-up changed training")


def test_bootstrap_interval_covers_the_true_median():
    """Normal(10, 1) samples of 15: the 95 % interval should hold the true median (10) about 95 % of the time;
    the percentile bootstrap of a median undercovers a little at small n, hence the band."""
    rng = np.random.default_rng(1)
    hits = [(e.lo <= 10.0 <= e.hi) for e in (stats.median(rng.normal(10, 1, 15), n=2000, seed=i) for i in range(300))]
    assert 0.85 <= np.mean(hits) <= 0.99, np.mean(hits)


def test_ratio_interval_and_wording():
    rng = np.random.default_rng(2)
    slow, fast = rng.normal(12, 0.3, 5), rng.normal(8, 0.3, 5)
    r = stats.ratio(slow, fast)
    assert r.lo < 1.5 < r.hi and r.lo > 1
    assert stats.verdict(r, "PyTorch faster", "TensorFlow faster") == "PyTorch faster"
    assert stats.verdict(stats.ratio(fast, slow), "PyTorch faster", "TensorFlow faster") == "TensorFlow faster"
    same = stats.ratio(rng.normal(10, 1, 5), rng.normal(10, 1, 5))
    assert same.lo < 1 < same.hi
    assert stats.verdict(same, "a", "b").startswith("no difference resolved")
    two = stats.ratio([12, 12.1], [8, 8.1])
    assert two.lo is None and "fewer than 3" in stats.verdict(two, "a", "b")


def _fake_runs(monkeypatch, tf_s=12.0, torch_s=8.0, spread=0.1):
    import tfpt.cli.compare as cmp
    calls = []

    def fake_worker(fw, args, pair=None):
        calls.append((fw, pair, args.eval_batch))
        i = len(calls)
        sec = (tf_s if fw == "tf" else torch_s) + spread * (i % 3)
        return {"framework": fw, "pair": pair, "target": 0.99, "time_to_accuracy": None, "params": 1,
                "versions": {}, "eval_batch": args.eval_batch, "peak_rss_mb": (900.0 if fw == "tf" else 1500.0) + i,
                "phases": {p: {"peak_rss_mb": 100.0 * j, "rss_mb": 90.0 * j, "seconds": j}
                           for j, p in enumerate(PHASES)},
                "epochs": [{"test_acc": 0.98, "seconds": sec, "eval_seconds": 0.1, "loss": 0.1}]}

    monkeypatch.setattr(cmp, "run_worker", fake_worker)
    monkeypatch.setattr(cmp.datasets, "load", lambda name: None)
    return cmp, calls


@pytest.mark.tf  # the comparison checks both frameworks are installed before any worker
@pytest.mark.torch
def test_repeats_alternate_frameworks_in_fresh_workers(monkeypatch, capsys, tmp_path):
    cmp, calls = _fake_runs(monkeypatch)
    out = tmp_path / "r.json"
    assert cmp.main(["--repeats", "3", "--eval-batch", "10000", "--json", str(out)]) == 0
    assert [c[0] for c in calls] == ["tf", "torch"] * 3 and {c[2] for c in calls} == {10000}
    text = capsys.readouterr().out
    rows = {line.split("|")[2].strip(): line for line in text.splitlines() if line.startswith("| TensorFlow / PyTorch")}
    assert rows["seconds per epoch"].endswith("| PyTorch faster |"), rows["seconds per epoch"]
    assert rows["peak RSS"].endswith("| TensorFlow smaller |"), rows["peak RSS"]
    saved = json.loads(out.read_text())
    assert saved["run_order"] == ["tf", "torch"] * 3 and [len(v) for v in saved["runs"].values()] == [3, 3]
    assert saved["ratios_tf_over_torch"]["spec"]["epoch_verdict"] == "PyTorch faster"
    calls.clear()
    assert cmp.main(["--repeats", "1"]) == 0 and [c[0] for c in calls] == ["tf", "torch"]
    assert "no difference resolved (fewer than 3 repeats" in capsys.readouterr().out


@pytest.mark.tf  # the comparison checks both frameworks are installed before any worker
@pytest.mark.torch
def test_overlapping_repeats_print_no_difference(monkeypatch, capsys):
    cmp, _ = _fake_runs(monkeypatch, tf_s=10.0, torch_s=10.1, spread=1.0)
    assert cmp.main(["--repeats", "3", "--frameworks", "tf,torch"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines()
                if row.startswith("| TensorFlow / PyTorch | seconds per epoch |"))
    assert "no difference resolved (interval includes 1)" in line and "faster" not in line


@pytest.mark.parametrize("argv, what", [(["--repeats", "0"], "--repeats"), (["--eval-batch", "0"], "--eval-batch"),
                                        (["--repeats", "x"], "--repeats")])
def test_new_options_are_validated(argv, what, capsys):
    import tfpt.cli.compare as cmp
    with pytest.raises(SystemExit) as exc:
        cmp.parse_args(argv)
    assert exc.value.code == 2 and f"argument {what}: expected a whole number >= 1" in capsys.readouterr().err


@pytest.mark.torch
def test_flop_formula_matches_torch_flop_counter():
    """Forward: 2 x multiply-adds. Training step: forward + weight gradients + input gradients of every layer but
    the first (torch computes no gradient for the images)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from tfpt.bench.workloads import flops, train_flops_per_image
    from tfpt.frameworks.torch import cnn as study_torch
    from tfpt.spec import CNN, forward_macs
    model = study_torch.build(CNN)
    x, y = torch.rand(4, 1, 28, 28), torch.randint(0, 10, (4,))
    with FlopCounterMode(display=False) as fwd:
        with torch.no_grad():
            model(x)
    assert fwd.get_total_flops() == 2 * forward_macs(CNN) * 4 == flops("latency", 4)
    with FlopCounterMode(display=False) as step:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    assert step.get_total_flops() == train_flops_per_image(CNN) * 4 == flops("step", 4)
    assert train_flops_per_image(CNN) < 6 * forward_macs(CNN)  # the old 3 x forward counted conv1's input grad
