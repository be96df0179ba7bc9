"""Reload an exported model the way a deployer would, in a fresh process that imports only that format's runtime
(onnxruntime for ONNX, the LiteRT interpreter for TFLite, TensorFlow for a SavedModel, Keras for a .keras file,
torch for TorchScript / ExportedProgram, jax for a jax.export), run an input batch, and save the outputs.

    tfpt-deploy FORMAT ARTIFACT INPUT.npy OUTPUT.npz [BATCHES] [--chunk N] [--allow-nonfinite]

BATCHES (default "all") is a comma-separated list of batch sizes, each in 1..N for an input of N samples: the
first n samples are run for each n, and OUTPUT.npz holds one array per size ("b1", "b7", ...), so one export
is checked at several batch sizes in one process. A batch larger than --chunk runs in chunks of --chunk
samples (and never above the batch limit the artifact declares), so memory stays bounded: the input is
memory-mapped, never read whole.

What the input must be comes from the artifact itself: the ONNX session's input, the LiteRT input details, the
SavedModel's serving signature, the Keras model's input, the ExportedProgram's graph signature, the jax.export's
input. TorchScript declares nothing, so it is read from the sidecar `<ARTIFACT>.input.json` that tfpt's exporters
write next to every artifact ({"name", "shape": [null, ...], "dtype", "layout"}). Where a sidecar exists the input
is checked against it before any runtime loads, and against the artifact once it has loaded.

Every argument and input is checked before a runtime loads: a mistake is one line on stderr,
`error: <the thing>: <what was expected>; fix: <the fix>`, and an exit code from the table below. Nothing is
left half-written: OUTPUT is written to a temp file in its folder and renamed. On success it prints one JSON
line: load seconds, run seconds per batch size, the chunk used, and which frameworks the process loaded.
This module imports only the standard library, numpy and tfpt's standard-library-only modules (exitcodes,
frameworks and the framework folders' format tables, procs), so the process holds only the runtime it names; what
each format is (its runtime, its loader: one of LOADERS here, or a function of its framework's folder that
imports that runtime alone) comes from those tables (tfpt.frameworks.formats).
TFPT_HIDE_FRAMEWORKS is honoured by every format, checked once at start: a format whose runtime is a hidden
framework (savedmodel and keras: TensorFlow; torchscript and exported-program: PyTorch) is refused; the ONNX and
TFLite runtimes, and jax for jax-export, run without either.

OUTPUT never lands on an input: not the input batch, not the artifact, not its sidecar, not inside a SavedModel
folder. A sidecar that records another format, or an input the artifact itself does not declare, is named before
anything runs. SIGINT or SIGTERM leaves no temp file: one line, exit 130.
"""
from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfpt import frameworks, procs
from tfpt.cli.exitcodes import BAD_INPUT, INTERRUPTED, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.frameworks.formats import table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
TABLE = table()  # what each format is, from the framework folders' tables (tfpt.frameworks.formats)
FORMATS = tuple(TABLE)
DIRECTORY_FORMATS = tuple(f for f, e in TABLE.items() if e.container == "folder")  # a SavedModel
RUNTIME_OF = {f: e.runtime for f, e in TABLE.items()}
RUNTIMES = tuple(dict.fromkeys(RUNTIME_OF.values()))  # the modules a format may load
ZIP_FORMATS = tuple(f for f, e in TABLE.items() if e.container == "zip")
# the format's runtime is a framework of its own (TensorFlow for savedmodel and keras, PyTorch for torchscript and
# exported-program): hiding that framework refuses the format
FRAMEWORK_OF = {f: fw.id for fw in frameworks.REGISTRY.values() for f in fw.formats if TABLE[f].runtime in fw.modules}
LAYOUTS = ("NHWC", "NCHW", "plain")  # plain: not an image, taken as it is (tfpt.exports)
DEFAULT_CHUNK = 1024


class BadInput(UserError, ValueError):
    """The input, artifact or output location is not what the deployer needs (exit 3)."""

    def __init__(self, thing: str, expected: str, fix: str):
        super().__init__(thing, expected, fix, BAD_INPUT)


