"""The Keras-on-a-backend worker process (KERAS_BACKEND set by its parent, tfpt.frameworks.keras_backend).

Reads one JSON request a line on stdin: {"model": a .keras file, "x": a .npy batch, "out": where to write,
"training": bool}; loads the model (architecture and weights), runs it with a tap on every layer and writes
their outputs (by layer name, in the model's order) as .npz; answers one JSON line: {"ok": true} or
{"error": one line}. Its first line names the backend and the installed versions.
"""
from __future__ import annotations

import json
import os
import sys
from importlib import metadata


def _versions() -> dict:
    out = {}
    for dist in ("keras", "torch", "jax", "jaxlib", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def layer_outputs(keras, model, x, training: bool) -> dict:
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    taps = keras.Model(model.inputs, [layer.output for layer in layers])
    outs = taps(keras.ops.convert_to_tensor(x), training=training)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return {layer.name: keras.ops.convert_to_numpy(o) for layer, o in zip(layers, outs, strict=True)}


def _model(keras, req):
    """The request's model: a registered pair's Keras builder given the sent weights (a pair's own layers need
    not be serializable), or a whole .keras file."""
    if req.get("pair"):
        import importlib

        import numpy as np

        from tfpt.pair import get
        importlib.import_module(req["module"])  # the module that registers the pair
        model = get(req["pair"]).keras()
        with np.load(req["model"]) as f:
            model.set_weights([f[f"w{i}"] for i in range(len(f.files))])
        return model
    return keras.models.load_model(req["model"], compile=False, safe_mode=False)


def serve(keras, lines, say) -> None:
    import numpy as np

    for line in lines:
        try:
            req = json.loads(line)
            # safe_mode off: the file is the suite's own, written a moment ago into its private temp folder by
            # the parent (the layer sweep's GELU cases are Lambda layers, whose code travels marshalled)
            model = _model(keras, req)
            outs = layer_outputs(keras, model, np.load(req["x"]), bool(req.get("training")))
            arrays = {f"o{i}": v for i, v in enumerate(outs.values())}
            np.savez(req["out"], __order__=np.array(json.dumps(list(outs))), **arrays)
            say({"ok": True})
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as its one line
            say({"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500]})


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever Keras or the backend prints must not break the JSON lines

    def say(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    try:
        import keras
    except (ImportError, ValueError) as exc:  # ValueError: Keras has no backend of that name
        say({"error": f"cannot import Keras on {os.environ.get('KERAS_BACKEND')!r}: {exc}"})
        return 3
    say({"backend": keras.backend.backend(), "versions": _versions()})
    serve(keras, sys.stdin, say)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
