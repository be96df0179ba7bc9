"""pytest-xdist: the controller merges every worker's measured figures and tolerance figures into one file and
one printed section; files of earlier per-worker runs do not linger; workers divide the cores."""
import json
import subprocess
import sys

import pytest

from tfpt.procs import child_env

pytestmark = pytest.mark.cli  # starts pytest sessions in subprocesses

TESTS = '''
import os
import numpy as np
import pytest
from tfpt.compare import assert_close
from tfpt.tolerances import tol

@pytest.mark.parametrize("i", range(4))
def test_figure(i, measurements):
    measurements[f"figure {i}"] = {"worker": os.environ["PYTEST_XDIST_WORKER"],
                                   "threads": os.environ["OMP_NUM_THREADS"]}
    assert_close({"a": np.zeros(3)}, {"a": np.full(3, 1e-6 * (i + 1))}, tol("forward"))
'''


def test_workers_figures_are_merged_by_the_controller(tmp_path):
    (tmp_path / "test_figures.py").write_text(TESTS)
    stale = tmp_path / "reports" / "measurements-main-gw7.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    env = {k: v for k, v in child_env().items() if k != "TOX_ENV_NAME"}
    env["TFPT_FIGURES_DIR"] = str(tmp_path / "reports")  # asked for: a user's run writes no file unasked
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                           "test_figures.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.count("measured figures") == 1
    doc = json.loads((tmp_path / "reports" / "measurements-main.json").read_text())
    figures = [doc["figures"][f"figure {i}"] for i in range(4)]
    assert {f["worker"] for f in figures} == {"gw0", "gw1"}, figures  # both workers' figures, one file
    assert {f["threads"] for f in figures} == {str(max(1, (__import__("os").cpu_count() or 1) // 2))}
    (row,) = [r for r in doc["figures"]["tolerance tightness"] if r["tolerance"] == "float32/forward"]
    assert row["measured_worst"] == pytest.approx(4e-6)  # the worst over both workers
    assert not stale.exists() and sorted(p.name for p in stale.parent.iterdir()) == ["measurements-main.json"]


GROUPED = '''
import os
import pytest

@pytest.mark.xdist_group(name="shared-model")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i, measurements):
    measurements[f"grouped {i}"] = os.environ["PYTEST_XDIST_WORKER"]
'''


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    """pytest 9.2 ignores the node-id suffix pytest-xdist 3.8 writes for groups; the plugin writes it where
    pytest reads it. Without that, this group ran on both workers."""
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "test_grouped.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**{k: v for k, v in child_env().items() if k != "TOX_ENV_NAME"},
                               "TFPT_FIGURES_DIR": str(tmp_path / "reports")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = json.loads((tmp_path / "reports" / "measurements-main.json").read_text())
    assert len({doc["figures"][f"grouped {i}"] for i in range(6)}) == 1, doc["figures"]


ORDER = '''
import sys

def test_torch_came_first():
    assert "torch._dynamo" in sys.modules and "tensorflow" not in sys.modules
'''
CONTROLLER = '''
import atexit
import gc
import os
import sys

atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))

def pytest_sessionfinish(session):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        print("controller imported torch:", "torch" in sys.modules)
'''


def test_workers_import_torch_first_the_controller_does_not_and_exits_fast(tmp_path):
    """Every process that runs tests imports torch and torch._dynamo before anything else can import TensorFlow;
    the controller, which runs none, skips that start-up (2.7 s measured) and its workers start sooner."""
    (tmp_path / "test_order.py").write_text(ORDER)
    (tmp_path / "conftest.py").write_text(CONTROLLER)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-n", "2",
                           "test_order.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=child_env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "controller imported torch: False" in proc.stdout, proc.stdout[-2000:]
    serial = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_order.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=child_env())
    assert serial.returncode == 0, serial.stdout[-3000:]
    # the pytest command freezes its objects before exiting (an exit of 2.0 s becomes 0.3 s: pytest_unconfigure)
    assert "frozen at exit: True" in proc.stdout and "frozen at exit: True" in serial.stdout, serial.stdout[-2000:]
