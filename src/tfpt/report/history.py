"""Copy saved runs between pytest-benchmark storage and a kept history folder so that neither a crash nor a
second writer can leave a half-written run: each file is written to a temp name in the target folder and
renamed into place (atomic on one filesystem), under an exclusive lock on the target folder. Files already
there with the same content are left alone; a different file of the same name is kept and the incoming one is
stored beside it under a new name, so no run is ever overwritten.

    python -m tfpt.report.history SRC DST
"""
from __future__ import annotations

import fcntl
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tfpt import procs
from tfpt.cli import exitcodes

LOCK = ".tfpt-history.lock"


def sync(src: Path, dst: Path) -> list[Path]:
    """Copy every *.json under src into dst (same relative path); returns the files written."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    with open(dst / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for f in sorted(src.glob("**/*.json")):
            target = dst / f.relative_to(src)
            if target.exists() and filecmp.cmp(f, target, shallow=False):
                continue
            n = 1
            while target.exists():  # same name, other content: keep both
                target = target.with_name(f"{f.stem}-{n}{f.suffix}")
                n += 1
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out, open(f, "rb") as inp:
                    shutil.copyfileobj(inp, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(target)
    return written


@procs.interruptible("python -m tfpt.report.history")
def main(argv=None) -> int:
    p = exitcodes.Parser(prog="python -m tfpt.report.history", description=__doc__,
                         formatter_class=exitcodes.Formatter, epilog=exitcodes.epilog(0, 2, 3, 130))
    p.add_argument("src", type=Path)
    p.add_argument("dst", type=Path)
    a = p.parse_args(argv)
    if not a.src.is_dir():
        got = "got a file" if a.src.exists() else "nothing is there"
        print(exitcodes.message(f"SRC {a.src}", f"a folder of saved runs; {got}", "check the path"), file=sys.stderr)
        return exitcodes.BAD_INPUT
    src, dst = a.src.resolve(), a.dst.resolve()
    if dst == src or src in dst.parents:  # every later sync would copy the copies again, one level deeper
        where = "SRC itself" if dst == src else "a folder inside it"
        p.error(f"DST {a.dst}: a folder outside SRC {a.src}, got {where}")
    if a.dst.exists() and not a.dst.is_dir():
        print(exitcodes.message(f"DST {a.dst}", "a folder (created if missing), got a file", "pass a folder"),
              file=sys.stderr)
        return exitcodes.BAD_INPUT
    try:
        written = sync(a.src, a.dst)
    except OSError as exc:  # each file lands whole by rename or not at all: what was copied before is whole
        name = Path(exc.filename or a.dst)
        from_src = a.src.resolve() in name.resolve().parents
        thing, need = (f"SRC {a.src}", "saved runs this user can read") if from_src else \
            (f"DST {a.dst}", "a folder this user can write")
        print(exitcodes.message(thing, f"{need}; {name}: {exc.strerror or type(exc).__name__}",
                                "fix its permissions, or pass another folder"), file=sys.stderr)
        return exitcodes.BAD_INPUT
    print(f"{len(written)} run file(s) copied from {a.src} to {a.dst}")
    return exitcodes.OK


if __name__ == "__main__":
    sys.exit(main())
