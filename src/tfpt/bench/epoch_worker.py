"""The epoch benchmark's client: a `python -m tfpt.training.worker --serve` process holding one framework, asked
for one epoch per request, each request timed here too (the independent view its figures must add up to). No
framework is imported here."""
from __future__ import annotations

import time

from tfpt.bench.planted import injected_slowdown


class EpochWorker:
    """The epoch benchmark's timed epochs, run in a worker process that holds one framework
    (`python -m tfpt.training.worker --serve`): start() prepares (build, compile, data conversion, warm-up: all
    before any clock); each epoch() asks for one epoch and returns the worker's own perf_counter seconds of it,
    the figure tfpt-compare reports; the caller's timer around epoch() adds only a pipe round trip."""

    def __init__(self, fw: str, device: str = "cpu", seed: int = 0, mode: str = "as-written",
                 dataset: str = "mnist", limit: int | None = None, eval_batch: int | None = None):
        import subprocess
        import sys

        from tfpt.procs import child_env
        cmd = [sys.executable, "-m", "tfpt.training.worker", "--serve", "--framework", fw, "--device", device,
               "--seed", str(seed), "--mode", mode, "--dataset", dataset]
        cmd += ["--limit", str(limit)] if limit else []
        cmd += ["--eval-batch", str(eval_batch)] if eval_batch else []
        self.proc = subprocess.Popen(cmd, env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.logs: list = []
        self.ready = self._read()

    def _read(self) -> dict:
        import json
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"the epoch worker exited ({self.proc.returncode}); its messages are above")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def _ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._read()

    def epoch(self) -> float:
        """One epoch in the worker; its own seconds (the framework's epoch boundaries: tfpt.training.clock).
        `self.logs` keeps each epoch's whole record with `parent_seconds`, this process's clock around the
        request: the independent view its figures must add up to (tfpt.training.clock.unaccounted)."""
        t0 = time.perf_counter()
        log = self._ask("epoch")
        log["parent_seconds"] = time.perf_counter() - t0
        self.logs.append(log)
        if injected_slowdown():
            time.sleep(injected_slowdown() * log["seconds"])
        return log["seconds"]

    def finish(self) -> dict:
        """Evaluate and end the worker: its whole result (RunResult, phases, versions)."""
        out = self._ask("done")
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return out

    def close(self) -> None:
        """End the worker if it still runs (a failed round) and close the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe and not pipe.closed:
                pipe.close()
