"""What each module of a framework folder provides, as typing.Protocols (a module satisfies one by its functions),
and a static check of a folder against them: read from the modules' source (ast), never imported, so it runs where
the framework is not installed.

    pair.py        PairAdapter   a model pair's side: build seeded, trace, weights in its own layout, forward
                                 taps, loss and gradients, SGD / Adam steps, the timed step and inference calls
    train.py       Trainer       the study's training: prepare, one timed epoch, evaluation, the serving call
    cnn.py         CNNBuilders   the spec CNN and the study's CNN as written: build, weights, per-layer outputs
    study_code.py  StudyCode     the study's own code, as written
    bench.py, export.py, formats.py, steps.py, devices.py, loops.py, order.py, cuda.py, weight_files.py,
    defaults.py:
                   BenchBodies, Exporter, Formats, Steps, Devices, BareLoop, NativeOrder, CudaBodies, WeightFiles,
                   Defaults

A folder need not have every module (Flax: train.py and cnn.py); each module it has, and each its record names,
must follow its protocol. `conformance(fw)` lists what does not, one line each naming the module and the function.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path
from typing import Any, Protocol

from tfpt.frameworks.base import Framework


class PairAdapter(Protocol):
    """pair.py: one side of a ModelPair (tfpt.checks.pairs runs the generic checks through it)."""

    def build(self, pair: Any, seed: int = 0) -> Any: ...

    def pick(self, out: Any, key: Any = None) -> Any: ...

    def trace(self, model: Any, x: Any) -> tuple[list, list]: ...

    def records(self, model: Any, names: Any) -> Any: ...

    def set_weights(self, model: Any, weights: dict) -> None: ...

    def predict(self, model: Any, x: Any, batch: int = 1000, outputs: Any = None) -> Any: ...

    def loss_and_grads(self, model: Any, x: Any, y: Any, head: str, names: Any,
                       output: Any = None) -> tuple[float, dict]: ...

    def sgd_steps(self, model: Any, batches: Any, head: str, lr: float, output: Any = None) -> None: ...

    def step_fn(self, model: Any, x: Any, y: Any, head: str) -> Any: ...

    def infer_fn(self, model: Any, x: Any) -> Any: ...

    def train_steps(self, model: Any, batches: Any, head: str, adam: dict, names: Any, output: Any = None) -> dict: ...


class Trainer(Protocol):
    """train.py: the study's training, one clock for every framework (tfpt.training.worker runs it)."""

    MODES: dict
    WARMUP_STEPS: int
    TrainState: type

    def prepare(self, ds: Any, epochs: int = 1, seed: int = 0, order: str | None = None,
                batch_size: int | None = None, spec: Any = None, target: float | None = None,
                eval_every: int | None = None, progress: bool = True, *, evaluate_epochs: bool = True,
                device: str = "cpu", mode: str = "as-written", options: dict | None = None, settings: Any = None,
                eval_batch: int = 1000, warmup_steps: int = 10) -> Any: ...

    def epoch(self, state: Any) -> Any: ...

    def evaluate(self, model: Any, x_test_uint8: Any, y_test: Any, settings: Any = None,
                 batch: int = 1000) -> float: ...

    def serving_call(self, state: Any, x: Any) -> Any: ...

    def train(self, ds: Any, epochs: int = 1, **options: Any) -> tuple[Any, Any]: ...


class CNNBuilders(Protocol):
    """cnn.py: the spec CNN and the study's CNN as written, their weights (Keras' layout) and per-layer outputs."""

    def build(self, spec: Any = None, seed: int | None = None) -> Any: ...

    def spec_of(self, model: Any) -> Any: ...

    def layer_outputs(self, model: Any, x_nhwc: Any) -> Any: ...

    def get_weights(self, model: Any) -> Any: ...

    def set_weights(self, model: Any, weights: Any) -> Any: ...

    def predict(self, model: Any, x_nhwc: Any, batch: int = 1000) -> Any: ...


