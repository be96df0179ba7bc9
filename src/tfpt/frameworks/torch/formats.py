"""The formats PyTorch's models are exported in (tfpt.frameworks.torch.export), as the deployer reloads them.
Standard library only."""
from __future__ import annotations

from tfpt.frameworks.formats import ExportFormat

FORMATS = (
    ExportFormat("torchscript", "TorchScript", "torchscript", "torch", "torch", "model.torchscript.pt",
                 container="zip", declares_input=False),
    ExportFormat("exported-program", "ExportedProgram", "exported-program", "torch", "torch", "model.pt2",
                 container="zip"),
    ExportFormat("onnx-torch", "ONNX", "onnx", "onnxruntime", "onnxruntime", "model-torch.onnx",
                 needs=("onnxscript", "onnxruntime")),
)