class RuntimeFailed(UserError):
    def __init__(self, thing: str, expected: str, fix: str):
        super().__init__(thing, expected, fix, RUNTIME)


@dataclass(frozen=True)
class Declared:
    """What an artifact says its input is: one sample's shape (batch axis excluded), dtype, and where that came
    from. `layout` is "NHWC"/"NCHW" when known; `max_batch` when the artifact bounds the batch axis."""
    name: str
    sample_shape: tuple
    dtype: str
    source: str
    layout: str | None = None
    max_batch: int | None = None
    fmt: str | None = None  # the format a sidecar records

    def describe(self) -> str:
        dims = ", ".join(["N", *map(str, self.sample_shape)])
        return f"{self.dtype} ({dims}){' in ' + self.layout if self.layout in ('NHWC', 'NCHW') else ''}"


def _one_line(exc: BaseException, limit: int = 240) -> str:
    cause = exc.__cause__ or exc.__context__
    text = " ".join(str(exc).split()) or type(exc).__name__
    if cause is not None and str(cause):
        text += f" ({' '.join(str(cause).split())})"
    return text if len(text) <= limit else text[:limit] + "..."


# ------------------------------------------------------------------------------------------ the arguments

def _positive(what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
        return value
    parse.__name__ = what
    return parse


def parse_batches(text: str) -> list[int] | None:
    """'all' -> None; '1,7,256' -> [1, 7, 256]; anything else is a usage error."""
    if text.strip().lower() == "all":
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'all' or comma-separated whole numbers like 1,7,256, got {text!r}") from None
    bad = [n for n in sizes if n < 1]
    if bad:
        raise argparse.ArgumentTypeError(f"expected batch sizes >= 1, got {','.join(map(str, bad))} in {text!r}")
    dupes = sorted({n for n in sizes if sizes.count(n) > 1})
    if dupes:
        raise argparse.ArgumentTypeError(
            f"expected each batch size once, got {','.join(map(str, dupes))} twice in {text!r}")
    return sizes


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="tfpt-deploy", formatter_class=Formatter,
               description=__doc__,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME, INTERRUPTED))
    # "-1,0" is a (wrong) BATCHES value, not an option: let it reach parse_batches, which names the mistake
    p._negative_number_matcher = re.compile(r"^-[\d.,]+$")
    p.add_argument("format", metavar="FORMAT", choices=FORMATS, help=f"one of: {', '.join(FORMATS)}")
    p.add_argument("artifact", metavar="ARTIFACT", type=Path,
                   help="the exported model (a folder for savedmodel, a file otherwise)")
    p.add_argument("input", metavar="INPUT.npy", type=Path, help="a .npy batch of samples, as the artifact declares")
    p.add_argument("output", metavar="OUTPUT.npz", type=Path, help="where the outputs go (its folder must exist)")
    p.add_argument("batches", metavar="BATCHES", nargs="?", default="all", type=parse_batches,
                   help="'all' or comma-separated batch sizes in 1..N, each run on the first n samples")
    p.add_argument("--chunk", type=_positive("chunk"), default=DEFAULT_CHUNK,
                   help="run at most this many samples at once (bounded memory for large inputs)")
    p.add_argument("--allow-nonfinite", action="store_true",
                   help="run inputs holding NaN or inf (refused by default: runtimes disagree on them)")
    return p


# ---------------------------------------------------------------------------------- checks before loading

def check_artifact(fmt: str, path: Path) -> None:
    if not path.exists():
        raise BadInput(f"artifact {path}", f"an existing {fmt} artifact; nothing is there",
                       "pass the path the exporter printed (tfpt.exports)")
    if fmt in DIRECTORY_FORMATS:
        if not path.is_dir() or not (path / "saved_model.pb").is_file():
            raise BadInput(f"artifact {path}", "a SavedModel folder holding saved_model.pb",
                           "pass the folder model.export() wrote, not a file inside it")
    elif not path.is_file():
        raise BadInput(f"artifact {path}", f"a {fmt} artifact file, got a folder", "pass the artifact file itself")
    elif path.stat().st_size == 0:
        raise BadInput(f"artifact {path}", f"a {fmt} artifact, got an empty file", "export the model again")
    elif fmt in ZIP_FORMATS and not zipfile.is_zipfile(path):
        raise BadInput(f"artifact {path}", f"a {fmt} artifact, which is a zip archive; got something else",
                       "pass the right FORMAT for this file, or export the model again")