class StudyCode(Protocol):
    """study_code.py: the study's own code as written, run by the worker in --mode study-code."""

    MODE: str

    def run(self, dataset: str, epochs: int, seed: int, phases: Any, options: dict | None = None) -> Any: ...


class BenchBodies(Protocol):
    """bench.py: the benchmark bodies (tfpt.bench.workloads times them): one training step and one inference call
    of the spec CNN, each built, placed and warmed up outside the clock."""

    def step(self, ds: Any, device: str, seed: int, precision: str = "float32") -> Any: ...

    def infer(self, ds: Any, device: str, seed: int, batch: int, mode: str = "as-written",
              options: dict | None = None) -> Any: ...


class Exporter(Protocol):
    """export.py: a trained model written in one of the record's export formats (the deployer reloads it)."""

    def export(self, model: Any, fmt: str, folder: Any, example: Any) -> Any: ...


class Formats(Protocol):
    """formats.py: what each of its export formats is, as the deployer reloads it (standard library only)."""

    FORMATS: tuple


class Steps(Protocol):
    """steps.py: the spec CNN's loss and gradients, optimizer steps, and its float64 twin (the own-error rule)."""

    def loss_and_grads(self, model: Any, x: Any, y: Any, settings: Any = None) -> tuple[float, Any]: ...

    def forward_backward(self, model: Any, x: Any, loss_and_grad: Any) -> tuple[float, Any]: ...

    def steps(self, model: Any, optimizer: Any, batches: Any, *, settings: Any = None) -> Any: ...

    def float64(self) -> Any: ...

    def float64_twin(self, pair: Any, model: Any, seed: int = 0) -> Any: ...


class Devices(Protocol):
    """devices.py: the device a run asks for, why a GPU is missing, the device's peak memory."""

    def gpu_missing_reason(self) -> str | None: ...

    def device(self, dev: str) -> Any: ...

    def peak_memory_mb(self) -> float: ...


class BareLoop(Protocol):
    """loops.py: the bare hand-written training loop the suite's epoch is measured against."""

    def bare(self, ds: Any, seed: int) -> Any: ...


class NativeOrder(Protocol):
    """order.py: the framework's own shuffling, probed for its first batch."""

    def first_batch(self, seed: int, n: int = 1024, batch_size: int = 32) -> Any: ...


class CudaBodies(Protocol):
    """cuda.py: the CUDA comparison's bodies."""

    def body(self, quantity: str, ds: Any, device: str, seed: int, batch: int) -> Any: ...


class Defaults(Protocol):
    """defaults.py: its defaults for the defaults audit (tfpt.checks.defaults): what it pins, read live."""

    PINNED: dict

    def header(self, versions: dict) -> str: ...

    def defaults(self) -> dict: ...


class WeightFiles(Protocol):
    """weight_files.py: a model's weights read from and written to the framework's own weights file."""

    def read(self, model: Any, path: Any) -> Any: ...

    def write(self, model: Any, path: Any) -> None: ...


# The module name in a folder -> its protocol, and the record's field that names that module, where one does.
PROTOCOLS: dict[str, type] = {"pair": PairAdapter, "train": Trainer, "cnn": CNNBuilders, "study_code": StudyCode,
                              "bench": BenchBodies, "export": Exporter, "formats": Formats, "steps": Steps,
                              "devices": Devices, "loops": BareLoop, "order": NativeOrder, "cuda": CudaBodies,
                              "weight_files": WeightFiles, "defaults": Defaults}
ROLES = {"adapter": "pair", "trainer": "train", "cnn": "cnn", "study_code": "study_code"}


def _members(protocol: type) -> tuple[dict[str, inspect.Signature], set[str]]:
    """({function: signature without self}, {attribute}) a protocol asks for."""
    functions = {name: inspect.signature(value) for name, value in vars(protocol).items()
                 if inspect.isfunction(value) and not name.startswith("_")}
    attributes = set(vars(protocol).get("__annotations__", {}))
    return functions, attributes


