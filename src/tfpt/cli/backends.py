"""The Keras backends side by side, as two markdown tables: every registered pair's worst forward |Δ| per backend
(against Keras on TensorFlow, same layout; against native PyTorch, through the converters; the first divergent
layer where one differs), and the layer sweep (tfpt.checks.layer_sweep) per backend, with the installed versions.

    python -m tfpt.cli.backends [--pair spec,study] [--frameworks keras-torch,keras-jax]

Exit 0 when everything agrees within the tolerance table, 1 when something differs (the tables say what), 2 for
a usage error (an empty, unknown or repeated --frameworks or --pair name), 3 when a pair's input data (MNIST) is
not available; all checked before any worker starts. Each backend runs in a worker process of its own (one per
backend for the whole command).
"""
from __future__ import annotations

import sys

from tfpt import frameworks, procs
from tfpt.cli.args import framework_list, model_pair
from tfpt.cli.exitcodes import BAD_INPUT, OK, REGRESSION, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.pair import PAIR_MEANS, PAIR_METAVAR

DIFFERS = REGRESSION  # 1: something differs beyond the tolerance table (the tables say what)


def _fws(fws: list[str]) -> list[str]:
    missing = [fw for fw in fws if not frameworks.installed(fw)]
    if missing:
        raise UserError(f"--frameworks {missing[0]}", f"an installed Keras backend, but "
                        f"{frameworks.missing_reason(missing[0]).split('; ')[0]}", frameworks.missing_fix(missing[0])
                        + f", or leave {missing[0]} out of --frameworks", USAGE)
    return fws


def _installed_backends() -> list[str]:
    """The default: every registered Keras backend that is installed, each absent one named in a note (with JAX
    not installed, the default run exited 2 asking for keras-jax, which nobody had asked for)."""
    ids = [b.id for b in frameworks.keras_backends()]
    for fw in ids:
        if not frameworks.installed(fw):
            print(f"note: {fw} left out: {frameworks.missing_reason(fw).split('; ')[0]}", file=sys.stderr)
    present = [fw for fw in ids if frameworks.installed(fw)]
    if not present:
        raise UserError("python -m tfpt.cli.backends", f"an installed Keras backend ({', '.join(ids)}); none is",
                        frameworks.missing_fix(ids[0]), USAGE)
    return present


def _pair_names(text: str | None) -> list[str]:
    """--pair's pairs (tfpt.pair.PAIR_MEANS), each once; None (not given): every registered pair. An empty one
    is a mistake, not 'all' (`--pair ,` ran all six)."""
    if text is None:
        return []
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise UserError(f"--pair {text!r}", "model pairs (registered names or MODULE:ATTR), comma separated, none "
                        "empty",
                        "e.g. --pair spec,study, or leave --pair out for every registered pair", USAGE)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"--pair {text!r}", f"each pair once, got {', '.join(dupes)} twice",
                        f"name {dupes[0]} once", USAGE)
    return names


@procs.interruptible("python -m tfpt.cli.backends")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.backends", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT) + "\n  1  a difference beyond the tolerance table (the tables "
                                                    "name it)")
    p.add_argument("--pair", default=None, metavar=f"{PAIR_METAVAR}[,...]",
                   help=f"{PAIR_MEANS}; comma separated, each once (default: every registered pair)")
    p.add_argument("--frameworks", type=framework_list({b.id: b.id for b in frameworks.keras_backends()}),
                   default=None, help="Keras backends to run, each once (default: every registered one that "
                                      "is installed; the others are named on stderr)")
    a = p.parse_args(argv)
    try:
        fws, names = _fws(a.frameworks if a.frameworks is not None else _installed_backends()), _pair_names(a.pair)
    except UserError as exc:
        return report(exc)
    return _run(fws, names)


def _pairs(names: list[str]) -> list:
    """The selected pairs, each able to make its input batch (a pair sampling real MNIST needs it here): checked
    before any worker starts. Raises UserError."""
    import importlib

    from tfpt.data.datasets import DataError
    from tfpt.pair import registered
    for name in ("models.pairs", "models.zoo"):  # this repository's pairs, when run from its root
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    pairs = [model_pair(n)[0] for n in names] or registered()
    if not pairs:
        raise UserError("--pair", "at least one registered pair; none is registered here",
                        "run from the repository's root (models/ registers its pairs)", USAGE)
    for pair in pairs:
        try:
            pair.input.batch(1, 0)
        except DataError as exc:  # "<thing>: <expected>; fix: <fix>" already (the last fix is the loader's own)
            said, _, fix = str(exc).rpartition("; fix: ")
            raise UserError(f"pair {pair.name}'s input", f"its sample data; {said}" if said else str(exc),
                            fix if said else "make the data available (make data)", BAD_INPUT) from None
    return pairs


def _run(fws: list[str], names: list[str]) -> int:
    frameworks.torch_first()
    try:
        pairs = _pairs(names)
    except UserError as exc:
        return report(exc)
    from tfpt.checks import backends, layer_sweep
    from tfpt.frameworks.keras_backend import worker
    bad = 0
    print("| pair | backend | vs Keras on TensorFlow: worst abs diff | first divergent | vs PyTorch: worst abs "
          "diff | first divergent |\n|---|---|---|---|---|---|")
    for pair in pairs:
        for fw in fws:
            r = backends.check_pair(pair, fw)
            (_, l1, d1, v1), (_, l2, d2, v2) = r.rows()
            bad += (v1 != "ok") + (v2 != "ok")
            print(f"| {pair.name} | {fw} | {d1:.2g} | {l1} | {d2:.2g} | {l2} |")
    keras = frameworks.import_keras()
    print("\n| layer case | " + " | ".join(fws) + " |\n|---|" + "---|" * len(fws))
    for case in layer_sweep.CASES:
        cells = []
        for fw in fws:
            c = layer_sweep.run(keras, case, worker(frameworks.get(fw).keras_backend))
            bad += not c.ok
            cells.append(f"{c.max_abs:.2g}" + ("" if c.ok else f" DIFFERS ({c.message('output')})"))
        print(f"| {case.id} | " + " | ".join(cells) + " |")
    for fw in fws:
        v = worker(frameworks.get(fw).keras_backend).versions
        print(f"\n{fw}: " + frameworks.get(fw).versions(v))
    return DIFFERS if bad else OK


if __name__ == "__main__":
    sys.exit(main())
