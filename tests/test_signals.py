"""Interrupted commands end their children and leave nothing behind: SIGTERM and SIGINT sent mid-run to
tfpt-compare (its worker training), tfpt-deploy (its runtime running, and in the middle of saving) and tfpt-report
(between its plots, and inside the step that swaps the finished report in), tfpt-convert (inside its write) and
`python -m tfpt.data.datasets`. Each one: exit 130, one line naming the signal, no child left running, no temp file
or folder, an earlier report intact. Every command's main is wired to the one handler (tfpt.procs.interruptible),
read from the source.

A pytest started in the background (`pytest &` from a script) has SIGINT ignored, and a child inherits that: each
child here gets SIGINT's default handling back (`_sigint_default`), and the in-process cases Python's
KeyboardInterrupt handler (`sigint_raises`), so the results do not depend on how pytest was started."""
from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.report_runs import save, suite
from tfpt import frameworks
from tfpt.procs import child_env

pytestmark = pytest.mark.cli
LINE = r"^error: {prog}: interrupted by {sig}.*; fix: run it again"
LIBRARY = {"torch": b"libtorch_cpu", "tf": b"libtensorflow_framework"}  # mapped once the framework is imported


def _sigint_default() -> None:
    """preexec_fn of every child sent SIGINT: default handling (Python then installs its KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(autouse=True)
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in this process for the test, whatever pytest inherited; restored after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def workers(pid: int) -> list[int]:
    """The compare process's training workers (other children, e.g. of the data loader, are not counted)."""
    def cmdline(c):
        try:
            return Path(f"/proc/{c}/cmdline").read_bytes()
        except OSError:
            return b""
    return [c for c in children(pid) if b"tfpt.training.worker" in cmdline(c)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {timeout} s")


@pytest.mark.parametrize("fw, sig", [pytest.param("torch", signal.SIGTERM, id="torch-sigterm", marks=pytest.mark.torch),
                                     pytest.param("torch", signal.SIGINT, id="torch-sigint", marks=pytest.mark.torch),
                                     pytest.param("tf", signal.SIGTERM, id="tf-sigterm", marks=pytest.mark.tf)])
def test_compare_interrupted_while_its_worker_trains(fw, sig, tmp_path):
    if not frameworks.installed(fw):
        pytest.skip(frameworks.missing_reason(fw))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "tfpt.cli.compare", "--frameworks", fw, "--repeats", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=child_env(TMPDIR=str(tmp)), cwd=tmp_path, preexec_fn=_sigint_default)
    try:
        worker = wait_for(lambda: workers(proc.pid), 120, "the worker start")[0]
        # once its framework is loaded: data, model and an epoch are still ahead (>= 2 s on a machine 4x faster
        # than an AVX-512 Xeon, where TF's epoch took 7.9 s), where a fixed sleep depends on the machine's speed
        wait_for(lambda: _mapped(worker, LIBRARY[fw]) or not alive(worker), 120, "the worker's framework load")
        time.sleep(0.5)
        assert alive(worker)
        os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)  # Ctrl-C: the terminal's group
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and lines[-1].startswith("error: tfpt-compare: interrupted by "), err[-2000:]
    assert ("SIGTERM" in lines[-1]) == (sig == signal.SIGTERM) and "stopped 1 child process" in lines[-1]
    assert not alive(worker), "the worker outlived the command"
    assert list(tmp.iterdir()) == [], "temp files left behind"


def _onnx_artifact(tmp_path) -> Path:
    """An MLP of 5.8 M multiply-adds a sample: 0.3-0.5 ms a sample at batch 1 in onnxruntime on an AVX-512 Xeon."""
    if not frameworks.installed("torch"):
        pytest.skip(frameworks.missing_reason("torch"))
    pytest.importorskip("onnxruntime")
    frameworks.torch_first()
    import torch

    from tfpt import exports
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                          nn.Linear(2048, 10)).eval()
    example = np.zeros((2, 1, 28, 28), np.float32)
    return exports.export("torch", model, "onnx-torch", tmp_path / "art", example).path


