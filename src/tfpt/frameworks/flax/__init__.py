"""Flax NNX, a native framework run in worker processes of its own (JAX never loads beside TensorFlow and PyTorch):
its record's pieces live in this folder, `cnn.py` (the spec CNN and the study's CNN in nnx, loss, Optax Adam),
`train.py` (the trainer tfpt-compare's worker runs) and `worker.py` (the check worker). This module imports no
framework: `worker()` starts one check worker per process, which takes arrays in (weights in Keras' layout, a
batch) and gives arrays back (every layer's output, the loss's gradients, the weights after one Adam step), for
the spec CNN or for a pair's own Flax side (`Worker.call` with the builder's 'MODULE:ATTR': tfpt.frameworks.flax.
sides); `Worker.export` writes its model in the folder's export format (`export.py`, jax.export), which the
deployer reloads with `load.py`. `worker(x64=True)`: a second worker with JAX's float64 enabled, for the
own-error rule's float64 twins.
"""
from __future__ import annotations

import atexit
import functools
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tfpt import procs

FRAMEWORK = "flax"
X64_ENV = "TFPT_FLAX_X64"  # set: the worker enables JAX's float64 before anything computes


class WorkerError(RuntimeError):
    """The Flax worker could not run a request (its one-line reason), or it died."""


class Worker:
    def __init__(self, x64: bool = False):
        from tfpt import frameworks
        self.folder = Path(tempfile.mkdtemp(prefix="tfpt-flax-"))
        env = procs.child_env(**frameworks.worker_env(FRAMEWORK), PYTHONUNBUFFERED="1",
                              **({X64_ENV: "1"} if x64 else {}))
        self.proc = subprocess.Popen([sys.executable, "-m", "tfpt.frameworks.flax.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self._n = 0
        try:
            self.hello = self._read()  # {"framework": "flax", "versions": {...}} once Flax has loaded
        except (WorkerError, ValueError):
            self.close()
            raise

    @property
    def versions(self) -> dict:
        return self.hello["versions"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise WorkerError(f"the Flax worker ended (exit {self.proc.poll()}); its messages are above")
        answer = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"Flax: {answer['error']}")
        return answer

    def request(self, op: str, weights: dict, x: np.ndarray, y: np.ndarray | None = None, pair: str = "spec",
                adam=None) -> dict[str, np.ndarray]:
        """{name: array} of `op` ("forward", "grads", "step") on Flax's model of `pair` given `weights`
        ({"conv1.kernel": array, ...} in Keras' layout) and the batch; `adam`: the AdamSettings of a step."""
        arrays = {**{k: np.asarray(v) for k, v in weights.items()}, "x": np.asarray(x, np.float32)}
        if y is not None:
            arrays["y"] = np.asarray(y, np.int32)
        return self.call({"op": op, "pair": pair, "adam": asdict(adam) if adam else None}, arrays)

    def export(self, weights: dict, fmt: str, folder: Path, example: np.ndarray, pair: str = "spec") -> Path:
        """The artifact's path: Flax's model of `pair` given `weights` (Keras' layout), written as `fmt` in
        `folder` by the worker (tfpt.frameworks.flax.export, with its sidecar); `example`, a batch it takes."""
        arrays = {**{k: np.asarray(v) for k, v in weights.items()}, "x": np.asarray(example)}
        out = self.call({"op": "export", "pair": pair, "format": fmt, "folder": str(folder)}, arrays)
        return Path(str(out["path"]))

    def call(self, req: dict, arrays: dict) -> dict[str, np.ndarray]:
        """{name: array} the worker answers to `req` (a JSON-able dict: "op" and what it reads) given `arrays`
        (sent as they are, dtypes kept)."""
        self._n += 1
        inp, out = self.folder / f"{self._n}-in.npz", self.folder / f"{self._n}-out.npz"
        np.savez(inp, **{k: np.asarray(v) for k, v in arrays.items()})
        req = {**req, "in": str(inp), "out": str(out)}
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            self._read()
            with np.load(out) as f:
                order = json.loads(str(f["__order__"]))
                return {name: f[f"o{i}"] for i, name in enumerate(order)}
        finally:
            inp.unlink(missing_ok=True)
            out.unlink(missing_ok=True)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                procs.stop(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        for p in self.folder.glob("*"):
            p.unlink(missing_ok=True)
        self.folder.rmdir()


@functools.cache
def worker(x64: bool = False) -> Worker:
    """The one Flax check worker of this process (closed when the process exits); x64: the one with float64."""
    w = Worker(x64)
    atexit.register(w.close)
    return w
