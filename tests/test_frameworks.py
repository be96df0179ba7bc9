"""The two frameworks in one process never crash the suite, and the suite runs with only one of them."""
import subprocess
import sys
from pathlib import Path

import pytest

from tfpt.procs import child_env

pytestmark = pytest.mark.cli  # runs commands in subprocesses: the default run, not the quick tier

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=child_env(**env))


@pytest.mark.tf
@pytest.mark.torch
def test_guarded_import_refuses_instead_of_crashing():
    """TF first, then torch through the suite's import: a clear RuntimeError, not a segfault."""
    proc = run_python("import tensorflow\nfrom tfpt.frameworks import import_torch\n"
                      "try:\n    import_torch()\nexcept RuntimeError as e:\n    print('refused:', e)\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused: tensorflow was imported before torch._dynamo" in proc.stdout


@pytest.mark.tf
@pytest.mark.torch
def test_safe_order_runs_everything_that_loads_dynamo():
    proc = run_python(
        "from tfpt.frameworks import torch_first, import_tf\ntorch_first()\ntf = import_tf()\nimport torch\n"
        "m = torch.nn.Linear(2, 2)\ntorch.optim.Adam(m.parameters())\n"
        "torch.export.export(m, (torch.zeros(1, 2),))\nprint('ok', tf.__version__)\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")


@pytest.mark.parametrize("hide, present", [("tf", "torch"), ("torch", "tf")])
def test_suite_runs_with_one_framework(hide, present):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "equivalence/test_layers.py",
         "equivalence/test_differences.py"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=child_env(TFPT_HIDE_FRAMEWORKS=hide))
    assert proc.returncode == 0, proc.stdout[-3000:]
    module = {"tf": "tensorflow", "torch": "torch"}[hide]
    assert f"{module} is not installed in this environment" in proc.stdout
    assert " passed" in proc.stdout.splitlines()[-1] and " skipped" in proc.stdout.splitlines()[-1]
