"""The plugin's environment variables and numeric options, parsed once at start with an error that names the
variable, what it accepts and the fix (pytest prints it as one `ERROR:` line and exits 4), never a traceback."""
from __future__ import annotations

import math
import os

DEFAULT_SEED = 1234


class EnvError(ValueError):
    """A plugin environment variable or option holds a value the plugin cannot use; the text is the one line."""


def _message(thing: str, text: str, expected: str, fix: str) -> str:
    return f"{thing}={text!r}: expected {expected}; fix: {fix}"


def seed(option: int | None, environ=os.environ) -> int:
    """--seed, else TFPT_SEED, else 1234; an integer >= 0 (per-test seeds are taken modulo 2**31)."""
    if option is not None:
        if option < 0:
            raise EnvError(_message("--seed", str(option), "an integer >= 0", "e.g. --seed 1234"))
        return option
    text = environ.get("TFPT_SEED", "").strip()
    if not text:
        return DEFAULT_SEED
    try:
        value = int(text)
    except ValueError:
        raise EnvError(_message("TFPT_SEED", text, "an integer >= 0 (the base seed)",
                                "e.g. export TFPT_SEED=1234, or unset it for the default")) from None
    if value < 0:
        raise EnvError(_message("TFPT_SEED", text, "an integer >= 0", "e.g. export TFPT_SEED=1234"))
    return value


def seconds(name: str, option: float | None, environ=os.environ) -> float | None:
    """A planted-slowdown hook (TFPT_BENCH_SLEEP, TFPT_BENCH_SLOWER or their options): a finite number >= 0."""
    thing, text = (name, environ.get(name, "").strip()) if option is None else (_option(name), str(option))
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise EnvError(_message(thing, text, "a finite number >= 0", f"e.g. {thing}{'=' if thing == name else ' '}0.01"
                                + (", or unset it" if thing == name else "")))
    return value


def _option(name: str) -> str:
    return "--" + name.removeprefix("TFPT_").lower().replace("_", "-")


def switch(name: str, environ=os.environ) -> bool:
    """A yes/no variable (TFPT_DOWNLOAD): 1 or 0, empty for no."""
    text = environ.get(name, "").strip()
    if text not in ("", "0", "1"):
        raise EnvError(_message(name, text, "1 (yes) or 0 (no)", f"export {name}=1, or unset it"))
    return text == "1"


def at_least(option: str, value: int, low: int) -> int:
    """An integer option with a lower bound (--seeds, --bench-epoch-rounds)."""
    if value < low:
        raise EnvError(_message(option, str(value), f"an integer >= {low}", f"e.g. {option} {max(low, 6)}"))
    return value
