"""Run the deployer (`tfpt.deploy.main`, its own code path) on several artifacts in one fresh process, so a check
of every export format pays for one runtime start-up per framework instead of one per format.

    python -m tfpt.testing.deploy_many JOBS.json

JOBS.json: a list of argument lists for tfpt-deploy. Prints one JSON line: a list of {"code", "stdout",
"stderr"} in the same order, and `loaded`, the frameworks this process imported (all jobs together).
"""
from __future__ import annotations

import contextlib
import io
import json
import sys


def main(argv=None) -> int:
    from tfpt import deploy
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as f:
        jobs = json.load(f)
    results = []
    for job in jobs:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = deploy.main(job)
            except SystemExit as exc:  # argparse
                code = exc.code
        results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    loaded = sorted(m for m in deploy.RUNTIMES if m in sys.modules)
    print(json.dumps({"results": results, "loaded": loaded}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