def _mapped(pid: int, library: bytes) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_bytes()
    except OSError:
        return False


@pytest.mark.torch
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_deploy_interrupted_while_running(sig, tmp_path):
    """Interrupted once its runtime is loaded, not after a fixed sleep: 20,000 samples one at a time are 6-10 s of
    work on an AVX-512 Xeon, seconds on a machine 4x faster, and the signal comes half a second into them."""
    art = _onnx_artifact(tmp_path)
    np.save(tmp_path / "in.npy", np.zeros((20000, 1, 28, 28), np.float32))
    out = tmp_path / "o" / "out.npz"
    out.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "tfpt.deploy", "onnx-torch", str(art), str(tmp_path / "in.npy"),
                             str(out), "--chunk", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(), preexec_fn=_sigint_default)
    wait_for(lambda: _mapped(proc.pid, b"onnxruntime") or proc.poll() is not None, 120, "the runtime's load")
    time.sleep(0.5)  # into the samples
    assert proc.poll() is None, "the deployer finished before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert err.strip().splitlines()[-1].startswith("error: tfpt-deploy: interrupted by ")
    assert list(out.parent.iterdir()) == [], "the output or its temp file was left"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_deploy_interrupted_while_saving_leaves_no_temp_file(sig, tmp_path, monkeypatch, capsys):
    from tfpt import deploy, procs

    def savez(fh, **arrays):
        fh.write(b"PK half an archive")
        os.kill(os.getpid(), sig)  # delivered here, in the middle of the write
        time.sleep(1)
    monkeypatch.setattr(deploy.np, "savez", savez)
    out = tmp_path / "out.npz"
    guarded = procs.interruptible("tfpt-deploy")(lambda argv: deploy.save(out, {"b1": np.zeros(3)}))
    assert guarded(None) == 130
    assert list(tmp_path.iterdir()) == [], "the half-written temp file was left"
    assert capsys.readouterr().err.startswith("error: tfpt-deploy: interrupted by ")


def _storage(tmp_path) -> None:
    rng = np.random.default_rng(0)
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng))


def _tree(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_report_interrupted_between_plots_keeps_the_old_report(sig, tmp_path, monkeypatch, capsys):
    from tfpt.report import __main__ as report
    monkeypatch.chdir(tmp_path)
    _storage(tmp_path)
    argv = ["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out")]
    assert report.main(argv) == 0
    old = _tree(tmp_path / "out")
    save(tmp_path / "s", 3, suite(np.random.default_rng(3), scale=1.5))
    calls = []
    real = report.html.svg_plot

    def plot(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), sig)
        return real(*a, **k)
    monkeypatch.setattr(report.html, "svg_plot", plot)
    capsys.readouterr()
    assert report.main(argv) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: tfpt-report: interrupted by {'SIGTERM' if sig == signal.SIGTERM else 'SIGINT'}")
    assert _tree(tmp_path / "out") == old, "the earlier report changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s"], "a temp folder was left beside --out"


def test_report_signal_inside_the_swap_waits_until_the_new_report_is_whole(tmp_path, monkeypatch, capsys):
    from tfpt.report import __main__ as report
    monkeypatch.chdir(tmp_path)
    _storage(tmp_path)
    argv = ["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out")]
    assert report.main(argv) == 0
    save(tmp_path / "s", 3, suite(np.random.default_rng(3)))
    real, moved = os.replace, []

    def replace(src, dst):
        moved.append(dst)
        if len(moved) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # held: the swap finishes first
        return real(src, dst)
    monkeypatch.setattr(report.os, "replace", replace)
    assert report.main(argv) == 130
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert len(moved) == len(list((tmp_path / "out").iterdir())) > 2
    assert doc["runs"][-1].endswith("0003_c0ffee3.json"), "the new report was not swapped in whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s"]


# ------------------------------------------------------------------ every command, convert's write, the data tool

SRC = Path(__file__).resolve().parent.parent / "src" / "tfpt"
NOT_COMMANDS = {"training/worker.py": "a child of tfpt-compare, stopped with its whole process group",
                "training/pair_cost.py": "a child of tfpt-compare's model-pair comparison (tfpt.procs.run), stopped "
                                         "with its whole process group"}


