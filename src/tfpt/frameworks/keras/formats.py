"""The formats Keras' models are exported in (tfpt.frameworks.keras.export), as the deployer reloads them.
Standard library only."""
from __future__ import annotations

from tfpt.frameworks.formats import ExportFormat

FORMATS = (
    ExportFormat("savedmodel", "SavedModel", "savedmodel", "tensorflow", "tensorflow-cpu", "savedmodel",
                 container="folder"),
    ExportFormat("keras", "Keras", "keras", "keras", "keras", "model.keras", container="zip"),
    ExportFormat("tflite", "TFLite", "litert", "ai_edge_litert", "ai-edge-litert", "model.tflite",
                 needs=("ai_edge_litert",)),
    ExportFormat("onnx-tf", "ONNX", "onnx", "onnxruntime", "onnxruntime", "model-tf.onnx",
                 needs=("tf2onnx", "onnxruntime")),
)
