"""The one registry of frameworks: every check, command and report table iterates it.

The records are found, not listed: each folder of tfpt.frameworks that has a `record.py` (tfpt.frameworks.keras:
TensorFlow, Keras on torch, Keras on JAX; tfpt.frameworks.torch; tfpt.frameworks.flax) gives its `RECORDS`, and
so does every entry point of the group `tfpt.frameworks` another distribution declares (a Framework, a tuple of
them, or a module holding RECORDS), so a framework can live outside this package. The order is stable: the
suite's own by their rank (tf, torch, keras-torch, keras-jax, flax), then the outside ones by entry-point name.
An entry point or record that cannot be loaded is left out with one line on stderr naming it.

TensorFlow and PyTorch run in the suite's own process (imported in the safe order, tfpt.frameworks);
Keras 3 on its torch and JAX backends each runs in a worker process (tfpt.frameworks.keras_backend), because a
Keras backend is fixed per process.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from importlib import metadata
from pathlib import Path

from tfpt.frameworks.base import Framework

GROUP = "tfpt.frameworks"  # the entry-point group of frameworks that live outside this package
_HERE = Path(__file__).resolve().parent
_PACKAGE = __name__.rsplit(".", 1)[0]  # tfpt.frameworks


def records_of(obj) -> tuple[Framework, ...]:
    """The records `obj` holds: a Framework, a tuple or list of them, or a module with RECORDS. Raises TypeError
    where it holds none."""
    obj = getattr(obj, "RECORDS", obj)
    found = (obj,) if isinstance(obj, Framework) else tuple(obj) if isinstance(obj, (tuple, list)) else ()
    if not found or not all(isinstance(fw, Framework) for fw in found):
        raise TypeError(f"no Framework record: expected a Framework, a tuple of them or a module with RECORDS, got "
                        f"{type(obj).__name__}")
    return found


def folders() -> list[str]:
    """The modules tfpt.frameworks.<folder>.record of this package's framework folders, in name order."""
    return [f"{_PACKAGE}.{m.name}.record" for m in pkgutil.iter_modules([str(_HERE)])
            if m.ispkg and (_HERE / m.name / "record.py").is_file()]


def _entry_points() -> list:
    try:
        return sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name)
    except Exception as exc:  # a broken distribution's metadata: the suite's own frameworks still load
        return [exc]


def discover() -> tuple[dict[str, Framework], list[str]]:
    """({id: record} in the registry's order, [one line per record or entry point left out, naming it])."""
    found: list[tuple[tuple, Framework, str]] = []
    problems: list[str] = []
    sources = [(0, lambda n=name: importlib.import_module(n), f"framework record module {name}",
                "fix: correct that record.py (RECORDS: a tuple of Framework)") for name in folders()]
    for ep in _entry_points():
        if isinstance(ep, Exception):
            problems.append(f"entry points of group {GROUP!r}: not readable ({type(ep).__name__}: {ep}); "
                            "fix: repair or uninstall the distribution whose metadata is broken")
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None)
        sources.append((1, ep.load, f"framework entry point {ep.name} = {ep.value} (group {GROUP}"
                        + (f", distribution {dist})" if dist else ")"),
                        f"fix: reinstall {dist} or uninstall it" if dist else "fix: reinstall or uninstall it"))
    for outside, load, what, fix in sources:
        try:
            records = records_of(load())
        except Exception as exc:  # any error of someone else's code: that framework is left out, the rest runs
            problems.append(f"{what}: not loaded ({type(exc).__name__}: {(str(exc) or '-').splitlines()[0]}); {fix}")
            continue
        for fw in records:
            found.append(((outside, fw.rank if not outside else 0, len(found)), fw, what))
    out: dict[str, Framework] = {}
    for _, fw, what in sorted(found, key=lambda t: t[0]):
        taken = next((o for o in out.values() if {fw.id, *fw.aliases} & {o.id, *o.aliases}), None)
        if taken is not None:
            problems.append(f"{what}: framework id {fw.id!r} is {taken.name}'s already; that record left out; "
                            "fix: give it an id of its own")
            continue
        out[fw.id] = fw
    return out, problems


REGISTRY, PROBLEMS = discover()
for _line in PROBLEMS:
    print(f"warning: {_line}", file=sys.stderr)

# The suite's own frameworks by name, for the modules that need one of them in particular.
TF, TORCH, KERAS_TORCH, KERAS_JAX, FLAX = (REGISTRY[i] for i in ("tf", "torch", "keras-torch", "keras-jax", "flax"))


def get(fw_id: str) -> Framework:
    try:
        return REGISTRY[fw_id]
    except KeyError:
        raise ValueError(f"unknown framework {fw_id!r}; registered: {', '.join(REGISTRY)}") from None


def native() -> tuple[Framework, ...]:
    """The frameworks that run in this process (TensorFlow, PyTorch)."""
    return tuple(fw for fw in REGISTRY.values() if fw.in_process)


def keras_backends() -> tuple[Framework, ...]:
    """Keras on a backend other than TensorFlow, each in a worker process of its own."""
    return tuple(fw for fw in REGISTRY.values() if fw.keras_backend)


def with_study_code() -> list[str]:
    """The frameworks the study wrote code for (their study_code modules run it as written)."""
    return [fw.id for fw in REGISTRY.values() if fw.study_code]


def studied() -> tuple[Framework, ...]:
    """The frameworks the study measured (its published figures: TensorFlow, PyTorch), in the registry's order;
    the first two make the report's headline ratio."""
    return tuple(fw for fw in REGISTRY.values() if fw.published)


def names() -> set[str]:
    """Every name a framework goes by: ids, aliases and Keras backends ("tf", "tensorflow", "jax", ...)."""
    return {n for fw in REGISTRY.values() for n in (fw.id, *fw.aliases, *filter(None, [fw.keras_backend]))}


def version_dists() -> list[tuple[str, str]]:
    """[(distribution, label)] a version label shows, in the registry's order: each framework's distributions that
    name some framework's version (tensorflow, keras, torch, flax), labelled by that framework ("TF", "Keras")."""
    named = {}
    for fw in REGISTRY.values():
        named.setdefault(fw.version_dist, fw.label)
    return list({d: named[d] for fw in REGISTRY.values() for d in fw.distributions if d in named}.items())


def on_side(side: str) -> Framework:
    """The in-process framework that runs one side of a ModelPair."""
    return next(fw for fw in native() if fw.side == side)


def other(fw_id: str) -> Framework:
    """The in-process framework on the other side of a pair from `fw_id`."""
    mine = get(fw_id).side
    return next(fw for fw in native() if fw.side != mine)
