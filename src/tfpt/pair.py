"""A model kept in several frameworks, declared once: `ModelPair` (a builder per side, Keras the reference, what
input they take) and the registry every generic check runs over.

A user declares a pair in their own module and runs `pytest --pair mymodule:my_pair`; this repository registers
its pairs in models/. Layer correspondence is not typed here: the adapters trace each model's dataflow graph
(Keras layers; PyTorch modules and functional ops) and tfpt.match pairs them by kind along the graph.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import numpy as np

from tfpt.frameworks import (
    EXPORT_FORMATS,  # the formats a pair may list (re-exported: tfpt.pair.EXPORT_FORMATS)
    KERAS_SIDE,
    TORCH_SIDE,
)
from tfpt.tolerances import TOLERANCES, Tol, tol

DEFAULT_BATCH = 256  # samples for the forward and gradient checks where a pair declares no `batch`
TOLERANCE_FIELDS = ("atol", "rtol", "quantile", "why")


class _Undeclared(int):
    """num_classes' default, 10, told apart from a declared 10: only a declared width is checked against the
    models' output (a feature-map or hidden-state pair never declares one; its output is any width)."""


CLASSES_DEFAULT = _Undeclared(10)


class PairError(ValueError):
    """A pair cannot be loaded or checked as declared; the message names the pair, what was expected and the fix.
    `where`: "file:line" of the user's declaration a declaration error was raised for (else None)."""

    where: str | None = None


def _declared_at() -> str | None:
    """file:line of the first frame outside this module and the dataclass-generated __init__: the user's
    `ModelPair(...)` / `InputSpec(...)` line (as warnings.warn's stacklevel names the caller)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename in (__file__, "<string>")):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None


def _at_declaration(check):
    """A __post_init__ whose PairError carries the user's declaration line (`where`)."""
    def post_init(self):
        try:
            check(self)
        except PairError as exc:
            exc.where = exc.where or _declared_at()
            raise
    return post_init


LAYOUTS = ("channels_first", "same")


def _show(value) -> str:
    """A value as a message shows it: its repr, or its type where that is long or spans lines (an array)."""
    text = repr(value)
    return text if len(text) <= 60 and "\n" not in text else f"<{type(value).__name__}>"


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and bool(np.isfinite(value))


