"""The Flax check worker process (started by tfpt.frameworks.flax.Worker): JAX loads here, never in the process
that holds TensorFlow and PyTorch.

Reads one JSON request a line on stdin: {"op": "forward" | "grads" | "step" | "export", "pair": "spec" | "study",
"in": an .npz holding the weights in Keras' layout ("conv1.kernel", "conv1.bias", ...), "x" (NHWC float32) and "y"
(labels, for grads and step), "out": where to write, "adam": the Adam settings of a step}; builds Flax's model of
the pair, gives it the weights and writes: forward, every layer's output by name; grads, "loss" and the gradient
of every weight; step, the weights after one call of the trainer's jitted train step (Optax Adam); export, the
model written as the request's "format" in its "folder" (tfpt.frameworks.flax.export; "x" is the example batch),
as "path", the artifact's. Answers one JSON line: {"ok": true} or {"error": one line}. Its first line gives the
installed versions. A request naming a "builder" ('MODULE:ATTR') is a pair's own Flax side
(tfpt.frameworks.flax.sides answers it). With TFPT_FLAX_X64 set, JAX's float64 is enabled first (the float64
twins of the own-error rule).
"""
from __future__ import annotations

import json
import os
import sys
from importlib import metadata


def _versions() -> dict:
    out = {}
    for dist in ("flax", "jax", "jaxlib", "optax", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def answer(req: dict) -> dict:
    """The arrays one request asks for, by name."""
    from collections import OrderedDict

    import numpy as np
    from flax import nnx

    from tfpt.frameworks.base import KERAS_SIDE
    from tfpt.frameworks.flax import cnn as cnn
    from tfpt.settings import STUDY, AdamSettings
    from tfpt.spec import MODELS, param_layers

    if req.get("builder"):
        from tfpt.frameworks.flax import sides
        return sides.answer(req)
    spec = MODELS[req.get("pair", "spec")][KERAS_SIDE]
    with np.load(req["in"]) as f:
        arrays = {k: f[k] for k in f.files}
    model = cnn.build(spec)
    cnn.set_weights(model, {layer.name: (arrays[f"{layer.name}.kernel"], arrays[f"{layer.name}.bias"])
                            for layer in param_layers(spec)})
    x = arrays["x"]
    if req["op"] == "forward":
        return cnn.layer_outputs(model, x)
    if req["op"] == "export":
        from pathlib import Path

        from tfpt.frameworks.flax.export import export
        return OrderedDict(path=np.array(str(export(model, req["format"], Path(req["folder"]), x).path)))
    settings = STUDY if not req.get("adam") else STUDY.changed(cnn.FRAMEWORK, **AdamSettings(**req["adam"]).__dict__)
    loss_fn = cnn.make_loss(settings, spec.head)

    def loss_of(m):
        return loss_fn(m(x), arrays["y"])
    if req["op"] == "grads":
        loss, grads = nnx.value_and_grad(loss_of)(model)
        out = OrderedDict(loss=np.asarray(loss))
        for layer in param_layers(spec):
            out[f"{layer.name}.kernel"] = np.asarray(grads[layer.name]["kernel"][...])
            out[f"{layer.name}.bias"] = np.asarray(grads[layer.name]["bias"][...])
        return out
    if req["op"] == "step":
        from tfpt.frameworks.flax.train import make_step
        optimizer = nnx.Optimizer(model, cnn.make_optimizer(settings), wrt=nnx.Param)
        make_step(loss_fn)(model, optimizer, x, arrays["y"])  # the trainer's own jitted step
        return OrderedDict((f"{name}.{part}", w) for name, ws in cnn.get_weights(model).items()
                           for part, w in zip(("kernel", "bias"), ws, strict=True))
    raise ValueError(f"unknown op {req['op']!r}; expected forward, grads, step or export")


def serve(lines, say) -> None:
    import numpy as np

    for line in lines:
        try:
            req = json.loads(line)
            outs = answer(req)
            np.savez(req["out"], __order__=np.array(json.dumps(list(outs))),
                     **{f"o{i}": v for i, v in enumerate(outs.values())})
            say({"ok": True})
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as its one line
            say({"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500]})


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever JAX prints must not break the JSON lines

    def say(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    try:
        import jax
        if os.environ.get("TFPT_FLAX_X64"):
            jax.config.update("jax_enable_x64", True)
        import flax.nnx  # noqa: F401
        import optax  # noqa: F401
    except ImportError as exc:
        say({"error": f"cannot import Flax NNX: {exc}"})
        return 3
    say({"framework": "flax", "versions": _versions()})
    serve(sys.stdin, say)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