def wired(source: str) -> str | None:
    """The program name `main` is wrapped with (`@procs.interruptible("...")`, or a module constant naming it), or
    None."""
    tree = ast.parse(source)
    constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "main":
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and ast.unparse(dec.func).endswith("interruptible") and dec.args:
                    arg = dec.args[0]
                    return ast.literal_eval(constants.get(arg.id, arg) if isinstance(arg, ast.Name) else arg)
    return None


def test_every_command_handles_sigterm_as_ctrl_c():
    """Each module with a command line (a Parser and a main) runs its main under the one handler: SIGTERM is
    Ctrl-C (exit 130, children stopped, temp files removed). The negative control: a main without it is found."""
    commands = {str(p.relative_to(SRC)): p.read_text() for p in sorted(SRC.rglob("*.py"))
                if "Parser(" in p.read_text() and "def main" in p.read_text()}
    unwired = [rel for rel, source in commands.items() if rel not in NOT_COMMANDS and wired(source) is None]
    assert len(commands) >= 12 and not unwired, f"main without procs.interruptible: {unwired}"
    assert wired("def main(argv=None):\n    return 0\n") is None
    assert wired("@procs.interruptible('tfpt-x')\ndef main(argv=None):\n    return 0\n") == "tfpt-x"
    assert wired("P = 'tfpt-y'\n@procs.interruptible(P)\ndef main(argv=None):\n    return 0\n") == "tfpt-y"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_data_command_interrupted_is_one_line_and_130(sig, tmp_path):
    """`python -m tfpt.data.datasets` stopped while it loads (a load that waits, so the signal finds it there):
    a KeyboardInterrupt traceback (SIGINT) or a bare exit -15 (SIGTERM) before."""
    code = ("import runpy, sys, time; import tfpt.cli.data as cli; "
            "cli.load = lambda name: (print('loading', flush=True), time.sleep(60)); "
            "sys.argv = ['tfpt.data.datasets', 'mnist']; runpy.run_module('tfpt.data.datasets', run_name='__main__')")
    # -W: runpy warns that the patched module was imported before it runs as __main__ (this harness's doing)
    proc = subprocess.Popen([sys.executable, "-W", "ignore::RuntimeWarning", "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env(TFPT_CACHE_DIR=str(tmp_path / "cache")),
                            preexec_fn=_sigint_default)
    try:
        assert proc.stdout.readline().strip() == "loading"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert len(err.strip().splitlines()) == 1 and err.startswith(
        f"error: python -m tfpt.data.datasets: interrupted by {name}"), err


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_convert_interrupted_while_writing_leaves_no_temp_file(sig, tmp_path, monkeypatch, capsys):
    """tfpt-convert stopped inside its write of the target: exit 130, one line, no `.out.pt.XXXX.pt` beside it (a
    SIGTERM left 34 MB of one before and exited -15)."""
    frameworks.torch_first()
    import torch

    from models.pairs import BN_CNN
    from tfpt.cli import convert
    frameworks.get("tf").module("adapter").build(BN_CNN, 0).save_weights(str(tmp_path / "w.weights.h5"))
    source = (tmp_path / "w.weights.h5").read_bytes()

    def save(obj, f, *a, **k):
        Path(f).write_bytes(b"PK half a state_dict")
        os.kill(os.getpid(), sig)  # delivered here, in the middle of the write
        time.sleep(1)
    monkeypatch.setattr(torch, "save", save)
    capsys.readouterr()
    argv = ["--pair", "bn-cnn", str(tmp_path / "w.weights.h5"), str(tmp_path / "out.pt"), "--samples", "2"]
    assert convert.main(argv) == 130
    assert [p.name for p in tmp_path.iterdir()] == ["w.weights.h5"], "the temp file or a target was left"
    assert (tmp_path / "w.weights.h5").read_bytes() == source
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: tfpt-convert: interrupted by {'SIGTERM' if sig == signal.SIGTERM else 'SIGINT'}")
