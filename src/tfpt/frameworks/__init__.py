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

import contextlib
import importlib.machinery
import importlib.util
import os
import sys
import tempfile

from tfpt.frameworks.base import KERAS_SIDE, TORCH_SIDE, Framework  # noqa: F401  (re-exported)
from tfpt.frameworks.registry import REGISTRY, get, keras_backends, native, on_side, other  # noqa: F401

FRAMEWORKS = tuple(fw.id for fw in native())  # the ones this process imports itself: ("tf", "torch")
ALL = tuple(REGISTRY)  # every registered framework, the Keras backends' workers included
NAMES = {fw.id: fw.name for fw in REGISTRY.values()}  # what tables and messages call them
_MODULE = {fw.id: fw.modules[0] for fw in native()}
# The export formats, by the framework whose model writes them: the one list the deployer, the pair
# declarations, the exporters and the bad-input table read.
TF_FORMATS = get("tf").formats
TORCH_FORMATS = get("torch").formats
EXPORT_FORMATS = tuple(f for fw in native() for f in fw.formats)

# TensorFlow's C++ INFO lines and oneDNN notices drown the test output; warnings and errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


ALIASES = {name: fw.id for fw in native() for name in (fw.id, *fw.aliases)}
ALL_ALIASES = {name: fw.id for fw in REGISTRY.values() for name in (fw.id, *fw.aliases)}


class FrameworkNameError(ValueError):
    """A framework name that is none of tf/tensorflow/torch/pytorch (any case)."""


def parse_names(text: str, what: str, accept: dict[str, str] | None = None) -> list[str]:
    """'TF, torch' / 'tensorflow pytorch' -> ['tf', 'torch'] (order kept, any case, comma or space separated).
    `accept`: {name: id} of the names allowed (default: the in-process frameworks; ALL_ALIASES adds the Keras
    backends). Unknown names raise FrameworkNameError naming `what` (the option or variable) and what it accepts."""
    accept = ALIASES if accept is None else accept
    words = [w for w in text.replace(",", " ").split() if w]
    unknown = [w for w in words if w.lower() not in accept]
    if unknown:
        ids = sorted(set(accept.values()), key=list(REGISTRY).index)
        names = " and ".join(", ".join("/".join([i, *get(i).aliases]) for i in ids).rsplit(", ", 1))
        raise FrameworkNameError(
            f"error: {what}={text!r}: framework names {names} (any case, comma or space "
            f"separated), got {', '.join(map(repr, unknown))}; "
            f"fix: e.g. {what}={ids[0]} or {what}='{','.join(ids[:2])}'")
    return [accept[w.lower()] for w in words]


def _own_modules(fw: Framework) -> set[str]:
    """The modules hiding `fw` hides: an in-process framework's main module; a Keras backend's modules that no
    in-process framework needs (jax for Keras on JAX; none for Keras on torch, whose keras and torch belong to
    TensorFlow's and PyTorch's sides: hiding it only makes it count as absent)."""
    if fw.in_process:
        return {fw.modules[0]}
    return set(fw.modules) - {m for n in native() for m in n.modules}


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
        raise ModuleNotFoundError(f"{spec.name} is hidden by TFPT_HIDE_FRAMEWORKS="
                                  f"{os.environ.get('TFPT_HIDE_FRAMEWORKS', '')!r}", name=spec.name)

    def exec_module(self, module):  # never reached: create_module raises
        raise ModuleNotFoundError(module.__name__)


try:
    _HIDDEN = hidden()
except FrameworkNameError as _exc:
    # a typo here would silently hide nothing and every "one framework" result would be wrong: stop, one line
    print(_exc, file=sys.stderr)
    raise SystemExit(2) from None
# A worker process holding one framework also hides the others' own modules (worker_env): internal, set by its parent.
_WORKER_HIDES = {m for m in os.environ.get("TFPT_WORKER_HIDES", "").split(",") if m}
if _HIDDEN or _WORKER_HIDES:
    sys.meta_path.insert(0, _HideFinder({m for fw in _HIDDEN for m in (_MODULE[fw], *get(fw).hides)} | _WORKER_HIDES))


