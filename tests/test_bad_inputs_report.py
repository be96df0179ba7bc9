"""The report on the files it reads, past the bad-input table: a property sweep that breaks a saved run at random
places (any JSON value put anywhere, or a key taken away) and finds that the report either skips it with a warning
naming the field or reports it whole, never a traceback; datetimes compared as dates (a zone-aware older run
before a newer one); runs of unknown machines never compared; the swap keeps the files beside the report."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.report_runs import MACHINE, SUITE, save, suite
from tfpt.report.__main__ import main
from tfpt.report.storage import Malformed, load_runs, newest_pairs, validate

BASE = json.loads(json.dumps({"machine_info": MACHINE, "commit_info": {"id": "c1"}, "datetime": "2026-11-28T10:01:00",
                              "benchmarks": suite(np.random.default_rng(0))}))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10 ** 20) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


@st.composite
def broken_runs(draw):
    """A copy of a valid run with one to three places replaced by any JSON value, or removed."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        obj, key = None, None
        node = doc
        for _depth in range(draw(st.integers(1, 5))):
            if isinstance(node, dict) and node:
                k = draw(st.sampled_from(sorted(node)))
            elif isinstance(node, list) and node:
                k = draw(st.integers(0, len(node) - 1))
            else:
                break
            obj, key, node = node, k, node[k]
        if obj is None:
            continue
        if isinstance(obj, dict) and draw(st.booleans()) and draw(st.booleans()):
            del obj[key]
        else:
            obj[key] = draw(json_values)
    return doc


@settings(max_examples=600, deadline=None)
@given(doc=broken_runs())
def test_validation_either_names_a_field_or_accepts_what_the_report_reads(doc):
    try:
        when, problem = validate(doc), None
    except Malformed as exc:
        when, problem = None, exc
    if problem is not None:
        assert problem.field and "\n" not in str(problem)
        return
    assert when is not None
    for b in doc["benchmarks"]:  # what the tables and the gate divide by and compare
        assert b["stats"]["median"] > 0 and math.isfinite(b["stats"]["median"])
        rss = b.get("extra_info", {}).get("peak_rss_mb")
        assert rss is None or rss > 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=broken_runs())
def test_the_whole_report_on_a_broken_newest_run_never_raises(doc, tmp_path_factory, capsys):
    root = tmp_path_factory.mktemp("r")
    save(root / "s", 1, suite(np.random.default_rng(1)))
    doc = dict(doc, datetime="2026-11-28T11:00:00") if isinstance(doc.get("datetime"), str) and \
        isinstance(doc, dict) else doc
    where = root / "s" / "Linux-CPython-3.11-64bit" / "0002_x.json"
    where.write_text(json.dumps(doc, allow_nan=True))
    code = main(["--storage", str(root / "s"), "--out", str(root / "out")])
    err = capsys.readouterr().err
    assert code in (0, 1, 6) and "Traceback" not in err
    assert code != 6 or "newest run" in err


def _run(root, n, when, slower=1.0):
    runs = suite(np.random.default_rng(n), noise=0.01, slower={name: slower for name, *_ in SUITE})
    return save(root / "s", n, runs, datetime=when)


def test_datetimes_are_compared_as_dates_not_as_text(tmp_path, monkeypatch):
    """09:01 UTC written with its zone (+01:00: "10:01" as text) is older than 09:30 UTC: compared as text it
    would be the newest, and the 1.5x slowdown of the real newest run would be gated backwards (a speed-up)."""
    monkeypatch.chdir(tmp_path)
    old = _run(tmp_path, 1, "2026-11-28T10:01:00+01:00")
    new = _run(tmp_path, 2, "2026-11-28T09:30:00Z", slower=1.5)
    runs = load_runs(tmp_path / "s")
    assert [r.path for r in runs] == [old, new]
    assert main(["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out")]) == 1
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    assert any(v["regressed"] for v in doc["verdicts"]) and doc["runs"][-1] == str(new)


def test_runs_of_an_unknown_machine_are_never_compared(tmp_path):
    for n in (1, 2):
        save(tmp_path / "s", n, suite(np.random.default_rng(n)), machine={"frameworks": MACHINE["frameworks"]})
    warnings: list = []
    runs = load_runs(tmp_path / "s", warn=warnings.append)
    assert len(warnings) == 2 and all("field machine_info: expected node, cpu.brand_raw" in w for w in warnings)
    assert [before for before, _ in newest_pairs(runs)] == [None]  # the newest alone: nothing to compare it with
    known = [save(tmp_path / "k", n, suite(np.random.default_rng(n))) for n in (1, 2)]
    assert [b.path for b, _ in newest_pairs(load_runs(tmp_path / "k"))] == [known[0]]  # the control


def test_the_swap_removes_stale_plots_and_keeps_other_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save(tmp_path / "s", 1, suite(np.random.default_rng(1)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "history-99.svg").write_text("<svg>an old plot</svg>")
    (out / "measurements-main-gw0.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    assert main(["--storage", str(tmp_path / "s"), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert "history-99.svg" not in names and {"measurements-main-gw0.json", "notes.txt", "report.json"} <= names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s"]


@pytest.mark.parametrize("when", ["2026-11-28", "2026-11-28T10:01", "2026-11-28 10:01:00.123456",
                                  "2026-11-28T10:01:00+05:30"])
def test_every_iso_spelling_pytest_benchmark_or_a_user_writes_is_read(when, tmp_path):
    _run(tmp_path, 1, when)
    (run,) = load_runs(tmp_path / "s")
    assert run.when.year == 2026 and run.datetime.startswith("2026-11-2")
