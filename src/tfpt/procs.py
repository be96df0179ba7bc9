"""Child processes of the suite (workers, deployers): the same interpreter, the caller's folder importable, so a
user's model pairs and the registered ones resolve in the child exactly as in the parent."""
from __future__ import annotations

import os
from pathlib import Path


def child_env(**extra: str) -> dict:
    paths = [str(Path.cwd())] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)), **extra}
