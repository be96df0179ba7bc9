"""`python -m tfpt.data.datasets [NAME ...] [--optional NAME ...]` (what `make data` runs; `python -m tfpt.cli.data`
is the same command): fetch, verify and cache datasets, and say where each came from."""
from __future__ import annotations

import sys

from tfpt import procs
from tfpt.cli.exitcodes import BAD_INPUT, OK, USAGE, Formatter, Parser, epilog
from tfpt.data.datasets import load
from tfpt.data.registry import INFO, DataError


@procs.interruptible("python -m tfpt.data.datasets")
def main(argv=None) -> int:
    """`python -m tfpt.data.datasets [NAME ...] [--optional NAME ...]`: fetch, verify and cache datasets."""
    p = Parser(prog="python -m tfpt.data.datasets", formatter_class=Formatter, epilog=epilog(OK, USAGE, BAD_INPUT),
               description="Fetch, verify (pinned SHA-256) and cache datasets; print where each came from. A NAME "
                           "that cannot be loaded fails the command; an --optional one only says what is missing "
                           "and what needs it (`make data`: MNIST for `make compare`, Fashion-MNIST too for "
                           "`make test`).")
    p.add_argument("names", nargs="*", metavar="NAME", default=None,
                   help=f"datasets that must load: {', '.join(sorted(INFO))} (default: all)")
    p.add_argument("--optional", action="append", default=[], choices=sorted(INFO), metavar="NAME",
                   help="a dataset to load if a source has it; missing only prints what needs it")
    args = p.parse_args(argv)
    unknown = [n for n in args.names or [] if n not in INFO]
    if unknown:
        p.error(f"argument NAME: expected {' or '.join(sorted(INFO))}, got {', '.join(map(repr, unknown))}")
    required = list(dict.fromkeys(args.names or ([] if args.optional else list(INFO))))
    optional = [n for n in dict.fromkeys(args.optional) if n not in required]
    needed_by = {"mnist": "make compare and make test", "fashion": "make test (its Fashion-MNIST tests)"}
    status = OK
    for name in required + optional:
        try:
            ds = load(name)
            print(f"{name}: {len(ds.x_train):,} train / {len(ds.x_test):,} test images, verified; source: {ds.source}")
        except DataError as exc:
            if name in required:
                print(f"error: {name}: {exc}", file=sys.stderr)
                status = BAD_INPUT
            else:
                print(f"note: {name} is not available (needed by {needed_by[name]}): {exc}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
