"""What the deployer needs of each export format, read from the framework folders' tables (each folder's
`formats.py`, for the formats its records list): the module a format loads with, the artifact's file, what
exporting and reloading it needs beyond the framework. Standard library only: tfpt.deploy reads it in a process
that imports one runtime."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    name: str                       # what FORMAT says: "savedmodel", "onnx-torch"
    title: str                      # what messages call it: "SavedModel", "TorchScript"
    loader: str                     # how tfpt.deploy reads it: one of tfpt.deploy.LOADERS ("onnx", ...) or
                                    # "module:function", a loader of its own folder ("tfpt.frameworks.flax.load:load")
    runtime: str                    # the module that loader imports ("onnxruntime")
    pip: str                        # what pip installs that module as ("tensorflow-cpu", "ai-edge-litert")
    file: str                       # the artifact's name in its export folder ("model.tflite"; "savedmodel")
    container: str = "file"         # "folder" (a SavedModel), "zip" (a zip archive) or "file"
    needs: tuple[str, ...] = ()     # modules exporting and reloading it need beyond the framework
    declares_input: bool = True     # False: the artifact declares no input; its sidecar is the only source


def table() -> dict[str, ExportFormat]:
    """{format: ExportFormat} of every registered framework's formats (`Framework.formats`), in the registry's
    order; each from the `formats` module of the framework's folder (imports no framework)."""
    from tfpt.frameworks.registry import REGISTRY
    out: dict[str, ExportFormat] = {}
    for fw in REGISTRY.values():
        if fw.formats:
            own = {f.name: f for f in fw.part("formats").FORMATS}
            unknown = [name for name in fw.formats if name not in own]
            if unknown:
                raise ValueError(f"{fw.name} lists export format {unknown[0]!r}, which {fw.folder}.formats does not "
                                 f"describe (it has {', '.join(own) or 'none'}); add its row there")
            out.update((name, own[name]) for name in fw.formats)
    return out
