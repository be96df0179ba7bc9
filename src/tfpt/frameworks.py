"""Importing TensorFlow and PyTorch safely, and telling which ones are installed.

Why this module exists: with TF 2.21 and torch 2.14.1, `import tensorflow` followed by anything that imports
`torch._dynamo` (creating `torch.optim.Adam`, `torch.export`, `torch.onnx.export(dynamo=True)`, `torch.compile`)
segfaults inside triton's import. Importing `torch` and `torch._dynamo` *before* `tensorflow` avoids it (the same
reason Keras' own test conftest imports torch first). Every import of either framework in this suite goes
through `import_torch()` / `import_tf()`; the root conftest calls `torch_first()` before any test module loads.

A process that is meant to hold one framework only (the comparison's workers, memory measurements) must not
import the other: it would inflate the RSS it measures. So `import_tf()` does not import torch by itself.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

FRAMEWORKS = ("tf", "torch")
NAMES = {"tf": "TensorFlow", "torch": "PyTorch"}  # what tables and messages call them
_MODULE = {"tf": "tensorflow", "torch": "torch"}
# The export formats, by the framework whose model writes them: the one list the deployer, the pair
# declarations, the exporters and the bad-input table read.
TF_FORMATS = ("savedmodel", "keras", "tflite", "onnx-tf")
TORCH_FORMATS = ("torchscript", "exported-program", "onnx-torch")
EXPORT_FORMATS = TF_FORMATS + TORCH_FORMATS

# TensorFlow's C++ INFO lines and oneDNN notices drown the test output; warnings and errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


ALIASES = {"tf": "tf", "tensorflow": "tf", "torch": "torch", "pytorch": "torch"}


class FrameworkNameError(ValueError):
    """A framework name that is none of tf/tensorflow/torch/pytorch (any case)."""


def parse_names(text: str, what: str) -> list[str]:
    """'TF, torch' / 'tensorflow pytorch' -> ['tf', 'torch'] (order kept, any case, comma or space separated).
    Unknown names raise FrameworkNameError naming `what` (the option or variable) and what it accepts."""
    words = [w for w in text.replace(",", " ").split() if w]
    unknown = [w for w in words if w.lower() not in ALIASES]
    if unknown:
        raise FrameworkNameError(
            f"error: {what}={text!r}: framework names tf/tensorflow and torch/pytorch (any case, comma or space "
            f"separated), got {', '.join(map(repr, unknown))}; fix: e.g. {what}=tf or {what}='tf,torch'")
    return [ALIASES[w.lower()] for w in words]


def hidden() -> set[str]:
    """Frameworks hidden by TFPT_HIDE_FRAMEWORKS (e.g. tf, TensorFlow, 'tf torch', 'pytorch,tf'): the suite then
    behaves as if they were not installed (their imports fail), which is how the one-framework guarantee is
    tested without uninstalling anything. Any other name is an error, never silently ignored."""
    return set(parse_names(os.environ.get("TFPT_HIDE_FRAMEWORKS", ""), "TFPT_HIDE_FRAMEWORKS"))


class _HideFinder:
    def __init__(self, modules):
        self.modules = modules

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.modules:
            return importlib.machinery.ModuleSpec(name, self)  # found, but loading it fails (below)
        return None

    def create_module(self, spec):
        raise ModuleNotFoundError(f"{spec.name} is hidden by TFPT_HIDE_FRAMEWORKS", name=spec.name)

    def exec_module(self, module):  # never reached: create_module raises
        raise ModuleNotFoundError(module.__name__)


try:
    _HIDDEN = hidden()
except FrameworkNameError as _exc:
    # a typo here would silently hide nothing and every "one framework" result would be wrong: stop, one line
    print(_exc, file=sys.stderr)
    raise SystemExit(2) from None
if _HIDDEN:
    sys.meta_path.insert(0, _HideFinder({_MODULE[fw] for fw in _HIDDEN}
                                        | ({"keras"} if "tf" in _HIDDEN else set())
                                        | ({"torchvision"} if "torch" in _HIDDEN else set())))


def installed(fw: str) -> bool:
    if fw in hidden():
        return False
    return importlib.util.find_spec(_MODULE[fw]) is not None


def missing_reason(fw: str) -> str:
    if fw in hidden():
        return (f"{_MODULE[fw]} is hidden by TFPT_HIDE_FRAMEWORKS={os.environ.get('TFPT_HIDE_FRAMEWORKS')!r}: the "
                f"suite behaves as if {_MODULE[fw]} is not installed in this environment; unset it to run the {fw} "
                f"tests")
    return (f"{_MODULE[fw]} is not installed in this environment ({sys.executable}); "
            f"install it (see requirements.txt) to run the {fw} tests")


def torch_first() -> None:
    """Import torch and torch._dynamo if torch is installed, so a later TensorFlow import cannot crash them."""
    if installed("torch") and "tensorflow" not in sys.modules:
        import torch
        import torch._dynamo  # noqa: F401


def import_torch():
    if "tensorflow" in sys.modules and "torch._dynamo" not in sys.modules:
        raise RuntimeError(
            "tensorflow was imported before torch._dynamo in this process; importing torch._dynamo now segfaults "
            "(TF 2.21 / torch 2.14). Call tfpt.frameworks.torch_first() before importing tensorflow.")
    import torch
    import torch._dynamo
    return torch


def import_tf():
    if "torch" in sys.modules:
        torch_first()  # torch is already here: finish its safe import before TensorFlow loads
    import tensorflow as tf
    return tf


def keras_major() -> int:
    """3 for Keras 3 (TF >= 2.16), 2 for the Keras 2 that TF <= 2.15 ships as tf.keras."""
    import_tf()
    try:
        import keras as k
        return int(k.__version__.split(".")[0])
    except (ImportError, AttributeError, ValueError):
        return 2


def keras_dtype_name(dtype) -> str:
    """A Keras input's dtype as a name ("float32"): Keras 3 gives a str, Keras 2 (TF <= 2.15) a tf.DType."""
    return str(getattr(dtype, "name", dtype))


def keras():
    """The Keras that goes with the installed TensorFlow: Keras 3 (TF >= 2.16) or tf.keras (Keras 2, TF <= 2.15)."""
    tf = import_tf()
    if keras_major() >= 3:
        import keras as k
        return k
    return tf.keras


def versions() -> dict[str, str]:
    """Installed framework versions, read without importing the frameworks (cheap, and safe in any process)."""
    from importlib import metadata

    out = {}
    for dist in ("tensorflow", "tensorflow-cpu", "keras", "torch", "torchvision", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    if "tensorflow-cpu" in out:
        out.setdefault("tensorflow", out.pop("tensorflow-cpu"))
    return out
