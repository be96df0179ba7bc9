"""Child processes of the suite (workers, deployers): the same interpreter, the caller's folder importable, so a
user's model pairs and the registered ones resolve in the child exactly as in the parent; and what an interrupted
command does with them (`interruptible`, `run`, `temp_dir`)."""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path


def child_env(**extra: str) -> dict:
    """The caller's environment with its folder on PYTHONPATH, less the variables that make a pytest-xdist
    worker (a pytest run in the child is a session of its own, not a worker of the caller's)."""
    paths = [str(Path.cwd())] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    return {**env, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)), **extra}


def thread_env(threads: int | None) -> dict:
    """Environment that caps a process's compute threads (torch/oneDNN read OMP_NUM_THREADS at start-up, TF its
    TF_NUM_*_THREADS): parallel workers divide the cores instead of each taking all of them."""
    if not threads:
        return {}
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1"}


# ------------------------------------------------------------------------------------ interrupted commands
#
# A command stopped by Ctrl-C (SIGINT) or SIGTERM must end its children and leave nothing behind. SIGTERM's
# default action kills the parent alone: its worker trains on as an orphan and its temp folder stays. So every
# command's main runs under `interruptible`: SIGTERM raises KeyboardInterrupt as SIGINT does, every `with` block
# and `finally` on the way up removes its temp files, each child started by `run` (in a process group of its
# own) is stopped with everything it started, and the user gets one line and exit 130. Every command's main is
# wrapped (compare, convert, deploy, report, history, bench, ab, seeds, tune, overhead, backends, `python -m
# tfpt.data.datasets`). A command started with SIGINT ignored (`cmd &` in a script) keeps ignoring it: that was
# asked for; a test that sends SIGINT gives its child the default handling itself (tests/test_signals.py).

INTERRUPTED = 130  # tfpt.cli.exitcodes.INTERRUPTED (this module imports nothing of the suite)
GRACE_S = 5.0      # a child's time to exit on SIGTERM before SIGKILL
_children: set = set()
_received: list = []
_stopped: list = []  # pids stopped by an interruption, for the one line


def _as_interrupt(signum, frame):
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop(proc: subprocess.Popen, grace: float = GRACE_S) -> None:
    """End a child started by `run` and every process of its group: SIGTERM, then SIGKILL after `grace`."""
    if proc.poll() is not None:  # it ended: what it started may not have (its group outlives it)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
    _stopped.append(proc.pid)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(cmd: list, capture: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run, with the child in a process group of its own that is stopped whole (`stop`) if this
    process is interrupted or fails while waiting; `capture`: stdout and stderr as text."""
    if capture:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    _children.add(proc)
    try:
        out, err = proc.communicate()
    except BaseException:
        stop(proc)
        raise
    finally:
        _children.discard(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@contextlib.contextmanager
def temp_dir(**kwargs):
    """tempfile.mkdtemp, removed with everything in it when the block ends, however it ends."""
    path = Path(tempfile.mkdtemp(**kwargs))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM wait until the block ends (then act as they would have): for the few renames that swap a
    finished result in whole. Python runs its signal handlers in the main thread whichever thread the kernel
    chose, so the handlers themselves defer (a thread mask would not hold them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list = []
    old = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if pending:
            handler = old[pending[0]]
            if callable(handler):
                handler(pending[0], None)  # KeyboardInterrupt, now that the block is whole
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), pending[0])


def interruptible(prog: str):
    """Decorator for a command's `main(argv) -> int`: SIGTERM is handled as Ctrl-C; either stops every child
    `run` started, and prints one line, returning 130."""
    def wrap(main):
        @functools.wraps(main)
        def guarded(argv=None) -> int:
            in_main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGTERM, _as_interrupt) if in_main else None
            del _received[:], _stopped[:]
            try:
                return main(argv)
            except KeyboardInterrupt:
                ignored = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)} \
                    if in_main else {}
                try:  # a second Ctrl-C while the children stop changes nothing
                    for proc in list(_children):
                        stop(proc)
                    n = len(_stopped)
                    how = _received[-1] if _received else "SIGINT (Ctrl-C)"
                    stopped = f"stopped {n} child process(es), " if n else ""
                    print(f"error: {prog}: interrupted by {how}; {stopped}no temp file left and no result "
                          "half-written; fix: run it again", file=sys.stderr, flush=True)
                finally:
                    for s, handler in ignored.items():
                        signal.signal(s, handler)
                return INTERRUPTED
            finally:
                if in_main:
                    signal.signal(signal.SIGTERM, previous)
        guarded.interruptible = prog  # what tests/test_signals.py reads to find every command wired
        return guarded
    return wrap
