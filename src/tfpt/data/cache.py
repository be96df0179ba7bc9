"""The verified cache: every array checked against its pinned digest, then written as raw IDX files under
<cache>/<Name>/raw/ (the layout torchvision reads) through a temp file and a rename, so nothing half-written stays;
the cache folder probed for writing before any source is read; temp files a killed run left removed."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tfpt.data.idx import idx_bytes
from tfpt.data.registry import IDX_NAMES, INFO, KEYS, DataError, DatasetInfo, digest

REPO = Path.cwd()  # the folder commands run in: caches and reports go below it
DEFAULT_CACHE = REPO / ".cache" / "data"


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def verify(info: DatasetInfo, found: dict, fix: str) -> dict:
    """Check every array's shape and digest; raise DataError naming the file, both digests and the fix."""
    for key in KEYS:
        arr, origin = found[key]
        actual = digest(arr) if arr.dtype == np.uint8 and arr.shape == info.shapes[key] else None
        if actual != info.digests[key]:
            got = f"sha256 {actual}" if actual else f"shape {arr.shape} dtype {arr.dtype}"
            raise DataError(
                f"{info.name} {key} from {origin} is not the pinned data: expected sha256 {info.digests[key]} "
                f"(shape {info.shapes[key]} uint8), got {got}; fix: {fix}")
    return {key: found[key][0] for key in KEYS}


def cache_paths(name: str, cache: Path = DEFAULT_CACHE) -> dict:
    info = INFO[name]
    return {key: Path(cache) / info.folder / "raw" / stem for key, stem in IDX_NAMES.items()}


_STARTED = time.time()


def _process_start() -> float:
    try:
        import psutil
        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - psutil missing or /proc unreadable: the import time is a safe stand-in
        return _STARTED


def remove_stale_temps(paths: dict) -> list[Path]:
    """Remove temp files a killed run left in the cache folder (`.<file name>.<random>.tmp`, 12-47 MB each). Only
    regular files named after a cache file and last written before this process started are removed, so a
    concurrent run's temp file (being written now) is never touched."""
    folder = next(iter(paths.values())).parent
    if not folder.is_dir():
        return []
    started, removed = _process_start(), []
    names = {p.name for p in paths.values()}
    for entry in folder.iterdir():
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        if entry.name[1:].rsplit(".", 2)[0] not in names:
            continue
        try:
            if entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < started:
                entry.unlink()
                removed.append(entry)
        except OSError:
            pass  # another run removed or renamed it meanwhile
    return removed


def check_cache(paths: dict) -> None:
    """The cache must be writable before any source is read: entries are files (or absent) and the folder is,
    or can be created as, a folder this user can write. Probed by creating and removing a temp file."""
    fix = "or pass --cache-dir / set TFPT_CACHE_DIR to a writable folder"
    for path in paths.values():
        if path.exists() and not path.is_file():
            raise DataError(f"cache entry {path}: a file, got a folder; fix: remove it (rm -r {path}) and run again")
    folder = next(iter(paths.values())).parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DataError(f"cache folder {existing}: a folder, got a file; fix: remove or rename {existing}, {fix}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise DataError(f"cache folder {existing}: a folder this user can write ({exc.strerror}); "
                        f"fix: fix its permissions, {fix}") from None


def _write_cache(paths: dict, arrays: dict) -> None:
    try:
        for key, path in paths.items():
            atomic_write(path, idx_bytes(arrays[key]))
    except OSError as exc:
        raise DataError(f"cache folder {next(iter(paths.values())).parent}: writable ({exc.strerror or exc}); "
                        "fix: free space or fix its permissions, or pass --cache-dir / set TFPT_CACHE_DIR") from None