def open_input(path: Path) -> np.ndarray:
    """Memory-map the .npy (never read whole); refuse anything but a non-empty numeric batch."""
    if not path.is_file():
        raise BadInput(f"input {path}", "an existing .npy file" + (", got a folder" if path.is_dir() else ""),
                       "save the batch with np.save(path, x)")
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head.startswith((b"\x93NUMPY", b"PK\x03\x04")):  # .npy's magic; an .npz (a zip) is named below
        # without this, np.load takes any other file for a pickle and said "it holds Python objects" of a CSV
        text = all(32 <= c < 127 or c in b"\r\n\t" for c in head)
        what = ("it is empty" if not head else "it holds text, e.g. a CSV" if text else
                "its first bytes are not .npy's header")
        raise BadInput(f"input {path}", f"a .npy array file of numbers (not a .npy file: {what})",
                       "save the batch with np.save(path, x); a CSV: np.save(path, np.loadtxt(csv, delimiter=','))")
    try:
        x = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        objects = "Python objects" in str(exc) or "pickle" in str(exc)
        reason = "it holds Python objects" if objects else _one_line(exc, 120)
        raise BadInput(f"input {path}", f"a .npy array file of numbers ({reason})",
                       "save the batch with np.save(path, x)") from None
    if not isinstance(x, np.ndarray):
        if hasattr(x, "close"):
            x.close()
        raise BadInput(f"input {path}", "one .npy array, got an .npz archive", "np.save(path, archive[name])")
    if x.ndim == 0:
        raise BadInput(f"input {path}", "a batch of samples (N, ...), got a scalar", "np.save(path, x[None])")
    if x.dtype.kind not in "fiub":
        raise BadInput(f"input {path}", f"a numeric array, got dtype {x.dtype}", "x.astype(np.float32)")
    if len(x) == 0:
        raise BadInput(f"input {path}", f"at least one sample, got an empty batch of shape {x.shape}",
                       "save a batch with N >= 1 samples")
    return x


def check_finite(x: np.ndarray, path: Path, chunk: int) -> None:
    if x.dtype.kind != "f":
        return
    for start in range(0, len(x), chunk):
        part = np.asarray(x[start:start + chunk])
        bad = ~np.isfinite(part)
        if bad.any():
            first = start + int(np.argmax(bad.reshape(len(part), -1).any(axis=1)))
            raise BadInput(f"input {path}", f"finite values; sample {first} holds NaN or inf "
                           "(runtimes disagree on what they give for it)",
                           "clean the input (np.nan_to_num) or pass --allow-nonfinite")


def check_batches(sizes: list[int] | None, n: int) -> list[int]:
    if sizes is None:
        return [n]
    out = [s for s in sizes if s > n]
    if out:
        raise UserError(f"BATCHES {','.join(map(str, out))}",
                        f"batch sizes in 1..{n}: the input holds {n} sample(s)",
                        f"use sizes up to {n}, or 'all', or a larger input", USAGE)
    return sizes


def check_hidden(fmt: str) -> None:
    """TFPT_HIDE_FRAMEWORKS, once, before anything loads: a format whose runtime is a hidden framework is refused."""
    fw = FRAMEWORK_OF.get(fmt)
    if fw is not None and fw in frameworks.hidden():
        raise UserError(f"FORMAT {fmt}", f"a runtime this process may load, but {frameworks.missing_reason(fw)}",
                        "unset TFPT_HIDE_FRAMEWORKS, or deploy an ONNX or TFLite export instead", USAGE)


