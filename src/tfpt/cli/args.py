"""Argument types shared by the commands: each rejects a bad value with one line naming what was expected."""
from __future__ import annotations

import argparse

from tfpt import frameworks


def int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def framework_list(text: str) -> list[str]:
    try:
        fws = frameworks.parse_names(text, "--frameworks")
    except frameworks.FrameworkNameError:
        raise argparse.ArgumentTypeError(f"expected tf and/or torch (comma or space separated), got {text!r}") from None
    if not fws:
        raise argparse.ArgumentTypeError("expected at least one of tf, torch; got nothing")
    dupes = sorted({f for f in fws if fws.count(f) > 1})
    if dupes:
        raise argparse.ArgumentTypeError(f"expected each framework once, got {', '.join(dupes)} twice in {text!r}")
    return fws
