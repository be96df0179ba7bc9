"""PyTorch's exporter: a module written as TorchScript, an ExportedProgram or ONNX (the dynamo exporter), with the
sidecar naming its input (tfpt.exports)."""
from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np

from tfpt.exports import Artifact, artifact_path, layout, write_input_sidecar
from tfpt.frameworks.torch import formats as own_formats

FORMATS = tuple(f.name for f in own_formats.FORMATS)  # its own table's


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


def export(model, fmt: str, folder: Path, example: np.ndarray) -> Artifact:
    """`example`: a batch of at least 2 samples in the model's own input layout (its shape and dtype are what
    the artifact declares, the batch axis dynamic)."""
    import torch
    folder.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    example = torch.from_numpy(np.ascontiguousarray(example[:2]))
    batch = torch.export.Dim("batch", min=1, max=4096)
    if fmt not in FORMATS:
        raise ValueError(f"unknown PyTorch export format {fmt!r}; choose from {FORMATS}")
    path = artifact_path(fmt, folder)
    if fmt == "torchscript":
        with torch.no_grad(), warnings.catch_warnings():
            # torch deprecates tracing in favour of torch.export (FutureWarning in 2.14, DeprecationWarning in
            # 2.13); TorchScript is still what many deployers load, so it stays tested until it is removed
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
            # nn.LSTM/GRU check their input's size with Python comparisons: the tracer warns that these are
            # fixed at trace time; the deploy check runs the trace at other batch sizes and compares.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.jit.save(torch.jit.trace(model, example), str(path))
    elif fmt == "exported-program":
        with _rnn_export_warning():
            torch.export.save(torch.export.export(model, (example,), dynamic_shapes=({0: batch},)), str(path))
    else:  # onnx-torch
        with contextlib.redirect_stdout(io.StringIO()), _rnn_export_warning():  # the exporter narrates on stdout
            torch.onnx.export(model, (example,), str(path), dynamo=True, input_names=["input"],
                              output_names=["output"], dynamic_shapes=({0: batch},), external_data=False)
    artifact = Artifact(fmt, path, layout(example.ndim, "torch"))
    write_input_sidecar(artifact, tuple(example.shape), dtype=str(example.numpy().dtype))
    return artifact