def _hidden_with(fw: str) -> set[str]:
    """The hidden in-process frameworks whose modules `fw` needs (Keras on torch needs torch)."""
    needs = set(get(fw).modules)
    return {h for h in hidden() if h == fw or _MODULE[h] in needs}


def installed(fw: str) -> bool:
    if _hidden_with(fw):
        return False
    return all(importlib.util.find_spec(m) is not None for m in get(fw).modules)


def missing_reason(fw: str) -> str:
    if fw not in _MODULE:
        absent = sorted(_MODULE[h] for h in _hidden_with(fw)) or \
            [m for m in get(fw).modules if importlib.util.find_spec(m) is None] or list(get(fw).modules)
        why = (f"hidden by TFPT_HIDE_FRAMEWORKS={os.environ.get('TFPT_HIDE_FRAMEWORKS')!r}" if _hidden_with(fw)
               else "not installed")
        fix = "unset it" if _hidden_with(fw) else "install it (requirements.txt; JAX: requirements-jax.txt)"
        return (f"{get(fw).name} needs {', '.join(absent)}, {why} in this environment ({sys.executable}); "
                f"{fix} to run the {fw} tests")
    if fw in hidden():
        return (f"{_MODULE[fw]} is hidden by TFPT_HIDE_FRAMEWORKS={os.environ.get('TFPT_HIDE_FRAMEWORKS')!r}: the "
                f"suite behaves as if {_MODULE[fw]} is not installed in this environment; unset it to run the {fw} "
                f"tests")
    return (f"{_MODULE[fw]} is not installed in this environment ({sys.executable}); "
            f"install it (see requirements.txt) to run the {fw} tests")


def missing_fix(fw: str) -> str:
    """The fix for a command asked to run `fw` where it is missing: unset TFPT_HIDE_FRAMEWORKS where that hides
    it (installing changes nothing then), else install it."""
    if _hidden_with(fw):
        return "unset TFPT_HIDE_FRAMEWORKS"
    return "install it (see requirements.txt" + ("; JAX: requirements-jax.txt)" if fw not in _MODULE else ")")


def import_fix(module: str | None) -> str:
    """The fix for an import of `module` that failed: unset TFPT_HIDE_FRAMEWORKS where it is what hides the
    module (installing it again changes nothing), else install it."""
    top = (module or "").split(".")[0]
    if top and any(isinstance(f, _HideFinder) and top in f.modules for f in sys.meta_path):
        where = "TFPT_HIDE_FRAMEWORKS" if any(top in (_MODULE[h], *get(h).hides) for h in _HIDDEN) else \
            "TFPT_WORKER_HIDES"
        return f"unset {where} (it hides {top})"
    return f"install {top!r}" if top else "install the missing module"


def loaded(fw: str) -> list:
    """[its main module] if framework `fw` is imported in this process already, else [] (nothing is imported)."""
    name = get(fw).modules[0]
    return [sys.modules[name]] if name in sys.modules else []


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


# TensorFlow 2.21 writes these to the process's stderr from C++ while it loads, before absl's logging is set up, so
# TF_CPP_MIN_LOG_LEVEL (2 or 3: measured) does not hold them back; a command whose mistake is found after TensorFlow
# loaded printed them above its one error line. Everything else TensorFlow writes while loading is passed on.
_LOAD_NOISE = ("WARNING: All log messages before absl::InitializeLog()", "port.cc:153] oneDNN custom operations",
               "cpu_feature_guard.cc", "To enable the following instructions:")


