"""`--pair NAME|MODULE:ATTR` (tfpt.pair.find) and the generic checks parametrized over the selected model pairs.

A pair module that cannot be imported for any reason (a SyntaxError, an exception at import, an import of its
own that fails) is a usage error naming the file:line where it failed and the real cause; a module that is not
found at all is told how to make it importable (tfpt.pair.load)."""
from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

import pytest

PACKAGE = str(Path(__file__).resolve().parent.parent) + "/"  # tfpt's own folder
GENERIC_CHECKS = Path(__file__).resolve().parent.parent / "testing" / "pair_checks.py"
# One pair's exports run in the quick tier (a broken exporter or deployer fails it in seconds); the other pairs'
# carry the `exports` marker: in the default run, out of `make quick`.
QUICK_EXPORT_PAIR = "spec"


def _where(exc: BaseException) -> str:
    """file:line of the failure: a SyntaxError's own position, a declaration's line (a PairError's `where`), else
    the deepest frame outside importlib and outside this package (an import TFPT_HIDE_FRAMEWORKS refused is the
    user's import line, not the hiding finder's)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    if getattr(exc, "where", None):
        return exc.where  # type: ignore[attr-defined]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<frozen")]
    outside = [f for f in frames if not f.filename.startswith(PACKAGE)] or frames
    return f"{outside[-1].filename}:{outside[-1].lineno}" if outside else "?"


def import_module_of(ref: str) -> None:
    """Import the module a --pair reference names and check that it holds a pair there, turning any failure of
    the module's own code into a PairError (a module that is not found at all: tfpt.pair.load says how to fix)."""
    from tfpt import frameworks
    from tfpt.pair import ModelPair, PairError
    name, sep, attr = ref.partition(":")
    if not (name and sep and attr):
        raise PairError(f"--pair {ref!r}: expected MODULE:ATTR, the module and the ModelPair in it; fix: e.g. "
                        f"--pair {name or 'my_pair'}:{attr or 'pair'}")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return  # the module itself is not there: load() says so, with the fix
        fix = frameworks.import_fix(exc.name)
        raise PairError(f"--pair {ref}: importing {name!r} failed at {_where(exc)}: {type(exc).__name__}: {exc}; fix: "
                        + (fix if fix.startswith("unset") else f"{fix} or remove that import from {name}")) from None
    except SyntaxError as exc:
        raise PairError(f"--pair {ref}: {name!r} does not parse at {_where(exc)}: SyntaxError: {exc.msg}; fix: "
                        f"correct that line") from None
    except PairError as exc:  # a declaration refused: the user's line and the declaration's own fix, once
        said = str(exc) if "; fix: " in str(exc) else f"{exc}; fix: correct that declaration"
        raise PairError(f"--pair {ref}: a declaration in {name!r} is refused at {_where(exc)}: {said}") from None
    except (Exception, SystemExit) as exc:
        raise PairError(f"--pair {ref}: importing {name!r} failed at {_where(exc)}: {type(exc).__name__}: {exc}; "
                        f"fix: correct the module so that `python -c 'import {name}'` succeeds") from None
    pair = getattr(sys.modules[name], attr, None)
    if not isinstance(pair, ModelPair):
        found = type(pair).__name__ if pair is not None else "nothing"
        raise PairError(f"--pair {ref}: expected a tfpt.ModelPair named {attr!r} in {name}, found {found}; fix: "
                        f"define {attr} = ModelPair(...) in {name}, or name the one it holds")


def select(config, session) -> None:
    """--pair NAME|MODULE:ATTR (repeatable; tfpt.pair.PAIR_MEANS) selects those pairs; without it, every
    registered pair is checked. With --pair and no test paths on the command line, pytest runs the generic checks
    shipped in this package, so the command works from any folder."""
    from tfpt.pair import PairError, find
    refs = config.getoption("pair")
    if not refs:
        return
    try:
        for ref in refs:
            if ":" in ref:  # a name is looked up in the registry (tfpt.pair.by_name)
                import_module_of(ref)
        # the same pair named twice (or by two references) is checked once: each check twice proves nothing more
        session.pairs = list({id(p): p for p in (find(ref) for ref in refs)}.values())
    except PairError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(GENERIC_CHECKS)]


def selected(session) -> list:
    from tfpt.pair import registered
    return session.pairs if session.pairs is not None else registered()


def parametrize(metafunc, pairs: list) -> None:
    """[pair], [pair-layer] or [pair-format] cases, by the fixtures the check asks for."""
    if "pair_format" in metafunc.fixturenames:
        from tfpt.exports import FORMATS, NEEDS, framework_of
        cases = [pytest.param(p, f, id=f"{p.name}-{f}", marks=[
                    getattr(pytest.mark, framework_of(f)),
                    pytest.mark.needs_module(*NEEDS.get(f, ()), why=f"the {f} export cannot be checked"),
                    *([] if p.name == QUICK_EXPORT_PAIR else [pytest.mark.exports])])
                 for p in pairs for f in p.export_formats(FORMATS)]
        if not cases:  # every selected pair declares formats=(): one skip that says so, not an empty-set error
            names = ", ".join(p.name for p in pairs) or "no pair"
            cases = [pytest.param(None, None, id="no-formats", marks=pytest.mark.skip(
                reason=f"{names}: no export format declared (formats=())"))]
        metafunc.parametrize("model_pair, pair_format", cases)
    elif "pair_side" in metafunc.fixturenames:  # each worker side (Flax) of each pair, against its Keras side
        cases = [pytest.param(p, s, id=f"{p.name}-{s}") for p in pairs for s in p.extra_sides] or [
            pytest.param(None, None, id="no-worker-side", marks=pytest.mark.skip(
                reason=f"{', '.join(p.name for p in pairs) or 'no pair'}: no worker side declared (a side beyond keras "
                       f"and torch)"))]
        metafunc.parametrize("model_pair, pair_side", cases)
    elif "pair_layer" in metafunc.fixturenames:
        from tfpt.testing.sessions import point_labels
        cases = [(p, label) for p in pairs for label in point_labels(p)]
        metafunc.parametrize("model_pair, pair_layer", cases, ids=[f"{p.name}-{label}" for p, label in cases])
    else:
        metafunc.parametrize("model_pair", pairs, ids=[p.name for p in pairs])
