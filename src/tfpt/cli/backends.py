"""The Keras backends side by side, as two markdown tables: every registered pair's worst forward |Δ| per backend
(against Keras on TensorFlow, same layout; against native PyTorch, through the converters; the first divergent
layer where one differs), and the layer sweep (tfpt.checks.layer_sweep) per backend, with the installed versions.

    python -m tfpt.cli.backends [--pair spec,study] [--frameworks keras-torch,keras-jax]

Exit 0 when everything agrees within the tolerance table, 1 when something differs (the tables say what), 2 for
a usage error. Each backend runs in a worker process of its own (one per backend for the whole command).
"""
from __future__ import annotations

import sys

from tfpt import frameworks, procs
from tfpt.cli.exitcodes import OK, REGRESSION, USAGE, Formatter, Parser, UserError, epilog, report

DIFFERS = REGRESSION  # 1: something differs beyond the tolerance table (the tables say what)


def _fws(text: str) -> list[str]:
    fws = frameworks.parse_names(text, "--frameworks", {b.id: b.id for b in frameworks.keras_backends()})
    missing = [fw for fw in fws if not frameworks.installed(fw)]
    if missing:
        raise UserError(f"--frameworks {missing[0]}", "an installed Keras backend",
                        frameworks.missing_reason(missing[0]), USAGE)
    return fws


@procs.interruptible("python -m tfpt.cli.backends")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.backends", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE) + "\n  1  a difference beyond the tolerance table (the tables name it)")
    p.add_argument("--pair", default="", help="registered pairs, comma separated (default: all)")
    p.add_argument("--frameworks", default=",".join(b.id for b in frameworks.keras_backends()),
                   help="Keras backends to run (default: every registered one)")
    a = p.parse_args(argv)
    try:
        fws = _fws(a.frameworks)
    except UserError as exc:
        return report(exc)
    except frameworks.FrameworkNameError as exc:  # already one line naming the option and the fix
        print(exc, file=sys.stderr)
        return USAGE
    return _run(fws, a.pair)


def _run(fws: list[str], pair_text: str) -> int:
    frameworks.torch_first()
    import importlib

    from tfpt.checks import backends, layer_sweep
    from tfpt.frameworks.keras_backend import worker
    from tfpt.pair import PairError, get, registered
    for name in ("models.pairs", "models.zoo"):  # this repository's pairs, when run from its root
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:
        pairs = [get(n) for n in pair_text.split(",") if n] or registered()
    except PairError as exc:
        print(f"error: --pair {pair_text}: {exc}; fix: name registered pairs, comma separated", file=sys.stderr)
        return USAGE
    bad = 0
    print("| pair | backend | vs Keras on TensorFlow: worst abs diff | first divergent | vs PyTorch: worst abs "
          "diff | first divergent |\n|---|---|---|---|---|---|")
    for pair in pairs:
        for fw in fws:
            r = backends.check_pair(pair, fw)
            (_, l1, d1, v1), (_, l2, d2, v2) = r.rows()
            bad += (v1 != "ok") + (v2 != "ok")
            print(f"| {pair.name} | {fw} | {d1:.2g} | {l1} | {d2:.2g} | {l2} |")
    keras = frameworks.keras()
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