def check_output(out: Path, inp: Path, artifact: Path) -> None:
    """OUTPUT's folder must exist and take a new file; OUTPUT must not be a folder, the input, the artifact, the
    artifact's sidecar, or anything inside a folder artifact (a SavedModel)."""
    if out.is_dir():
        raise BadInput(f"output {out}", "a file path, got an existing folder",
                       f"pass a file name, e.g. {out / 'out.npz'}")
    target, art = out.resolve(), artifact.resolve()
    named = {inp.resolve(): "the input batch", art: "the artifact", Path(str(art) + ".input.json"):
             f"the artifact's sidecar (the deployer reads it to check the input; overwritten, {artifact} could no "
             "longer be deployed)"}
    if target in named:
        raise BadInput(f"output {out}", f"a path that is not one of the inputs, got {named[target]}",
                       "write the outputs elsewhere, e.g. out.npz in another folder")
    if artifact.is_dir() and art in target.parents:
        raise BadInput(f"output {out}", f"a path outside the artifact folder {artifact} (writing into it changes "
                       "the exported model)", "write the outputs elsewhere, e.g. next to the artifact folder")
    folder = out.parent
    if not folder.is_dir():
        raise BadInput(f"output folder {folder}", "an existing folder", f"mkdir -p {folder}")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BadInput(f"output folder {folder}", f"a folder this user can write ({exc.strerror})",
                       "choose a writable folder or fix its permissions") from None


def read_sidecar(artifact: Path) -> Declared | None:
    path = Path(str(artifact) + ".input.json")
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text())
        shape = meta["shape"]
        if not (isinstance(shape, list) and len(shape) >= 1 and all(isinstance(d, int) and d > 0 for d in shape[1:])):
            raise ValueError(f"shape {shape!r} is not [null, d1, d2, ...] with positive dims")
        dtype = str(np.dtype(meta["dtype"]))
    except (OSError, ValueError, KeyError, TypeError, SyntaxError) as exc:  # np.dtype("01"): SyntaxError
        raise BadInput(f"sidecar {path}", '{"shape": [null, ...], "dtype": "float32", "layout": ...} '
                       f"({_one_line(exc, 100)})", "export the model again, or delete the sidecar") from None
    fmt, layout = meta.get("format"), meta.get("layout")
    if fmt is not None and fmt not in FORMATS or layout is not None and layout not in LAYOUTS:
        what = f"format {fmt!r}" if fmt is not None and fmt not in FORMATS else f"layout {layout!r}"
        raise BadInput(f"sidecar {path}", f"a format in {', '.join(FORMATS)} and a layout in {', '.join(LAYOUTS)}; "
                       f"it records {what}", "export the model again, or delete the sidecar")
    return Declared(str(meta.get("name", "input")), tuple(shape[1:]), dtype, str(path), layout, fmt=fmt)


def _same_dtype(a: str, b: str) -> bool:
    try:
        return np.dtype(a) == np.dtype(b)
    except (TypeError, ValueError, SyntaxError):  # a runtime's own type name (ONNX "tensor(bool)"): as written
        return a == b


def check_sidecar(fmt: str, sidecar: Declared, declared: Declared | None = None) -> None:
    """The sidecar against FORMAT (before loading) and against what the loaded artifact declares itself."""
    if sidecar.fmt is not None and sidecar.fmt != fmt:
        raise BadInput(f"sidecar {sidecar.source}", f"a sidecar of a {fmt} artifact; it records format {sidecar.fmt}",
                       f"pass FORMAT {sidecar.fmt} if that is what the artifact is, or export the model again")
    if declared is None or declared is sidecar:
        return
    same = len(declared.sample_shape) == len(sidecar.sample_shape) and all(
        not isinstance(d, int) or d < 0 or d == s
        for d, s in zip(declared.sample_shape, sidecar.sample_shape, strict=True))
    if not same or not _same_dtype(declared.dtype, sidecar.dtype):
        dims = lambda d: f"{d.dtype} ({', '.join(['N', *map(str, d.sample_shape)])})"  # noqa: E731
        raise BadInput(f"sidecar {sidecar.source}", f"the input the artifact declares, {dims(declared)} "
                       f"({declared.source}); the sidecar says {dims(sidecar)}",
                       "export the model again, or delete the sidecar")


