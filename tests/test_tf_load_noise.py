"""TensorFlow 2.21 writes log lines to stderr from C++ while it loads, whatever TF_CPP_MIN_LOG_LEVEL says; the
import guard holds those back (and only those), so a command's one error line stays the only line."""
import subprocess
import sys

import pytest

from tfpt.procs import child_env

pytestmark = [pytest.mark.tf, pytest.mark.cli]
NOISE = "All log messages before absl::InitializeLog()"


def stderr_of(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=child_env(TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def test_the_guard_holds_back_tensorflows_load_lines_and_nothing_else():
    err = stderr_of("import sys\nfrom tfpt import frameworks\nframeworks.import_tf()\nprint('mine', file=sys.stderr)")
    assert err.strip() == "mine", err


def test_a_plain_import_prints_them_even_at_log_level_3():
    """The control: the lines the guard holds back are really there without it."""
    assert NOISE in stderr_of("import tensorflow")