@contextlib.contextmanager
def _load_noise_held_back():
    """While TensorFlow loads: file descriptor 2 into a temporary file, then every line but `_LOAD_NOISE` back to
    stderr (also when the import raises)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (an embedding host): nothing to hold back
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().decode(errors="replace").splitlines(keepends=True)
                    if not any(noise in line for noise in _LOAD_NOISE)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_tf():
    if "torch" in sys.modules:
        torch_first()  # torch is already here: finish its safe import before TensorFlow loads
    if "tensorflow" not in sys.modules:
        with _load_noise_held_back():
            import tensorflow  # noqa: F401
    import tensorflow as tf
    return tf


def keras_backend_name() -> str:
    """The Keras backend this process runs: "tensorflow" unless KERAS_BACKEND says otherwise (a worker of Keras
    on torch or JAX has it set by its parent; tfpt.frameworks.worker_env)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow") or "tensorflow"


def keras_on_tf() -> bool:
    return keras_backend_name() == "tensorflow"


def keras_framework() -> str:
    """The registered framework this process's Keras is: "tf", or "keras-torch" / "keras-jax" in their workers."""
    backend = keras_backend_name()
    for fw in REGISTRY.values():
        if fw.side == KERAS_SIDE and (fw.keras_backend or "tensorflow") == backend:
            return fw.id
    raise ValueError(f"KERAS_BACKEND={backend!r} is not a registered framework's backend; registered: "
                     + ", ".join(fw.keras_backend or "tensorflow" for fw in REGISTRY.values() if fw.side == KERAS_SIDE))


def keras_major() -> int:
    """3 for Keras 3 (TF >= 2.16, or any other backend), 2 for the Keras 2 that TF <= 2.15 ships as tf.keras."""
    if not keras_on_tf():
        return 3
    import_tf()
    try:
        import keras as k
        return int(k.__version__.split(".")[0])
    except (ImportError, AttributeError, ValueError):
        return 2


def keras_dtype_name(dtype) -> str:
    """A Keras input's dtype as a name ("float32"): Keras 3 gives a str, Keras 2 (TF <= 2.15) a tf.DType."""
    return str(getattr(dtype, "name", dtype))


def import_keras():
    """The Keras that goes with the installed TensorFlow: Keras 3 (TF >= 2.16) or tf.keras (Keras 2, TF <= 2.15).
    On another backend (a Keras-on-torch or -JAX worker), Keras 3 alone: TensorFlow is not imported."""
    if not keras_on_tf():
        import keras as k
        return k
    tf = import_tf()
    if keras_major() >= 3:
        import keras as k
        return k
    return tf.keras


def worker_env(fw: str) -> dict[str, str]:
    """The environment a worker process holding `fw` alone is started with: its Keras backend fixed
    (KERAS_BACKEND: "tensorflow" for TensorFlow, whatever the caller's environment says), and every other
    framework's own modules hidden (TFPT_WORKER_HIDES), so nothing of theirs loads into the RSS it measures:
    with JAX installed, `import tensorflow` imports jax too (tensorflow.lite tries it: +0.9 s, and TensorFlow's
    peak RSS in tfpt-compare 1,348 MB against 1,229 MB without), and Keras on torch imports it as well."""
    return {"KERAS_BACKEND": get(fw).keras_backend or "tensorflow",
            "TFPT_WORKER_HIDES": ",".join(sorted(_foreign_modules(fw, with_hides=True)))}


def _foreign_modules(fw: str, with_hides: bool = False) -> set[str]:
    """The other frameworks' own modules that `fw` does not need (with the modules hidden beside them)."""
    return {m for o in REGISTRY.values() if o.id != fw
            for m in (*_own_modules(o), *(o.hides if with_hides else ()))} - set(get(fw).modules)


def foreign_loaded(fw: str) -> list[str]:
    """The other frameworks' own top-level modules imported in this process (empty in a clean worker)."""
    return sorted(m for m in _foreign_modules(fw) if m in sys.modules)


def versions() -> dict[str, str]:
    """Installed framework versions, read without importing the frameworks (cheap, and safe in any process)."""
    from importlib import metadata

    out = {}
    for dist in dict.fromkeys(("tensorflow-cpu", *(d for fw in REGISTRY.values() for d in fw.distributions), "numpy")):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    if "tensorflow-cpu" in out:
        out.setdefault("tensorflow", out.pop("tensorflow-cpu"))
    return out
