"""tfpt-convert as a user starts it: a fresh process whose pair module imports Keras (TensorFlow) at its top, as
many do. The command imports torch first itself (tfpt.frameworks: torch after TensorFlow can crash), so this
converts instead of stopping with the import-order RuntimeError's traceback."""
import subprocess
import sys

import pytest

from tfpt.procs import child_env

pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.cli]

KERAS_FIRST = '''import keras  # TensorFlow first, as a user's module may
from tfpt import InputSpec, ModelPair


def keras_model():
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])


def torch_model():
    import torch
    return torch.nn.Sequential(torch.nn.Linear(8, 4))


pair = ModelPair("keras-first", keras_model, torch_model, InputSpec(shape=(8,)), formats=(), num_classes=4)
'''


def test_a_pair_module_that_imports_keras_first_converts_in_a_fresh_process(tmp_path):
    import torch
    (tmp_path / "kfirst.py").write_text(KERAS_FIRST)
    torch.save(torch.nn.Sequential(torch.nn.Linear(8, 4)).state_dict(), tmp_path / "m.pt")
    env = child_env()
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-m", "tfpt.cli.convert", "--pair", "kfirst:pair", "m.pt",
                           "m.weights.h5"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (tmp_path / "m.weights.h5").stat().st_size > 0