@dataclass(frozen=True)
class InputSpec:
    """What one sample looks like in Keras' layout (channels-last), and how to make a batch.

    `torch_layout="channels_first"` means the PyTorch model takes images as (N, C, H, W) (or (N, C, L)): the
    suite moves the last axis to position 1 for it. `sample(n, seed)` may return real data (Keras layout);
    otherwise values are drawn uniformly from [low, high) (integers for an integer dtype, e.g. token ids)."""
    shape: tuple
    dtype: str = "float32"
    low: float = 0.0
    high: float = 1.0
    torch_layout: str = "channels_first"  # or "same"
    sample: Callable[[int, int], np.ndarray] | None = None

    @_at_declaration
    def __post_init__(self):
        shape: Any = self.shape
        if not isinstance(shape, (tuple, list)) or not shape or not all(_whole(d) and d > 0 for d in shape):
            example = f"({shape},)" if _whole(shape) and shape > 0 else "(28, 28, 1)"
            raise PairError(f"InputSpec shape={_show(shape)}: expected a non-empty tuple of positive whole "
                            f"numbers (one "
                            f"sample, batch axis excluded); fix: e.g. shape={example}")
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        try:
            dtype = np.dtype(self.dtype)
        except Exception:  # NumPy raises TypeError, ValueError or even SyntaxError for a string it cannot parse
            dtype = None
        if dtype is None or dtype.kind not in "fiub" or not isinstance(self.dtype, (str, type, np.dtype)):
            raise PairError(f"InputSpec dtype={_show(self.dtype)}: expected a numeric NumPy dtype name; fix: e.g. "
                            "dtype='float32' (images) or dtype='int32' (token ids)")
        object.__setattr__(self, "dtype", dtype.name)
        if not (_real(self.low) and _real(self.high) and self.low < self.high):
            raise PairError(f"InputSpec low={_show(self.low)}, high={_show(self.high)}: expected finite numbers "
                            f"with low < high "
                            "(values are drawn from [low, high)); fix: e.g. low=0.0, high=1.0")
        if dtype.kind in "iub" and int(self.high) <= int(self.low):
            raise PairError(f"InputSpec low={_show(self.low)}, high={_show(self.high)}: an integer dtype needs "
                            f"at least one "
                            "whole number in [low, high); fix: e.g. low=0, high=1000 for token ids")
        if self.torch_layout not in LAYOUTS:
            raise PairError(f"InputSpec torch_layout={_show(self.torch_layout)}: expected one of {', '.join(LAYOUTS)}; "
                            "fix: torch_layout='channels_first' for images PyTorch takes as (N, C, H, W), else 'same'")
        if self.sample is not None and not callable(self.sample):
            raise PairError(f"InputSpec sample={_show(self.sample)}: expected a function (n, seed) -> n "
                            f"samples, or None; "
                            "fix: pass the function itself, not its result")

    def batch(self, n: int, seed: int = 0) -> np.ndarray:
        if self.sample is not None:
            x = np.asarray(self.sample(n, seed))
            if x.shape != (n, *self.shape):
                raise PairError(f"input sample: expected shape {(n, *self.shape)}, got {x.shape}; "
                                f"fix: make sample(n, seed) return n samples of shape {self.shape}")
            return x.astype(self.dtype, copy=False)
        rng = np.random.default_rng(seed)
        if np.issubdtype(np.dtype(self.dtype), np.integer):
            return rng.integers(int(self.low), int(self.high), size=(n, *self.shape)).astype(self.dtype)
        return rng.uniform(self.low, self.high, size=(n, *self.shape)).astype(self.dtype)

    def to_torch_layout(self, x: np.ndarray) -> np.ndarray:
        if self.torch_layout == "channels_first" and x.ndim >= 3:
            return np.ascontiguousarray(np.moveaxis(x, -1, 1))
        return np.ascontiguousarray(x)

    @property
    def torch_shape(self) -> tuple:
        if self.torch_layout == "channels_first" and len(self.shape) >= 2:
            return (self.shape[-1], *self.shape[:-1])
        return tuple(self.shape)


class Batch:
    """One batch of several named inputs ({Keras input name: array}), sliced and counted like one array (x[:n],
    len(x)), so the checks handle it as they handle a single input's array. `arrays`: the dict itself."""

    def __init__(self, arrays: dict):
        self.arrays = {name: np.asarray(a) for name, a in arrays.items()}

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.arrays[key]
        return Batch({name: a[key] for name, a in self.arrays.items()})

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def map(self, fn) -> "Batch":
        return Batch({name: fn(a) for name, a in self.arrays.items()})

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


def rows(x, start: int, stop: int):
    """Samples start:stop of a batch: an array, a Batch, or a dict of arrays (PyTorch's keyword arguments)."""
    if isinstance(x, dict):
        return {name: a[start:stop] for name, a in x.items()}
    return x[start:stop]


@dataclass(frozen=True)
class Inputs:
    """Several named inputs: `specs` {Keras input name: InputSpec} (each its own shape, dtype and range; a padding
    mask through `sample`), fed to Keras as a dict and to PyTorch as keyword arguments, `torch_names` {Keras input
    name: PyTorch keyword} where the names differ (HF BERT: token_ids -> input_ids)."""
    specs: dict
    torch_names: dict = field(default_factory=dict)

    @_at_declaration
    def __post_init__(self):
        if not isinstance(self.specs, dict) or not self.specs or not all(
                isinstance(k, str) and isinstance(v, InputSpec) for k, v in self.specs.items()):
            raise PairError(f"Inputs specs={_show(self.specs)}: expected a non-empty dict of Keras input name -> "
                            f"InputSpec; fix: e.g. Inputs({{'token_ids': InputSpec((16,), 'int32', 0, 100)}})")
        bad = [k for k in self.torch_names if k not in self.specs] if isinstance(self.torch_names, dict) else None
        if bad is None or bad or not all(isinstance(v, str) for v in self.torch_names.values()):
            raise PairError(f"Inputs torch_names={_show(self.torch_names)}: expected a dict of Keras input name (one "
                            f"of {', '.join(self.specs)}) -> PyTorch keyword argument; fix: e.g. "
                            f"torch_names={{'token_ids': 'input_ids'}}")

    @property
    def first(self) -> InputSpec:
        return next(iter(self.specs.values()))

    shape = property(lambda self: self.first.shape)  # the first input's, for messages
    dtype = property(lambda self: self.first.dtype)
    torch_shape = property(lambda self: self.first.torch_shape)

    @property
    def torch_layout(self) -> str:
        return "channels_first" if any(s.torch_layout == "channels_first" and len(s.shape) >= 2
                                       for s in self.specs.values()) else "same"

    def batch(self, n: int, seed: int = 0) -> Batch:
        return Batch({name: spec.batch(n, seed + i) for i, (name, spec) in enumerate(self.specs.items())})

    def to_torch_layout(self, x: Batch) -> dict:
        """{PyTorch keyword: array in its layout}, in the specs' order."""
        return {self.torch_names.get(name, name): spec.to_torch_layout(x[name]) for name, spec in self.specs.items()}