def _transpose_fix(got: tuple, want: tuple) -> str | None:
    """The x.transpose(...) that turns a batch of `got` samples into `want` samples (NHWC <-> NCHW), if any."""
    if len(got) != len(want) or got == want:
        return None
    for perm in itertools.permutations(range(len(got))):
        if tuple(got[i] for i in perm) == tuple(want):
            return f"x.transpose({', '.join(map(str, (0, *(i + 1 for i in perm))))})"
    return None


def check_input(fmt: str, declared: Declared, shape: tuple, dtype, where: str) -> None:
    """Raise BadInput naming what `declared` expects if a batch of `shape`/`dtype` does not match it."""
    want = f"the {fmt} model takes {declared.describe()} (declared by {declared.source})"
    if np.dtype(dtype) != np.dtype(declared.dtype):
        raise BadInput(f"input {where}", f"{want}; it takes {declared.dtype}, got {np.dtype(dtype)}",
                       f"x.astype(np.{declared.dtype}), scaled as in training")
    rank = len(declared.sample_shape) + 1
    if len(shape) != rank:
        raise BadInput(f"input {where}", f"{want}: a {rank}-D batch, got shape {tuple(shape)}",
                       f"reshape to (N, {', '.join(map(str, declared.sample_shape))})")
    if not all(not isinstance(w, int) or w < 0 or w == g
               for g, w in zip(shape[1:], declared.sample_shape, strict=True)):
        fix = _transpose_fix(tuple(shape[1:]), tuple(declared.sample_shape))
        raise BadInput(f"input {where}", f"{want}, got shape {tuple(shape)}"
                       + (" (the other layout)" if fix else ""),
                       fix or f"reshape to (N, {', '.join(map(str, declared.sample_shape))})")


# --------------------------------------------------------------------------------- runtimes: load, declare

def _import(fmt: str):
    module = RUNTIME_OF[fmt]
    try:
        return __import__(module)
    except ImportError as exc:
        raise RuntimeFailed(f"runtime {module}", f"installed, to run {fmt} artifacts ({_one_line(exc, 100)})",
                            f"pip install {TABLE[fmt].pip}") from None


def _load_onnx(path: Path, sidecar: Declared | None):
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise BadInput(f"artifact {path}", f"a model with one input, it declares {len(inputs)}", "export one input")
    inp = inputs[0]
    dtypes = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
              "tensor(uint8)": "uint8", "tensor(int64)": "int64", "tensor(int32)": "int32"}
    declared = Declared(inp.name, tuple(inp.shape[1:]), dtypes.get(inp.type, inp.type), f"{path}'s ONNX input",
                        sidecar.layout if sidecar else None)
    return (lambda x: sess.run(None, {inp.name: x})[0]), declared


def _load_litert(path: Path, sidecar: Declared | None):
    # LiteRT is TFLite's runtime without TensorFlow (tf.lite.Interpreter is deprecated in TF 2.21)
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_path=str(path))
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    sig = [int(d) for d in inp.get("shape_signature", inp["shape"])]
    declared = Declared(inp["name"], tuple(sig[1:]), str(np.dtype(inp["dtype"])), f"{path}'s LiteRT input",
                        sidecar.layout if sidecar else None)
    current = [None]

    def run(x):
        if current[0] != x.shape:
            interp.resize_tensor_input(inp["index"], list(x.shape))
            interp.allocate_tensors()
            current[0] = x.shape
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        return interp.get_tensor(out["index"]).copy()
    return run, declared


def _load_savedmodel(path: Path, sidecar: Declared | None):
    import tensorflow as tf
    loaded = tf.saved_model.load(str(path))
    if "serving_default" not in getattr(loaded, "signatures", {}):
        raise BadInput(f"artifact {path}", "a SavedModel with a serving_default signature",
                       "export it with model.export(path)")
    fn = loaded.signatures["serving_default"]
    (name, spec), = fn.structured_input_signature[1].items()
    declared = Declared(name, tuple(spec.shape[1:]), spec.dtype.name, f"{path}'s serving_default signature",
                        sidecar.layout if sidecar else None)
    return (lambda x: next(iter(fn(**{name: tf.constant(x)}).values())).numpy()), declared


