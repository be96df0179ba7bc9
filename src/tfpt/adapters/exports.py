"""Exporting a trained model in every common format, in the training process.

Each exporter writes one artifact under a folder and returns an `Artifact`: the format, its path, the layout
its input takes (NHWC for TensorFlow's formats, NCHW for PyTorch's), and its size in bytes. The artifacts are
reloaded in fresh processes by `tfpt.deploy` (the tfpt-deploy command), which imports only what a deployer needs.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfpt.frameworks import EXPORT_FORMATS, TF_FORMATS, TORCH_FORMATS, keras_dtype_name, keras_major


@dataclass(frozen=True)
class Artifact:
    format: str
    path: Path
    layout: str  # "NHWC" | "NCHW"

    @property
    def size_bytes(self) -> int:
        if self.path.is_dir():
            return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        size = self.path.stat().st_size
        data = Path(str(self.path) + ".data")  # ONNX external data, if any
        return size + (data.stat().st_size if data.is_file() else 0)


# What exporting and reloading each format needs beyond the framework; a missing one skips with a reason.
NEEDS = {"onnx-tf": ("tf2onnx", "onnxruntime"), "onnx-torch": ("onnxscript", "onnxruntime"),
         "tflite": ("ai_edge_litert",)}
FORMATS = EXPORT_FORMATS


def write_input_sidecar(artifact: Artifact, shape, name: str = "input", dtype: str = "float32") -> Path:
    """`<artifact>.input.json`: the input the artifact takes (batch axis null), which the deployer checks before
    loading any runtime; TorchScript declares no input of its own, so for it this file is the only source."""
    import json
    path = Path(str(artifact.path) + ".input.json")
    path.write_text(json.dumps({"format": artifact.format, "name": name, "dtype": dtype, "layout": artifact.layout,
                                "shape": [None] + [int(d) for d in list(shape)[1:]]}) + "\n")
    return path


def image_layout(fw: str) -> str:
    """The layout images take in the formats `fw`'s models write: NHWC on a pair's Keras side, NCHW on its
    PyTorch side."""
    from tfpt.frameworks import KERAS_SIDE, get
    return "NHWC" if get(fw).side == KERAS_SIDE else "NCHW"


def _layout(rank: int, framework: str) -> str:
    """Images (rank 4) are NHWC in TensorFlow's formats and NCHW in PyTorch's; other inputs are taken as they are."""
    return image_layout(framework) if rank == 4 else "plain"


def _tf_function(model):
    from tfpt.frameworks import import_tf
    tf = import_tf()
    inp = model.inputs[0]
    spec = tf.TensorSpec([None, *inp.shape[1:]], tf.as_dtype(inp.dtype), name="input")
    return tf.function(lambda x: model(x, training=False), input_signature=[spec]), spec


def export_tf(model, fmt: str, folder: Path) -> Artifact:
    from tfpt.frameworks import import_tf
    tf = import_tf()
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "savedmodel":
        path = folder / "savedmodel"
        # model.export: Keras 3 takes format=, Keras 2 (tf.keras, TF 2.13-2.15) always writes a SavedModel
        kwargs = {"format": "tf_saved_model"} if keras_major() >= 3 else {}
        with contextlib.redirect_stdout(io.StringIO()):  # it prints the endpoint's signature
            model.export(str(path), **kwargs)
    elif fmt == "keras":
        path = folder / "model.keras"
        model.save(str(path))
    elif fmt == "tflite":
        path = folder / "model.tflite"
        # from_keras_model; from_concrete_functions on the same model gave NaN outputs here (TF 2.21)
        with contextlib.redirect_stdout(io.StringIO()):
            path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    elif fmt == "onnx-tf":
        import tf2onnx
        path = folder / "model-tf.onnx"
        fn, spec = _tf_function(model)
        tf2onnx.convert.from_function(fn, input_signature=[spec], opset=17, output_path=str(path))
    else:
        raise ValueError(f"unknown TensorFlow export format {fmt!r}; choose from {TF_FORMATS}")
    inp = model.inputs[0]
    artifact = Artifact(fmt, path, _layout(len(inp.shape), "tf"))
    write_input_sidecar(artifact, tuple(inp.shape), dtype=keras_dtype_name(inp.dtype))
    return artifact


@contextlib.contextmanager
def _rnn_export_warning():
    """torch.export of nn.LSTM/GRU (torch 2.14) warns from inside its own while_loop lowering: about torch's
    code, not the model's (the deploy check compares the exported model's outputs)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"The \.grad attribute of a Tensor that is not a leaf Tensor")
        # nn.RNN modules re-assign their private `_flat_weights` list on every call, which export reports
        warnings.filterwarnings("ignore", message=r"The tensor attributes self\.\S*_flat_weights")
        # and its own lowering calls a helper it has deprecated
        warnings.filterwarnings("ignore", message=r"_check_is_size will be removed", category=FutureWarning)
        yield


