"""Every registered framework trains the spec CNN in a worker of its own (Keras on torch and JAX through fit, with
TensorFlow never imported), and tfpt-compare sets them side by side: a column each, ratios of every two."""
from __future__ import annotations

import pytest

from tests.worker_runs import run_worker
from tfpt import frameworks
from tfpt.procs import child_env


@pytest.mark.cli
@pytest.mark.tf
@pytest.mark.torch
def test_a_stray_import_of_the_other_framework_is_reported(tmp_path):
    """Negative control of the check above: a TensorFlow worker into which torch is imported at start-up (a
    sitecustomize, as a stray dependency would) reports torch as loaded: its RSS would not be TensorFlow's."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text("import torch, torch._dynamo  # noqa: F401, E401\n")
    env = child_env(**frameworks.worker_env("tf"))
    env["PYTHONPATH"] = f"{tmp_path / 'site'}:{env.get('PYTHONPATH', '')}"
    proc, r = run_worker("tf", tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert r["foreign_modules_loaded"] == ["torch"] and r["other_framework_loaded"]


def _runs(fws, seconds, latency, reps=3):
    """Fake worker results: per framework its epoch seconds and batch-1 latency, a little spread per repeat."""
    return {fw: [{"framework": fw, "pair": "spec", "params": 1, "versions": {}, "eval_batch": 1000, "target": 0.99,
                  "peak_rss_mb": 1000.0 + i, "epochs": [{"test_acc": 0.98, "seconds": seconds[fw] + 0.1 * i,
                                                         "eval_seconds": 0.1, "loss": 0.1}],
                  "serving": {"latency_ms": latency[fw] + 0.01 * i, "throughput_ips": 1000.0 / latency[fw]}}
                 for i in range(reps)] for fw in fws}


def test_four_columns_and_a_ratio_for_every_two():
    from tfpt.cli import compare
    fws = ["tf", "torch", "keras-torch", "keras-jax"]
    runs = _runs(fws, {"tf": 40, "torch": 40, "keras-torch": 60, "keras-jax": 30},
                 {"tf": 5.0, "torch": 1.0, "keras-torch": 5.0, "keras-jax": 5.0})
    text = compare.table(runs)
    header = text.splitlines()[0]
    assert [c.strip() for c in header.split("|")[2:-1]] == [frameworks.NAMES[f] for f in fws]
    ratios = {tuple(c.strip() for c in line.split("|")[1:3]): line.split("|")[-2].strip()
              for line in text.splitlines()
              if line.startswith("| ") and line.split("|")[1].strip().split(" / ")[0] in frameworks.NAMES.values()}
    assert len({ab for ab, _ in ratios}) == 6  # every two of four, in the order given
    assert ratios[("PyTorch / Keras on PyTorch", "seconds per epoch")] == "PyTorch faster"
    assert ratios[("TensorFlow / Keras on JAX", "seconds per epoch")] == "Keras on JAX faster"
    assert ratios[("TensorFlow / PyTorch", "seconds per epoch")].startswith("no difference resolved")
    assert ratios[("TensorFlow / PyTorch", "latency at batch 1")] == "PyTorch faster"
    assert ratios[("TensorFlow / PyTorch", "throughput at batch 1,024")] == "PyTorch faster"
    assert ratios[("TensorFlow / Keras on PyTorch", "latency at batch 1")].startswith("no difference resolved")
    study = next(line for line in text.splitlines() if line.startswith("| the study"))
    assert [c.strip() for c in study.split("|")[2:-1]] == ["99.14 %", "98.95 %", "-", "-"], study


@pytest.mark.parametrize("argv, expect", [
    (["--frameworks", "keras-torch,torch,tf"], ["keras-torch", "torch", "tf"]),
    (["--frameworks", "TF keras-jax"], ["tf", "keras-jax"])])
def test_frameworks_option_takes_every_registered_one(argv, expect):
    from tfpt.cli import args
    assert args.framework_list(frameworks.ALL_ALIASES)(argv[1]) == expect
    with pytest.raises(Exception, match="expected tf, torch, keras-torch, keras-jax"):
        args.framework_list(frameworks.ALL_ALIASES)("tf,keras-mxnet")
