"""Reload an exported model the way a deployer would, in a fresh process importing only that format's runtime
(onnxruntime + numpy for ONNX, the LiteRT interpreter for TFLite, TensorFlow for a SavedModel, Keras for a .keras
file, torch for TorchScript / ExportedProgram), run an input batch, and save the outputs.

    python -m tfpt.deploy FORMAT ARTIFACT INPUT.npy OUTPUT.npz [BATCHES]

BATCHES (default "all") is a comma-separated list of batch sizes: the first N images of the input are run as one
batch for each N, and OUTPUT.npz holds one array per size ("b1", "b7", ...), so one export is checked at
several batch sizes in one process.

Input is validated against the artifact's declared input (rank, dtype, layout, per-image shape) before anything
runs: a wrong shape, dtype or NCHW/NHWC layout is an error naming what was expected, never a crash or a silent
wrong answer. Prints one JSON line: load seconds, run seconds, and which frameworks the process loaded.
This module imports nothing from the suite, so the process holds only the runtime it names.
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
LAYOUT = {"savedmodel": "NHWC", "keras": "NHWC", "tflite": "NHWC", "onnx-tf": "NHWC",
          "torchscript": "NCHW", "exported-program": "NCHW", "onnx-torch": "NCHW"}
IMAGE = {"NHWC": (28, 28, 1), "NCHW": (1, 28, 28)}


class BadInput(ValueError):
    pass


def validate(fmt: str, x: np.ndarray) -> None:
    layout = LAYOUT[fmt]
    want = IMAGE[layout]
    if x.dtype != np.float32:
        raise BadInput(f"{fmt} model takes float32 input in [0, 1], got {x.dtype}; fix: x.astype(np.float32) / 255")
    if x.ndim != 4:
        raise BadInput(f"{fmt} model takes a 4-D batch (N, {', '.join(map(str, want))}) in {layout}, got shape {x.shape}")
    if tuple(x.shape[1:]) != want:
        other = "NCHW" if layout == "NHWC" else "NHWC"
        if tuple(x.shape[1:]) == IMAGE[other]:
            perm = "(0, 2, 3, 1)" if layout == "NHWC" else "(0, 3, 1, 2)"
            raise BadInput(f"{fmt} model takes {layout} input (N, {', '.join(map(str, want))}), got {other} "
                           f"{x.shape}; fix: x.transpose{perm}")
        raise BadInput(f"{fmt} model takes {layout} input (N, {', '.join(map(str, want))}), got shape {x.shape}")


def load(fmt: str, path: str):
    """A callable numpy -> numpy for the artifact."""
    if fmt in ("onnx-tf", "onnx-torch"):
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        return lambda x: sess.run(None, {name: x})[0]
    if fmt == "tflite":
        # LiteRT is TFLite's runtime without TensorFlow (tf.lite.Interpreter is deprecated in TF 2.21)
        from ai_edge_litert.interpreter import Interpreter
        interp = Interpreter(model_path=path)
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]

        def run(x):
            interp.resize_tensor_input(inp["index"], list(x.shape))
            interp.allocate_tensors()
            interp.set_tensor(inp["index"], x)
            interp.invoke()
            return interp.get_tensor(out["index"])
        return run
    if fmt == "savedmodel":
        import tensorflow as tf
        fn = tf.saved_model.load(path).signatures["serving_default"]
        return lambda x: next(iter(fn(tf.constant(x)).values())).numpy()
    if fmt == "keras":
        import keras
        model = keras.models.load_model(path)
        return lambda x: np.asarray(model(x, training=False))
    if fmt in ("torchscript", "exported-program"):
        import torch
        module = torch.jit.load(path) if fmt == "torchscript" else torch.export.load(path).module()

        def run(x):
            with torch.no_grad():
                return module(torch.from_numpy(x)).numpy()
        return run
    raise BadInput(f"unknown format {fmt!r}; choose from {sorted(LAYOUT)}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    fmt, path, inp, outp = argv[:4]
    x = np.load(inp)
    sizes = [len(x)] if len(argv) < 5 or argv[4] == "all" else [int(b) for b in argv[4].split(",")]
    try:
        validate(fmt, x)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    t0 = time.perf_counter()
    run = load(fmt, path)
    load_s = time.perf_counter() - t0
    outputs, run_s = {}, {}
    for n in sizes:
        t0 = time.perf_counter()
        outputs[f"b{n}"] = np.asarray(run(np.ascontiguousarray(x[:n])))
        run_s[f"b{n}"] = time.perf_counter() - t0
    with open(outp, "wb") as fh:
        np.savez(fh, **outputs)
    loaded = sorted(m for m in ("tensorflow", "torch", "keras", "onnxruntime", "ai_edge_litert") if m in sys.modules)
    print(json.dumps({"format": fmt, "load_s": load_s, "run_s": run_s, "loaded": loaded}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