def _call(name: str, signature: inspect.Signature) -> str:
    """'build(pair, seed=0)': how the protocol calls it."""
    params = [p.replace(annotation=p.empty) for p in signature.parameters.values() if p.name != "self"]
    return f"{name}{signature.replace(parameters=params, return_annotation=signature.empty)}"


def _problem(wanted: inspect.Signature, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Why a module's function cannot be called as the protocol calls it, or None. Each protocol parameter must be
    there, in order and of the same name (so calls by position and by keyword both hold); one with a default must
    have one; the module's extra parameters must have defaults (or be *args / **kwargs)."""
    a = node.args
    positional = [p.arg for p in (*a.posonlyargs, *a.args)]
    has_default = set(positional[len(positional) - len(a.defaults):] if a.defaults else [])
    has_default |= {p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None}
    params = [p for p in wanted.parameters.values() if p.name != "self"]
    named = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if positional[:len(named)] != [p.name for p in named]:
        return f"takes ({', '.join(positional)}), the protocol calls it with ({', '.join(p.name for p in named)})"
    keywords = [p for p in params if p.kind is p.KEYWORD_ONLY]
    accepted = {*positional, *(p.arg for p in a.kwonlyargs)}
    absent = [p.name for p in keywords if p.name not in accepted]
    if absent and a.kwarg is None:
        return f"takes no {absent[0]}; the protocol passes it by keyword"
    for p in [*named, *keywords]:
        if p.default is not p.empty and p.name in accepted and p.name not in has_default:
            return f"parameter {p.name} has no default; the protocol may leave it out"
    if any(p.kind is p.VAR_KEYWORD for p in params) and a.kwarg is None:
        return "takes no **options; the protocol passes them on"
    extra = [n for n in [*positional[len(named):], *(p.arg for p in a.kwonlyargs)]
             if n not in has_default and n not in {p.name for p in keywords}]
    if extra:
        return f"parameter {extra[0]} has no default; the protocol does not pass it"
    return None


def check_source(source: str, protocol: type, module: str) -> list[str]:
    """One line per member of `protocol` that `source` (the module `module`) lacks or defines incompatibly."""
    tree = ast.parse(source)
    defined: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, ast.Assign):
            defined.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):  # `from x import build` defines build here too
            defined.update({(a.asname or a.name).split(".")[0]: node for a in node.names})
    functions, attributes = _members(protocol)
    bad = [f"{module}: no {name} ({protocol.__name__} asks for it)" for name in sorted(attributes)
           if name not in defined]
    for name, signature in functions.items():
        node = defined.get(name)
        if node is None:
            bad.append(f"{module}: no function {name} ({protocol.__name__} asks for {_call(name, signature)})")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            why = _problem(signature, node)
            if why:
                bad.append(f"{module}: {name} {why} ({protocol.__name__}.{_call(name, signature)})")
    return bad


def module_source(module: str) -> str | None:
    """The source of `module` read from its file (its parent packages are imported, not it), None if absent."""
    try:
        spec = importlib.util.find_spec(module)
    except ImportError:
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin).read_text()


def modules_of(fw: Framework) -> dict[str, str]:
    """{module: protocol's module name} that `fw` must follow: each module of its folder a protocol covers, and
    each module its record names for a role (adapter, trainer, cnn, study code) inside its folder."""
    out = {}
    if fw.folder:
        out.update({f"{fw.folder}.{name}": name for name in PROTOCOLS})
    out.update({getattr(fw, role): name for role, name in ROLES.items() if getattr(fw, role)
                and getattr(fw, role) == f"{fw.folder}.{name}"})
    return out


def conformance(fw: Framework) -> list[str]:
    """One line per function a module of `fw`'s folder lacks or defines incompatibly with its protocol (a module
    the record names but the folder lacks, too); [] where it conforms."""
    named = {getattr(fw, role) for role in ROLES}
    bad = []
    for module, name in modules_of(fw).items():
        source = module_source(module)
        if source is None:
            if module in named:
                bad.append(f"{module}: missing ({fw.name}'s record names it)")
            continue
        bad += check_source(source, PROTOCOLS[name], module)
    return bad