def _load_keras(path: Path, sidecar: Declared | None):
    import keras
    model = keras.models.load_model(str(path))
    inp = model.inputs[0]
    from tfpt.frameworks import keras_dtype_name
    declared = Declared(getattr(inp, "name", "input"), tuple(inp.shape[1:]), keras_dtype_name(inp.dtype),
                        f"{path}'s Keras model input", sidecar.layout if sidecar else None)
    return (lambda x: np.asarray(model(x, training=False))), declared


def _torch_run(torch, module):
    def run(x):
        with torch.no_grad():
            return module(torch.from_numpy(x)).numpy()
    return run


def _load_torchscript(path: Path, sidecar: Declared | None):
    import warnings

    import torch
    with warnings.catch_warnings():  # torch 2.14 deprecates TorchScript; deployers still load it
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
        module = torch.jit.load(str(path))
    return _torch_run(torch, module), sidecar  # the sidecar was checked to exist before anything loaded


def _load_exported_program(path: Path, sidecar: Declared | None):
    import torch
    program = _export_load(torch, path)
    names = program.graph_signature.user_inputs
    node = next(n for n in program.graph.nodes if n.op == "placeholder" and n.name == names[0])
    val = node.meta["val"]
    limit = None
    batch = val.shape[0]
    for sym, bounds in getattr(program, "range_constraints", {}).items():
        if str(sym) == str(batch) and bounds.upper != int(sys.maxsize) and str(bounds.upper).isdigit():
            limit = int(bounds.upper)
    declared = Declared(names[0], tuple(int(d) for d in val.shape[1:]), str(val.dtype).replace("torch.", ""),
                        f"{path}'s graph signature", sidecar.layout if sidecar else None, limit)
    return _torch_run(torch, program.module()), declared


# How each kind of artifact is read (a format's `loader`, tfpt.frameworks.formats): a new framework's format that
# one of these runtimes reads needs no edit here; one read by a loader of its own names it "module:function" (in
# its framework's folder), which `loader` imports.
LOADERS = {"onnx": _load_onnx, "litert": _load_litert, "savedmodel": _load_savedmodel, "keras": _load_keras,
           "torchscript": _load_torchscript, "exported-program": _load_exported_program}


def loader(name: str):
    """The function that reads a format whose row names `name`: one of LOADERS, or "module:function", a loader of
    the framework's own folder that imports nothing but its runtime. It takes the artifact's path and gives
    (run, {"name", "shape": one sample's, "dtype", "source"}); the declaration becomes a Declared here."""
    if ":" not in name:
        return LOADERS[name]
    module, _, attr = name.partition(":")
    outside = getattr(importlib.import_module(module), attr)

    def read(path: Path, sidecar: Declared | None):
        run, said = outside(path)
        declared = Declared(str(said.get("name", "input")), tuple(said["shape"]), str(said["dtype"]),
                            str(said.get("source", f"{path}'s input")), sidecar.layout if sidecar else None,
                            said.get("max_batch"))
        return run, declared
    return read


def load(fmt: str, path: Path, sidecar: Declared | None):
    """(run, Declared): a callable numpy batch -> numpy output, and the input the artifact declares."""
    _import(fmt)
    return loader(TABLE[fmt].loader)(path, sidecar)


