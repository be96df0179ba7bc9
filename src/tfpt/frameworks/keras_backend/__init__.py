"""Keras 3 on a backend other than TensorFlow (torch, JAX), served by a worker process: a Keras backend is fixed
per process, so the suite's own process (Keras on TensorFlow beside PyTorch) cannot run it.

`worker(backend)` starts one worker per backend per process (start-up dominates: ~5-10 s) and keeps it for the
session. A request names a saved Keras model (`model.save("x.keras")`: architecture and weights, so the worker's
model holds exactly the weights of the model that wrote it) and an input batch; the answer is every layer's
output, by Keras layer name, in Keras' own layout (no converter involved), and the installed versions.

This module imports no framework; the worker (tfpt.frameworks.keras_backend.worker) imports Keras only.
"""
from __future__ import annotations

import atexit
import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tfpt import procs


class WorkerError(RuntimeError):
    """The worker could not run a request (its one-line reason), or it died."""


class Worker:
    def __init__(self, backend: str):
        self.backend = backend
        self.folder = Path(tempfile.mkdtemp(prefix=f"tfpt-keras-{backend}-"))
        env = procs.child_env(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "tfpt.frameworks.keras_backend.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self._n = 0
        try:
            self.hello = self._read()  # {"backend": ..., "versions": {...}} once Keras has loaded
            if self.hello.get("backend") != backend:
                raise WorkerError(f"the worker runs Keras on {self.hello.get('backend')!r}, not {backend!r}")
        except (WorkerError, ValueError):
            self.close()  # a worker that could not start is stopped and waited for, its folder removed
            raise

    @property
    def versions(self) -> dict:
        return self.hello["versions"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise WorkerError(f"the Keras-on-{self.backend} worker ended (exit {self.proc.poll()}); "
                              f"its messages are above")
        answer = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"Keras on {self.backend}: {answer['error']}")
        return answer

    def layer_outputs(self, keras_model, x: np.ndarray, training: bool = False, pair=None) -> dict[str, np.ndarray]:
        """{layer name: output} of `keras_model` (a Keras-on-TensorFlow model) run on this backend, in inference
        mode unless `training`. With `pair` (a registered ModelPair) the worker builds the pair's Keras model and
        gets `keras_model`'s weights; without, architecture and weights travel in a .keras file."""
        self._n += 1
        model, inputs, out = (self.folder / f"{self._n}{s}" for s in (".keras", "-x.npy", "-out.npz"))
        request = {"model": str(model), "x": str(inputs), "out": str(out), "training": training}
        if pair is None:
            keras_model.save(model)
        else:
            model = model.with_suffix(".npz")
            np.savez(model, **{f"w{i}": w for i, w in enumerate(keras_model.get_weights())})
            request.update(model=str(model), pair=pair.name, module=pair.keras.__module__)
        np.save(inputs, x)
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            self._read()
            with np.load(out) as f:
                order = json.loads(str(f["__order__"]))
                return {name: f[f"o{i}"] for i, name in enumerate(order)}
        finally:
            for p in (model, inputs, out):
                p.unlink(missing_ok=True)

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
def worker(backend: str) -> Worker:
    """The one worker of `backend` for this process (closed when the process exits)."""
    w = Worker(backend)
    atexit.register(w.close)
    return w