def side_names() -> tuple[str, ...]:
    """The sides a pair may have: Keras (the reference), PyTorch, and each framework run in worker processes of its
    own (Flax NNX), by its record's id."""
    from tfpt import frameworks
    return (KERAS_SIDE, TORCH_SIDE, *(fw.id for fw in frameworks.REGISTRY.values() if fw.own_process))


def builder_ref(value) -> str | None:
    """'MODULE:ATTR' of a worker side's builder (a module-level function, or that string itself), or None where a
    worker process could not import it (a lambda, a nested function, a function of __main__)."""
    if isinstance(value, str):
        where, sep, attr = value.partition(":")
        ok = sep and all(p.isidentifier() for p in where.split(".")) and all(p.isidentifier() for p in attr.split("."))
        return value if ok else None
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if not callable(value) or not module or module == "__main__" or not qualname or "<" in qualname:
        return None
    return f"{module}:{qualname}"


@dataclass(frozen=True, eq=False)  # identity: a pair is one declaration
class ModelPair:
    """One model in several frameworks: `ModelPair(name, {"keras": k, "torch": t, "flax": f}, input, ...)`, sides
    by name, Keras the reference every other side is checked against (its layout is the one the others are brought
    to); `ModelPair(name, keras, torch, input, ...)` is the shortcut for the two in-process sides. A worker side
    (Flax) is a module-level function its worker process imports by 'MODULE:ATTR' (or that string); `sides`
    holds every side's builder, `pair.keras` / `pair.torch` the two in-process ones. Builders take no arguments
    (the suite seeds each framework before calling them; a worker side's model is given Keras' weights).
    `head`: what the models emit — "logits" or "softmax" probabilities, per side if they differ (a worker side
    emits what the Keras side does). `layer_map` maps Keras layer names to PyTorch module names where automatic
    matching cannot decide.
    `formats`: export formats to check (None: every format whose exporter is installed; (): none).
    `tolerances`: this pair's overrides of the tolerance table, {kind: {"atol": .., "rtol": .., "why": ..}} (or a
    tfpt.tolerances.Tol), kind as in the table ("forward", "gradient", ...; "bfloat16/forward" for another dtype);
    the checks report each beside the table's default. `batch`: samples for the forward and gradient checks
    (default 256; a 224x224 model needs fewer). `accept`: known, accepted configuration differences,
    {"layer:field" or "field": "why"} (fields as `tfpt.differences(pair)` names them), so the other checks run.
    `as_is=True`: both builders return models that already hold their weights (a converter's output and its
    original, a pretrained port, two checkpoints): the suite transfers nothing and compares them as they are,
    parameters included (checks that need seeded builders skip, saying so). `input`: an InputSpec, or `Inputs` for
    several named inputs (a dict to Keras, keyword arguments to PyTorch). `outputs`: {Keras output name: PyTorch
    output key} for models with several outputs, each compared under its Keras name; the loss of the gradient and
    step checks is taken on the last one (declare the classifier-like output last).

    Every field is checked here, when the pair is declared, and each builder's result on every build
    (`check_built`), so a mistake is named where it was made, not deep inside a check."""
    name: str
    keras: Callable[[], Any]  # or {side name: builder}: every side at once
    torch: Callable[[], Any] | None = None
    input: InputSpec = None  # type: ignore[assignment]  # required: refused at declaration where missing
    num_classes: int = CLASSES_DEFAULT
    keras_head: str = "logits"
    torch_head: str = "logits"
    layer_map: dict = field(default_factory=dict)
    formats: tuple | None = None
    description: str = ""
    tolerances: dict = field(default_factory=dict)
    batch: int | None = None
    accept: dict = field(default_factory=dict)
    as_is: bool = False
    outputs: dict = field(default_factory=dict)
    sides: dict = field(default_factory=dict)  # {side name: builder}, Keras first: filled from keras/torch too

    @_at_declaration
    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.replace("-", "").replace("_", "").isalnum():
            raise PairError(f"pair name {_show(self.name)}: expected letters, digits, '-' or '_'; fix: rename it")
        self._take_sides()
        for side in ("keras_head", "torch_head"):
            if getattr(self, side) not in ("logits", "softmax"):
                raise PairError(f"pair {self.name}: {side} must be 'logits' or 'softmax', got "
                                f"{_show(getattr(self, side))}")
        for side in (KERAS_SIDE, TORCH_SIDE):
            if not callable(getattr(self, side)):
                raise PairError(f"pair {self.name}: {side}={_show(getattr(self, side))}: expected a builder (a "
                                f"function "
                                f"taking no arguments that returns the {side} model); fix: pass the function itself, "
                                "not a model or its result")
        if not isinstance(self.input, (InputSpec, Inputs)):
            raise PairError(f"pair {self.name}: input={_show(self.input)}: expected a tfpt.InputSpec (or tfpt.pair."
                            f"Inputs for several named inputs); fix: e.g. input=InputSpec(shape=(28, 28, 1))")
        if not isinstance(self.outputs, dict) or not all(
                isinstance(k, str) and isinstance(v, (str, int)) for k, v in self.outputs.items()):
            raise PairError(f"pair {self.name}: outputs={_show(self.outputs)}: expected a dict of Keras output name -> "
                            f"PyTorch output (a key or attribute of what its model returns, or an index); fix: e.g. "
                            f"outputs={{'sequence_output': 'last_hidden_state', 'pooled_output': 'pooler_output'}}")
        if not _whole(self.num_classes) or self.num_classes < 1:
            raise PairError(f"pair {self.name}: num_classes={_show(self.num_classes)}: expected a whole number "
                            f">= 1; fix: "
                            "the width of the models' output")
        if not isinstance(self.layer_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.layer_map.items()):
            raise PairError(f"pair {self.name}: layer_map={_show(self.layer_map)}: expected a dict of Keras "
                            f"layer name -> "
                            "PyTorch module name (strings); fix: e.g. layer_map={'dense_1': 'fc1'}")
        if self.formats is not None:
            if isinstance(self.formats, str) or not isinstance(self.formats, (tuple, list)):
                raise PairError(f"pair {self.name}: formats={_show(self.formats)}: expected a tuple of format "
                                f"names, () for "
                                f"none or None for all; fix: e.g. formats=({_show(self.formats)},)")
            unknown = [f for f in self.formats if f not in EXPORT_FORMATS]
            if unknown:
                raise PairError(f"pair {self.name}: formats: expected names from {', '.join(EXPORT_FORMATS)}, got "
                                f"{', '.join(map(repr, unknown))}; fix: use those names, () for none or None for all")
            object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))
        self._check_tolerances()
        if self.batch is not None and (not _whole(self.batch) or self.batch < 1):
            raise PairError(f"pair {self.name}: batch={_show(self.batch)}: expected a whole number >= 1 (samples "
                            f"for the forward and gradient checks) or None for {DEFAULT_BATCH}; fix: e.g. batch=32")
        if not isinstance(self.accept, dict) or not all(
                isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in self.accept.items()):
            raise PairError(f"pair {self.name}: accept={_show(self.accept)}: expected a dict of difference -> why "
                            f"it is accepted (non-empty strings); fix: e.g. accept={{'epsilon': 'Keras ResNet50 "
                            f"uses 1.001e-5'}}")
        if not isinstance(self.as_is, bool):
            raise PairError(f"pair {self.name}: as_is={_show(self.as_is)}: expected True (both builders return models "
                            f"holding their own weights: compared as they are) or False (seeded builders: the suite "
                            f"transfers weights); fix: as_is=True or leave it out")

    def _take_sides(self) -> None:
        """`sides` from a dict given in keras' place (then the next argument is the input) or from keras/torch
        (plus any `sides` given by keyword, as dataclasses.replace passes them); each name known, Keras present."""
        given = self.keras
        if isinstance(given, dict):
            if self.input is None and isinstance(self.torch, (InputSpec, Inputs)):
                object.__setattr__(self, "input", self.torch)  # ModelPair(name, {sides}, input)
            elif self.torch is not None:
                raise PairError(f"pair {self.name}: sides given as a dict and torch={_show(self.torch)} as well; "
                                f"expected the dict of sides, then the input; fix: ModelPair(name, {{'keras': ..., "
                                f"'torch': ...}}, InputSpec(...)) with the other settings by keyword")
            sides = dict(given)
        else:
            extra = self.sides if isinstance(self.sides, dict) else {}
            sides = {KERAS_SIDE: given, TORCH_SIDE: self.torch, **{k: v for k, v in extra.items()
                                                                   if k not in (KERAS_SIDE, TORCH_SIDE)}}
        known = side_names()
        unknown = [s for s in sides if s not in known]
        if unknown:
            raise PairError(f"pair {self.name}: side {_show(unknown[0])}: expected one of {', '.join(known)}; fix: "
                            f"name each side by its framework, e.g. {{'keras': ..., 'torch': ..., 'flax': ...}}")
        if sides.get(KERAS_SIDE) is None:
            raise PairError(f"pair {self.name}: no 'keras' side: Keras is the reference every other side is checked "
                            f"against; fix: add 'keras': <a function that builds the Keras model> to the sides")
        if TORCH_SIDE not in sides:
            raise PairError(f"pair {self.name}: no 'torch' side: the generic checks compare PyTorch's model with "
                            f"Keras' layer by layer; fix: add 'torch': <a function that builds the PyTorch model>")
        for side in sides:
            if side not in (KERAS_SIDE, TORCH_SIDE) and builder_ref(sides[side]) is None:
                raise PairError(f"pair {self.name}: {side}={_show(sides[side])}: expected a module-level function "
                                f"(or 'MODULE:ATTR') the {side} worker process can import; fix: define the builder "
                                f"at module level (not a lambda, a nested function or in __main__) and pass it")
        ordered = {KERAS_SIDE: sides[KERAS_SIDE], TORCH_SIDE: sides[TORCH_SIDE],
                   **{k: v for k, v in sides.items() if k not in (KERAS_SIDE, TORCH_SIDE)}}
        object.__setattr__(self, "keras", ordered[KERAS_SIDE])
        object.__setattr__(self, "torch", ordered[TORCH_SIDE])
        object.__setattr__(self, "sides", ordered)

    @property
    def extra_sides(self) -> tuple[str, ...]:
        """The sides beyond Keras and PyTorch (run in worker processes of their own: "flax"), in declared order."""
        return tuple(s for s in self.sides if s not in (KERAS_SIDE, TORCH_SIDE))

    def builder_ref(self, side: str) -> str:
        """'MODULE:ATTR' of a worker side's builder, as its worker imports it."""
        ref = builder_ref(self.sides[side])
        assert ref is not None  # checked at declaration
        return ref

    def _check_tolerances(self) -> None:
        if not isinstance(self.tolerances, dict):
            raise PairError(f"pair {self.name}: tolerances={_show(self.tolerances)}: expected a dict of kind -> "
                            f"overrides; fix: e.g. tolerances={{'gradient': {{'rtol': 2e-4, 'why': '...'}}}}")
        for key, value in self.tolerances.items():
            dtype, kind = key.split("/", 1) if isinstance(key, str) and "/" in key else ("float32", key)
            if dtype not in TOLERANCES or kind not in TOLERANCES[dtype]:
                known = ", ".join(TOLERANCES["float32"])
                raise PairError(f"pair {self.name}: tolerances key {_show(key)}: expected a kind of the tolerance "
                                f"table ({known}; 'bfloat16/forward' for another dtype); fix: use one of those names")
            fields = {f: getattr(value, f) for f in TOLERANCE_FIELDS} if isinstance(value, Tol) else value
            bad = [f for f in fields if f not in TOLERANCE_FIELDS] if isinstance(fields, dict) else None
            numbers = isinstance(fields, dict) and all(_real(v) and v >= 0 for f, v in fields.items() if f != "why")
            if bad is None or bad or not numbers or not isinstance(fields.get("why", ""), str):
                raise PairError(f"pair {self.name}: tolerances[{key!r}]={_show(value)}: expected a tfpt.tolerances."
                                f"Tol or a dict of {', '.join(TOLERANCE_FIELDS)} (numbers >= 0, why a string); fix: "
                                f"e.g. {{'rtol': 2e-4, 'why': 'measured ...'}}")
            quantile = fields.get("quantile", 1.0)
            if not 0 < quantile <= 1:  # a fraction of elements: 2 would make every check fail with max |Δ| 0
                raise PairError(f"pair {self.name}: tolerances[{key!r}] quantile={_show(quantile)}: expected the "
                                f"fraction of elements that must pass, in (0, 1]; fix: e.g. 'quantile': 0.999, or "
                                f"leave it out for all elements")

    def tolerance(self, kind: str, dtype: str = "float32") -> Tol:
        """The table's tolerance for `kind`, or this pair's override of it (an override is not tracked by the
        tightness gate: the table's evidence is the table's own pairs)."""
        value = self.tolerances.get(kind if dtype == "float32" else f"{dtype}/{kind}")
        if value is None:
            return tol(kind, dtype)
        return value if isinstance(value, Tol) else tol(kind, dtype, **{"why": f"pair {self.name}'s override", **value})

    def tolerance_overrides(self) -> dict:
        """{kind: {"pair": bound, "table": bound, "why": ...}} for each override, to report beside the table."""
        def show(t: Tol) -> str:
            return f"atol {t.atol:g}, rtol {t.rtol:g}" + (f", quantile {t.quantile:g}" if t.quantile < 1 else "")
        out = {}
        for key in self.tolerances:
            dtype, kind = key.split("/", 1) if "/" in key else ("float32", key)
            mine = self.tolerance(kind, dtype)
            out[key] = {"pair": show(mine), "table": show(tol(kind, dtype)), "why": mine.why}
        return out

    @property
    def loss_output(self) -> tuple:
        """(Keras output name, PyTorch output key) the loss reads: the last of `outputs`, or (None, None)."""
        return next(reversed(self.outputs.items())) if self.outputs else (None, None)

    @property
    def sample_batch(self) -> int:
        """Samples for the forward and gradient checks: `batch`, else 256."""
        return DEFAULT_BATCH if self.batch is None else int(self.batch)

    def export_formats(self, available=EXPORT_FORMATS) -> tuple:
        """The formats to export and check: `formats` where given (() is none), else every available one."""
        return tuple(available) if self.formats is None else tuple(f for f in self.formats if f in available)

    def check_built(self, side: str, model, expected: type) -> None:
        """A builder's result must be the model its side takes (a keras.Model, a torch.nn.Module)."""
        if not isinstance(model, expected):
            kind = type(model)
            got = "None (does the builder `return` its model?)" if model is None else \
                f"{kind.__module__}.{kind.__qualname__}"
            want = f"{expected.__module__.split('.')[0]}.{expected.__name__}"
            raise PairError(f"pair {self.name}: its {side} builder returned {got}; expected a {want}; fix: make "
                            f"`{side}=` a function that builds and returns the {side} model")

    def refused_input(self, side: str, exc: BaseException) -> PairError:
        """The PairError for a model that failed on the first batch of its InputSpec (traced once per build):
        Keras' or torch's own error names a layer and shapes, never the declaration that made the batch."""
        said = " ".join(str(exc).split())
        said = said if len(said) <= 300 else said[:297] + "..."
        return PairError(f"pair {self.name}: its {side} model failed on a batch of InputSpec(shape={self.input.shape}, "
                         f"dtype={self.input.dtype!r}) ({type(exc).__name__}: {said}); fix: make the InputSpec one "
                         f"sample of what both models take (Keras' layout, batch axis excluded)")

    def check_outputs(self, keras_out, torch_out) -> None:
        """Both models' outputs on the first traced batch are num_classes wide where the pair declares num_classes
        (the labels of the loss, gradient and step checks are drawn from range(num_classes); a wrong one never met
        the models before: 5 declared for 10-wide outputs passed every check)."""
        if isinstance(self.num_classes, _Undeclared) or getattr(self, "outputs", None):
            return  # not declared, or several outputs (the loss reads one of them): nothing to hold it against
        widths = {side: int(np.shape(out)[-1]) for side, out in ((KERAS_SIDE, keras_out), (TORCH_SIDE, torch_out))
                  if np.ndim(out) >= 2}
        wrong = {side: w for side, w in widths.items() if w != self.num_classes}
        if wrong:
            got = ", ".join(f"the {side} model {w}" for side, w in widths.items())
            fix = f"num_classes={next(iter(wrong.values()))}" if len(set(widths.values())) == 1 else \
                "make both models output num_classes values per sample"
            raise PairError(f"pair {self.name}: num_classes={self.num_classes}: expected the width of the models' "
                            f"output, got {got} values per sample; fix: {fix}")


