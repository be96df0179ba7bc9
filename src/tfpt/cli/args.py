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


def framework_list(accept: dict[str, str] | None = None):
    """The --frameworks type: names of the in-process frameworks (tf, torch), or of every registered one with
    `accept=frameworks.ALL_ALIASES` (the Keras backends too), each once, order kept."""
    allowed = sorted(set((accept or frameworks.ALIASES).values()), key=list(frameworks.REGISTRY).index)

    def parse(text: str) -> list[str]:
        try:
            fws = frameworks.parse_names(text, "--frameworks", accept)
        except frameworks.FrameworkNameError:
            raise argparse.ArgumentTypeError(f"expected {', '.join(allowed)} (comma or space separated), "
                                             f"got {text!r}") from None
        if not fws:
            raise argparse.ArgumentTypeError(f"expected at least one of {', '.join(allowed)}; got nothing")
        dupes = sorted({f for f in fws if fws.count(f) > 1})
        if dupes:
            raise argparse.ArgumentTypeError(f"expected each framework once, got {', '.join(dupes)} twice in {text!r}")
        return fws
    parse.__name__ = "framework list"
    return parse


def check_seed(seed: int, fws: list[str], option: str = "--seed") -> None:
    """Raise UserError (exit 2) if `seed` is out of range for any of `fws` (Keras' set_random_seed, NumPy's
    legacy RandomState, takes 32-bit seeds, torch.manual_seed 64-bit ones: the records' seed_bits). Checked
    before any worker starts, not found by a traceback inside one."""
    from tfpt.cli.exitcodes import USAGE, UserError
    for fw in fws:
        record = frameworks.get(fw)
        limit = 2 ** record.seed_bits
        if not 0 <= seed < limit:
            raise UserError(f"{option} {seed}", f"a seed in 0..2**{record.seed_bits}-1 ({record.name} takes "
                            f"{record.seed_bits}-bit seeds)", f"pass a seed below {limit:,}", USAGE)
