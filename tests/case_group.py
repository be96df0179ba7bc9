"""Runs many bad-input rows in one Python process, each as its command would run alone: `python -m
tests.case_group RESULTS.json` reads a JSON list of {"id", "module", "argv", "cwd"} on stdin and writes
{id: {"returncode", "stdout", "stderr", "loaded"}} to RESULTS.json; "loaded" names the model runtimes and
frameworks the row imported (a row whose mistake is caught first loads none). Each row gets its own working
folder and captured streams; a traceback out of `main` is captured as stderr text (and fails the row).

Only rows whose command keeps no state between calls that their input changes are grouped (tfpt-report, the
argument checks of tfpt-compare, tune, seeds and overhead, the deployer): a row with its own environment
(TFPT_HIDE_FRAMEWORKS is read once per process) runs in a fresh process of its own, and the deployer's rows that
load a runtime share a process only with rows of the same runtime. One process start per group instead of one
per row is what keeps the table fast.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import traceback

RUNTIMES = ("tensorflow", "keras", "torch", "onnxruntime", "ai_edge_litert")


def run_one(module: str, argv: list, cwd: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    before = {m for m in RUNTIMES if m in sys.modules}
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = importlib.import_module(module).main(argv)
            except SystemExit as exc:
                code = exc.code
            except BaseException:  # what a user would see: the traceback
                traceback.print_exc()
                code = 1
        if isinstance(code, str):  # sys.exit("message"): printed, exit 1
            err.write(code + "\n")
            code = 1
        loaded = sorted(m for m in RUNTIMES if m in sys.modules and m not in before)
        return {"returncode": 0 if code is None else code, "stdout": out.getvalue(), "stderr": err.getvalue(),
                "loaded": loaded}
    finally:
        os.chdir(here)


def main() -> int:
    rows = json.loads(sys.stdin.read())
    results = {row["id"]: run_one(row["module"], row["argv"], row["cwd"]) for row in rows}
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