_REGISTRY: dict[str, ModelPair] = {}


def register(pair: ModelPair) -> ModelPair:
    """Add a pair to the registry the generic checks run over; returns it (usable as a decorator's result)."""
    if not isinstance(pair, ModelPair):
        raise PairError(f"register() takes a ModelPair, got {type(pair).__name__}")
    if pair.name in _REGISTRY and _REGISTRY[pair.name] is not pair:
        raise PairError(f"a different pair named {pair.name!r} is already registered; fix: give yours another name")
    _REGISTRY[pair.name] = pair
    return pair


def registered() -> list[ModelPair]:
    return list(_REGISTRY.values())


def get(name: str) -> ModelPair:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise PairError(f"no pair named {name!r}; registered: {sorted(_REGISTRY)}") from None


# --pair means one thing in every command that takes it (pytest, tfpt-compare, tfpt-convert, python -m
# tfpt.cli.backends): these words, in each one's --help, and `find` resolves it.
PAIR_MEANS = "a model pair: a registered name (e.g. spec) or MODULE:ATTR (a tfpt.ModelPair in an importable module)"
PAIR_METAVAR = "NAME|MODULE:ATTR"
# This repository's pair modules, imported where they import (from its root) before a name is looked up. The zoo's
# pairs are held there but not registered (their generic checks take minutes each): a name finds them as well.
PAIR_MODULES = ("models.pairs", "models.transformer", "models.zoo", "models.zoo_ports")


