"""Argument types and checks shared by the commands: each rejects a bad value with one line naming what was expected;
outputs never land on inputs and are checked writable before any work."""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tfpt import frameworks
from tfpt.cli.exitcodes import BAD_INPUT, USAGE, UserError


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
    for fw in fws:
        record = frameworks.get(fw)
        limit = 2 ** record.seed_bits
        if not 0 <= seed < limit:
            raise UserError(f"{option} {seed}", f"a seed in 0..2**{record.seed_bits}-1 ({record.name} takes "
                            f"{record.seed_bits}-bit seeds)", f"pass a seed below {limit:,}", USAGE)


def same_path(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same path once symlinks and `..` are resolved, or one file under two
    names (a hard link)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def writable_file(label: str, path: Path) -> None:
    """Raise UserError (exit 3) unless `path` can be written whole: not an existing folder, in an existing folder
    this user can create a file in (probed with a temp file, removed at once, as the atomic writers make theirs)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{label} {path}", "a file path, got an existing folder",
                        f"name a file, e.g. {path / ('out' + ''.join(path.suffixes))}", BAD_INPUT)
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"{label} {path}", f"a file in an existing folder; {folder} "
                        f"{'is a file' if folder.exists() else 'does not exist'}", f"mkdir -p {folder}", BAD_INPUT)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{label} {path}", f"a file in a folder this user can write; {folder}: "
                        f"{exc.strerror or exc}", "write it to a folder you own, or fix the folder's permissions",
                        BAD_INPUT) from None


def check_outputs(outputs: dict, inputs: dict) -> None:
    """Checked before any work, for a command that writes files. `outputs`/`inputs`: {label: path or None}, the
    label as the user wrote it ("target", "--report", "source", "the pair's module"). An output that is an input
    or another output is a usage error (exit 2) naming both: nothing a user gave the command is written over.
    Each output must then be writable (`writable_file`, exit 3), so a long run never ends on an unwritable path."""
    outs = [(label, Path(p)) for label, p in outputs.items() if p is not None]
    ins = [(label, Path(p)) for label, p in inputs.items() if p is not None]
    for i, (label, out) in enumerate(outs):
        for other_label, other in ins + outs[:i]:
            if same_path(out, other):
                raise UserError(f"{label} {out}", f"a file of its own, got the {other_label} {other} (it would be "
                                f"written over)", f"name another path for {label}", USAGE)
    for label, out in outs:
        writable_file(label, out)



def model_pair(ref: str) -> tuple:
    """One --pair value, its one meaning in every command (tfpt.pair.PAIR_MEANS) -> (the ModelPair, MODULE:ATTR a
    worker imports it by; None for a registered pair that no module of tfpt.pair.PAIR_MODULES holds). A module's
    own failure is named at its line (tfpt.plugin.pairs.import_module_of); each mistake is a UserError, exit 2."""
    import sys

    from tfpt.pair import PairError, by_name
    from tfpt.plugin.pairs import import_module_of
    module, _, attr = ref.partition(":")
    try:
        if ":" not in ref:
            return by_name(ref)
        frameworks.torch_first()  # the user's module may import Keras (TensorFlow) before torch: crash-safe order
        import_module_of(ref)
    except PairError as exc:
        said = str(exc).removeprefix(f"--pair {ref}: ").removeprefix(f"--pair {ref!r}: ")
        thing, _, fix = said.rpartition("; fix: ")
        raise UserError(f"--pair {ref}", thing or said, fix or "correct the module", USAGE) from None
    if module not in sys.modules:
        raise UserError(f"--pair {ref}", f"an importable module {module!r}; it is not found",
                        "run from the folder that holds it, or put it on PYTHONPATH", USAGE)
    return getattr(sys.modules[module], attr), ref
