"""The IDX file format MNIST ships in (uint8 payloads): parse bytes, read a raw or gzipped file, encode an array.
A file that is not intact raises DataError naming it and the fix."""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from tfpt.data.registry import DataError


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