def named() -> dict[str, tuple[ModelPair, str | None]]:
    """{name: (pair, MODULE:ATTR a worker imports it by)} of every pair a --pair name selects: each pair the
    modules of PAIR_MODULES hold (upper-case attributes), then each registered pair (None: no module known)."""
    out: dict[str, tuple[ModelPair, str | None]] = {}
    if str(Path.cwd()) not in sys.path:  # a console script's sys.path holds its bin folder, not the caller's
        sys.path.insert(0, str(Path.cwd()))
    for module_name in PAIR_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, ModelPair) and attr.isupper():
                out.setdefault(value.name, (value, f"{module_name}:{attr}"))
    for pair in registered():
        out.setdefault(pair.name, (pair, None))
    return out


def by_name(name: str) -> tuple[ModelPair, str | None]:
    """A --pair NAME: the pair and its MODULE:ATTR (`named`); a PairError listing the names there are."""
    found = named()
    if name not in found:
        here = ", ".join(sorted(found)) or "none here; this repository's pairs are named from its root"
        raise PairError(f"--pair {name}: a registered name ({here}) or MODULE:ATTR of a tfpt.ModelPair; fix: e.g. "
                        f"--pair spec or --pair my_pair:pair")
    return found[name]


def find(ref: str) -> ModelPair:
    """One --pair value, its one meaning: MODULE:ATTR (`load`) or a registered name (`by_name`)."""
    return load(ref) if ":" in ref else by_name(ref)[0]


def load(ref: str) -> ModelPair:
    """`module:attr` -> the ModelPair it names (the current folder is importable, as for `python -m`)."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise PairError(f"--pair {ref!r}: expected MODULE:ATTR, e.g. mymodule:my_pair")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PairError(f"--pair {ref}: cannot import {module_name!r} ({exc}); fix: run from the folder that "
                        f"holds it or put it on PYTHONPATH") from None
    pair = getattr(module, attr, None)
    if not isinstance(pair, ModelPair):
        found = type(pair).__name__ if pair is not None else "nothing"
        raise PairError(f"--pair {ref}: expected a tfpt.ModelPair named {attr!r} in {module_name}, found {found}")
    return register(pair)
