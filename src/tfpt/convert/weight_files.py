"""Whole-model weight files, what every framework's reader and writer shares (tfpt.frameworks.<folder>.weight_files:
Keras' `.weights.h5`, a PyTorch `state_dict`): a file that does not fit the model raises `WeightFileError` with one
line naming what differs; writing goes to a temporary file beside the target, renamed over it only when complete
(nothing half-written stays)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Callable


class WeightFileError(ValueError):
    """The file cannot be read into this model: the message says what was expected; `fix`, where the usual fix
    (a file saved from this model) is not the one."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.fix = fix


def said(exc: BaseException) -> str:
    """An exception's message as one clean line: terminal colour codes dropped, its first non-empty line (torch's
    load errors run to 1,200 characters over several lines), the exception's name where it says nothing."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def atomic(path: Path, suffix: str, write: Callable[[str], object]) -> None:
    """`write(temporary path)` beside `path`, then renamed over it (readable as any new file is)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make the weights unreadable to others
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
