"""The multi-seed study (slow): N seeds per framework in their own processes, mean ± std, Welch's t-test."""
import pytest

from tfpt.cli.seeds import run, summarize
from tfpt.frameworks.registry import TF, TORCH

pytestmark = [pytest.mark.tf, pytest.mark.torch]
EDGE = {TF.id: 0.001, TORCH.id: 0.0}  # the fake workers' accuracy offset per framework


def test_summary_statistics_on_known_values():
    out = summarize({TF.id: [0.99, 0.98, 0.97], TORCH.id: [0.99, 0.98, 0.97]}, {TF.id: [1, 2, 3], TORCH.id: [1, 2, 3]})
    assert out["p_value"] == pytest.approx(1.0) and not out["significant_at_5pct"]
    apart = summarize({TF.id: [0.990, 0.991, 0.992], TORCH.id: [0.980, 0.981, 0.982]},
                      {TF.id: [1, 1, 1.1], TORCH.id: [1, 1, 1.1]})
    assert apart["significant_at_5pct"] and apart["p_value"] < 0.05 and "significant at 5 %" in apart["sentence"]


def test_study_drives_one_worker_per_seed_and_framework(monkeypatch):
    """The study's plumbing without training: each (seed, framework) gets a worker with complete arguments."""
    import tfpt.cli.compare
    calls = []

    def fake_worker(fw, args, threads=None):
        calls.append((fw, args.seed, args.dataset, args.epochs, args.order, args.target, args.mode, args.eval_every))
        acc = 0.98 + 0.001 * args.seed + EDGE[fw]
        return {"epochs": [{"test_acc": acc, "seconds": 10.0 + args.seed}]}

    monkeypatch.setattr(tfpt.cli.compare, "run_worker", fake_worker)
    out = run(3, epochs=1, dataset="mnist")
    assert [(c[0], c[1]) for c in calls] == [(fw, s) for s in (1, 2, 3) for fw in (TF.id, TORCH.id)]
    assert out["per_framework"][TF.id]["n"] == 3 and "Welch" in out["sentence"]


def test_parallel_jobs_divide_the_cores_and_keep_each_seed_with_its_framework(monkeypatch):
    import tfpt.cli.compare
    seen = []

    def fake_worker(fw, args, threads=None):
        seen.append(threads)
        return {"epochs": [{"test_acc": 0.9 + 0.01 * args.seed + EDGE[fw], "seconds": 1.0}]}

    monkeypatch.setattr(tfpt.cli.compare, "run_worker", fake_worker)
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    out = run(4, epochs=1, dataset="mnist", jobs=4)
    assert set(seen) == {4} and out["threads_per_job"] == 4 and out["seeds_per_hour"] > 0
    assert out["per_framework"][TF.id]["acc_mean"] - out["per_framework"][TORCH.id]["acc_mean"] == pytest.approx(0.001)


@pytest.mark.slow
def test_multi_seed_study(pytestconfig, measurements):
    n = pytestconfig.getoption("seeds")
    out = run(n, epochs=1, dataset="mnist")
    print("\n" + out["sentence"])
    measurements["multi-seed study"] = {k: v for k, v in out.items() if k != "runs"}
    assert all(s["n"] == n for s in out["per_framework"].values())
    assert 0.0 <= out["p_value"] <= 1.0
    assert all(s["acc_mean"] > 0.97 for s in out["per_framework"].values())