def _export_load(torch, path: Path):
    """torch.export.load, its failure in one line: torch logs the real error as a traceback and then raises "Please
    check the warnings above", so the log record is kept (not printed) and its exception named instead."""
    import logging
    logger, said = logging.getLogger("torch.export"), []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.exc_info and record.exc_info[1] is not None:
                said.append(record.exc_info[1])
    saved = logger.handlers, logger.propagate, logger.level
    logger.handlers, logger.propagate = [Keep()], False  # torch's own stderr handler sits on this logger
    logger.setLevel(logging.WARNING)
    try:
        return torch.export.load(str(path))
    except Exception as exc:
        cause = said[-1] if said else exc
        text = re.sub(r"\s*\(Could this error message be improved\?.*", "", _one_line(cause)).rstrip(".")
        raise BadInput(f"artifact {path}", "a loadable exported-program artifact (a .pt2 archive written by "
                       f"torch.export.save); torch could not read it ({type(cause).__name__}: {text})",
                       "pass the right FORMAT for this file, or export the model again") from None
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def run_batches(run, x: np.ndarray, sizes: list[int], chunk: int) -> tuple[dict, dict]:
    outputs, seconds = {}, {}
    for n in sizes:
        t0 = time.perf_counter()
        # a writable C-order copy of one chunk: the input itself stays memory-mapped
        parts = [np.asarray(run(np.array(x[start:min(n, start + chunk)], order="C")))
                 for start in range(0, n, chunk)]
        outputs[f"b{n}"] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        seconds[f"b{n}"] = time.perf_counter() - t0
    return outputs, seconds


def save(out: Path, outputs: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **outputs)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def deploy(args) -> int:
    fmt = args.format
    check_hidden(fmt)
    check_artifact(fmt, args.artifact)
    sidecar = read_sidecar(args.artifact)
    if sidecar is not None:
        check_sidecar(fmt, sidecar)
    if not TABLE[fmt].declares_input and sidecar is None:
        side = next(fw.side for fw in frameworks.REGISTRY.values() if fmt in fw.formats)
        raise BadInput(f"artifact {args.artifact}", f"a sidecar {args.artifact}.input.json next to it "
                       f"({TABLE[fmt].title} declares no input of its own)",
                       'export with tfpt.exports.export, which writes it, or write {"shape": [null, ...], '
                       f'"dtype": "float32", "layout": "{"NHWC" if side == frameworks.KERAS_SIDE else "NCHW"}"}} '
                       'there')
    x = open_input(args.input)
    sizes = check_batches(args.batches, len(x))
    check_output(args.output, args.input, args.artifact)
    if sidecar is not None:
        check_input(fmt, sidecar, x.shape, x.dtype, str(args.input))
    if not args.allow_nonfinite:
        check_finite(x, args.input, args.chunk)

    t0 = time.perf_counter()
    try:
        run, declared = load(fmt, args.artifact, sidecar)
    except UserError:
        raise
    except Exception as exc:  # the runtime could not read the artifact: its message, on one line
        raise BadInput(f"artifact {args.artifact}", f"a loadable {fmt} artifact; {RUNTIME_OF[fmt]} said: "
                       f"{_one_line(exc)}", "pass the right FORMAT for this file, or export the model again") from None
    load_s = time.perf_counter() - t0
    if sidecar is not None:
        check_sidecar(fmt, sidecar, declared)
    check_input(fmt, declared, x.shape, x.dtype, str(args.input))
    chunk = min(args.chunk, declared.max_batch or args.chunk)
    if declared is sidecar:  # TorchScript: only the sidecar says what it takes; one sample tells if it lies
        try:
            run(np.array(x[:1], order="C"))
        except Exception as exc:
            said = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
            raise BadInput(f"sidecar {sidecar.source}", f"the input the {fmt} model takes; it failed on the "
                           f"declared {sidecar.describe()}: {_one_line(Exception(said[-1]), 200)}",
                           "export the model again (tfpt.exports writes the sidecar), or correct it") from None
    try:
        outputs, run_s = run_batches(run, x, sizes, chunk)
    except Exception as exc:
        raise RuntimeFailed(f"{fmt} runtime", f"to run the validated input; it failed: {_one_line(exc)}",
                            "report this with the artifact and input") from None
    save(args.output, outputs)
    loaded = sorted(m for m in RUNTIMES if m in sys.modules)
    print(json.dumps({"format": fmt, "load_s": load_s, "run_s": run_s, "chunk": chunk, "loaded": loaded}))
    return OK


@procs.interruptible("tfpt-deploy")
def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return deploy(args)
    except UserError as exc:
        return report(exc)
    except MemoryError:
        return report(RuntimeFailed("memory", f"enough for chunks of {args.chunk} samples",
                                    "pass a smaller --chunk"))


if __name__ == "__main__":
    sys.exit(main())
