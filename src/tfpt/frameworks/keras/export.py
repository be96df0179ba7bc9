"""Keras' exporter: a Keras model written as a SavedModel, a .keras file, TFLite or ONNX (tf2onnx), with the
sidecar naming its input (tfpt.exports)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from tfpt.exports import Artifact, artifact_path, layout, write_input_sidecar
from tfpt.frameworks import keras_dtype_name, keras_major
from tfpt.frameworks.keras import formats as own_formats

FORMATS = tuple(f.name for f in own_formats.FORMATS)  # its own table's: ("savedmodel", "keras", ...)


def _tf_function(model):
    from tfpt.frameworks import import_tf
    tf = import_tf()
    inp = model.inputs[0]
    spec = tf.TensorSpec([None, *inp.shape[1:]], tf.as_dtype(inp.dtype), name="input")
    return tf.function(lambda x: model(x, training=False), input_signature=[spec]), spec


def export(model, fmt: str, folder: Path, example: np.ndarray | None = None) -> Artifact:
    """`example` is not needed: a Keras model declares its input (the exporters of every folder take it)."""
    from tfpt.frameworks import import_tf
    tf = import_tf()
    folder.mkdir(parents=True, exist_ok=True)
    if fmt not in FORMATS:
        raise ValueError(f"unknown TensorFlow export format {fmt!r}; choose from {FORMATS}")
    path = artifact_path(fmt, folder)
    if fmt == "savedmodel":
        # model.export: Keras 3 takes format=, Keras 2 (tf.keras, TF 2.13-2.15) always writes a SavedModel
        kwargs = {"format": "tf_saved_model"} if keras_major() >= 3 else {}
        with contextlib.redirect_stdout(io.StringIO()):  # it prints the endpoint's signature
            model.export(str(path), **kwargs)
    elif fmt == "keras":
        model.save(str(path))
    elif fmt == "tflite":
        # from_keras_model; from_concrete_functions on the same model gave NaN outputs here (TF 2.21)
        with contextlib.redirect_stdout(io.StringIO()):
            path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    else:  # onnx-tf
        import tf2onnx
        fn, spec = _tf_function(model)
        tf2onnx.convert.from_function(fn, input_signature=[spec], opset=17, output_path=str(path))
    inp = model.inputs[0]
    artifact = Artifact(fmt, path, layout(len(inp.shape), "tf"))
    write_input_sidecar(artifact, tuple(inp.shape), dtype=keras_dtype_name(inp.dtype))
    return artifact