def export_torch(model, fmt: str, folder: Path, example: np.ndarray) -> Artifact:
    """`example`: a batch of at least 2 samples in the model's own input layout (its shape and dtype are what
    the artifact declares, the batch axis dynamic)."""
    import torch
    folder.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    example = torch.from_numpy(np.ascontiguousarray(example[:2]))
    batch = torch.export.Dim("batch", min=1, max=4096)
    if fmt == "torchscript":
        path = folder / "model.torchscript.pt"
        with torch.no_grad(), warnings.catch_warnings():
            # torch deprecates tracing in favour of torch.export (FutureWarning in 2.14, DeprecationWarning in
            # 2.13); TorchScript is still what many deployers load, so it stays tested until it is removed
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
            # nn.LSTM/GRU check their input's size with Python comparisons: the tracer warns that these are
            # fixed at trace time; the deploy check runs the trace at other batch sizes and compares.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.jit.save(torch.jit.trace(model, example), str(path))
    elif fmt == "exported-program":
        path = folder / "model.pt2"
        with _rnn_export_warning():
            torch.export.save(torch.export.export(model, (example,), dynamic_shapes=({0: batch},)), str(path))
    elif fmt == "onnx-torch":
        path = folder / "model-torch.onnx"
        with contextlib.redirect_stdout(io.StringIO()), _rnn_export_warning():  # the exporter narrates on stdout
            torch.onnx.export(model, (example,), str(path), dynamo=True, input_names=["input"],
                              output_names=["output"], dynamic_shapes=({0: batch},), external_data=False)
    else:
        raise ValueError(f"unknown PyTorch export format {fmt!r}; choose from {TORCH_FORMATS}")
    artifact = Artifact(fmt, path, _layout(example.ndim, "torch"))
    write_input_sidecar(artifact, tuple(example.shape), dtype=str(example.numpy().dtype))
    return artifact


def to_layout(x_nhwc: np.ndarray, layout: str) -> np.ndarray:
    return np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2) if layout == "NCHW" else x_nhwc)


def export(fw: str, model, fmt: str, folder: Path, example: np.ndarray) -> Artifact:
    """export_tf or export_torch, by the side of a pair `fw` runs (`example` in that side's input layout)."""
    from tfpt.frameworks import KERAS_SIDE, get
    if get(fw).side == KERAS_SIDE:
        return export_tf(model, fmt, folder)
    return export_torch(model, fmt, folder, example)


def build_for_export(fw: str, seed: int) -> tuple[object, np.ndarray]:
    """(model, example) for `export(fw, ...)`: the study's spec CNN built by `fw` from `seed` (untrained), and a
    batch of two zero images in the layout its artifacts declare."""
    from tfpt.adapters import cnn
    from tfpt.spec import CNN
    return cnn(fw).build(CNN, seed), to_layout(np.zeros((2, *CNN.input_shape), np.float32), image_layout(fw))


def framework_of(fmt: str) -> str:
    if fmt in TF_FORMATS:
        return "tf"
    if fmt in TORCH_FORMATS:
        return "torch"
    raise ValueError(f"unknown export format {fmt!r}; choose from {FORMATS}")
