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


# The largest seed each framework takes: Keras' set_random_seed (NumPy's legacy RandomState) takes 32-bit seeds,
# torch.manual_seed 64-bit ones. Checked before any worker starts, not found by a traceback inside one.
SEED_LIMIT = {"tf": 2 ** 32, "torch": 2 ** 64}


def check_seed(seed: int, fws: list[str], option: str = "--seed") -> None:
    """Raise UserError (exit 2) if `seed` is out of range for any of `fws`."""
    from tfpt.cli.exitcodes import USAGE, UserError
    for fw in fws:
        limit = SEED_LIMIT[fw]
        if not 0 <= seed < limit:
            name = {"tf": "TensorFlow", "torch": "PyTorch"}[fw]
            bits = limit.bit_length() - 1
            raise UserError(f"{option} {seed}", f"a seed in 0..2**{bits}-1 ({name} takes {bits}-bit seeds)",
                            f"pass a seed below {limit:,}", USAGE)
