"""The public MNIST models and their ports (examples/ports: the keras.io convnet with a PyTorch port, the
pytorch/examples `Net` with a Keras port) checked from a folder outside this repository with the installed plugin,
as a porter runs them; a port whose head is softmax where `Net` ends in log_softmax fails, naming the head."""
import os
import shutil
from pathlib import Path

import pytest

from tests.test_user_pair import pytest_in
from tfpt.data.cache import DEFAULT_CACHE

PORTS = Path(__file__).resolve().parent.parent / "examples" / "ports"
pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.cli]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for path in PORTS.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    # the verified MNIST arrays of this checkout, not a download into the user's folder
    monkeypatch.setenv("TFPT_CACHE_DIR", os.environ.get("TFPT_CACHE_DIR", str(DEFAULT_CACHE)))
    return tmp_path


def test_both_public_ports_pass_every_generic_check(folder):
    proc = pytest_in(folder, "--pair", "keras_mnist:pair", "--pair", "torch_mnist:pair", "-rA")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for name in ("keras-mnist-convnet", "torch-mnist-net"):
        assert f"test_model_outputs_match[{name}" in proc.stdout, f"{name}: its outputs were not compared"


def test_softmax_head_against_log_softmax_fails_naming_the_head(folder):
    proc = pytest_in(folder, "--pair", "torch_mnist:wrong_head", "-k", "model_outputs or forward_layer")
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert "FAILED" in proc.stdout and "activation" in proc.stdout, proc.stdout[-4000:]
