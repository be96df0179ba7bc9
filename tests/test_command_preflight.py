"""The newer commands check everything before any work: each row of tests/command_preflight_cases.py runs its
command alone in a fresh process and folder (tests/test_bad_inputs.py's runner and checks: exit code, the one
`error: ...; fix: ...` line, no traceback, nothing left behind), and no row starts a benchmark process or a worker.
The valid counterparts are tests/test_ab.py's runs."""
from __future__ import annotations

import pytest

from tests.command_preflight_cases import AB, BACKENDS, BENCH, CASES, COMPARE, CONVERT
from tests.test_bad_inputs import check_result, run_alone, skip_reason

pytestmark = pytest.mark.cli  # commands in subprocesses: the default run, not the quick tier


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[getattr(pytest.mark, n) for n in c.needs
                                                                  if n in ("tf", "torch")]) for c in CASES])
def test_mistake_found_before_any_work(case, request, tmp_path):
    if skip_reason(case):
        pytest.skip(skip_reason(case))
    ctx, roots, before, proc = run_alone(case, request, tmp_path)
    check_result(case, ctx, roots, before, proc)
    assert "== " not in proc.stderr, "a benchmark process or worker started before the mistake was found"


def test_the_table_covers_each_command():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    counts = {m: sum(c.module == m for c in CASES) for m in (AB, BENCH, BACKENDS, COMPARE, CONVERT)}
    assert counts[AB] >= 8 and counts[BENCH] >= 6 and counts[BACKENDS] >= 5 and counts[COMPARE] >= 5, counts
