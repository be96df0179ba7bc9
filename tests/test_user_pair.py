"""A user's pair checked from a folder outside this repository with the installed plugin, exactly as the README
says: `pytest --pair my_pair:pair`. Also what the user sees when the pair cannot be loaded or matched."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tfpt.procs import child_env

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "my_pair.py"
pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.cli]


def pytest_in(folder: Path, *args):
    env = child_env()
    env.pop("PYTHONPATH", None)  # nothing of this repository on the path: only the installed package
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=folder,
                          capture_output=True, text=True, timeout=600, env=env)


def test_user_pair_runs_every_generic_check_outside_the_repository(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "my_pair.py")
    proc = pytest_in(tmp_path, "--pair", "my_pair:pair", "-k", "not export or onnx-torch", "-rA")
    assert proc.returncode == 0, proc.stdout[-3000:]
    passed = [line for line in proc.stdout.splitlines() if line.startswith("PASSED ")]
    for check in ("test_layers_correspond[my-cnn]", "test_forward_layer[my-cnn-conv2d-tf->torch]",
                  "test_gradients[my-cnn]", "test_export_reloads_in_fresh_process[my-cnn-onnx-torch]"):
        assert any(line.endswith(f"::{check}") for line in passed), f"{check} did not pass:\n" + "\n".join(passed)
    last = proc.stdout.strip().splitlines()[-1]
    assert " passed" in last and "failed" not in last and "error" not in last, last


def test_unknown_pair_is_one_line_and_a_usage_error(tmp_path):
    proc = pytest_in(tmp_path, "--pair", "no_such_module:pair")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--pair no_such_module:pair: cannot import 'no_such_module'" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_layer_without_converter_fails_one_check_clearly(tmp_path):
    """A torch module class no converter claims (a user's own conv subclass): the correspondence check fails
    naming both layers and the fix; the checks that need weights skip, pointing to it; nothing crashes."""
    text = EXAMPLE.read_text().replace("nn.Conv2d(1, 8, 3)", "MyConv(1, 8, 3)")
    text += "\n\nclass MyConv(torch.nn.Conv2d):\n    pass\n"
    (tmp_path / "my_pair.py").write_text(text)
    proc = pytest_in(tmp_path, "--pair", "my_pair:pair", "-k", "correspond or gradients", "-rs")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "layers with parameters left unmatched" in proc.stdout and "MyConv" in proc.stdout
    assert "1 failed" in proc.stdout and "skipped" in proc.stdout and "Traceback" not in proc.stdout
