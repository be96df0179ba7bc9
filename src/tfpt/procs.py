"""Child processes of the suite (workers, deployers): the same interpreter, the caller's folder importable, so a
user's model pairs and the registered ones resolve in the child exactly as in the parent."""
from __future__ import annotations

import os
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
