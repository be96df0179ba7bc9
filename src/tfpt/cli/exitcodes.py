"""One exit-code table for every tfpt command, and the one-line error format a user's mistake gets.

A mistake is one line on stderr, never a traceback:

    error: <the thing>: <what was expected>; fix: <the fix>

This module imports nothing but the standard library, so the deployer (which must hold only the runtime of the
format it runs) can use it.
"""
from __future__ import annotations

import argparse
import sys

OK = 0            # the command did what was asked
REGRESSION = 1    # a regression found (tfpt-report: against the history; tfpt-ab: B slower than A)
USAGE = 2         # the command line itself is wrong (argparse: unknown option, bad value, out of range)
BAD_INPUT = 3     # a file, artifact or data set named on the command line is missing, unreadable or wrong
NOTHING = 4       # nothing to compare: no saved runs (tfpt-report only)
RUNTIME = 5       # a worker process or a model runtime failed on valid input
NOT_GATED = 6     # the newest saved run cannot be gated: it holds no benchmarks (tfpt-report only)
MISMATCH = 7      # converted weights failed the pair's forward check, or a setting differs: nothing written
INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT) or SIGTERM: children ended, temp files removed, nothing half-written

TABLE = (
    (OK, "ok"),
    (REGRESSION, "regression found (tfpt-report, tfpt-ab)"),
    (USAGE, "usage error: an option or argument is wrong (message names it)"),
    (BAD_INPUT, "bad input: a file, artifact or data set is missing, unreadable or not what was expected"),
    (NOTHING, "nothing to compare (tfpt-report only)"),
    (RUNTIME, "a worker or model runtime failed on valid input"),
    (NOT_GATED, "the newest run cannot be gated: it holds no benchmarks (tfpt-report only)"),
    (MISMATCH, "the converted weights failed the pair's forward check, or the two models differ in a setting the "
               "pair does not accept: nothing written (tfpt-convert only)"),
    (INTERRUPTED, "interrupted (Ctrl-C or SIGTERM): children stopped, temp files removed, no file half-written"),
)


def epilog(*codes: int) -> str:
    """The exit-code table for a command's --help; `codes` limits it to the ones that command can return, and
    INTERRUPTED is always among them: every command's main runs under tfpt.procs.interruptible."""
    rows = [f"  {code}  {text}" for code, text in TABLE if not codes or code in codes or code == INTERRUPTED]
    return "exit codes:\n" + "\n".join(rows)


def message(thing: str, expected: str, fix: str) -> str:
    return f"error: {thing}: {expected}; fix: {fix}"


class UserError(Exception):
    """A mistake the user can fix; `main()` turns it into one stderr line and `code`."""

    def __init__(self, thing: str, expected: str, fix: str, code: int = BAD_INPUT):
        super().__init__(message(thing, expected, fix))
        self.code = code


def report(exc: UserError) -> int:
    print(str(exc), file=sys.stderr)
    return exc.code


class Parser(argparse.ArgumentParser):
    """argparse with the suite's one-line error format (still exit 2, as argparse does), and no abbreviated
    options: `--epoch 1` is an error, not a silent `--epochs 1`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, text: str):  # noqa: D401 - argparse API
        self.exit(USAGE, f"error: {text}; fix: see `{self.prog} --help`\n")


class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown, description and epilog kept as written."""
