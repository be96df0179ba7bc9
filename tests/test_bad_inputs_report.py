"""The report on the files it reads, past the bad-input table: property sweeps that break a saved run (as one
pytest process saves it, or as tfpt-bench merges processes) or a conformance-figures file at random places (any
JSON value put anywhere, a key taken away, a field the report reads added) and find that the report either skips
what it cannot use with a warning naming the file and field or reports it whole, never a traceback (what the
sweeps found is kept as `@example`s; tests/hypothesis_profiles.py fixes the draw in CI); the report's and the
history copier's own bad inputs, each one line and its exit code; datetimes compared as dates (a zone-aware older
run before a newer one); runs of unknown machines never compared; the swap keeps the files beside the report."""
from __future__ import annotations

import copy
import json
import math
import re
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.report_runs import MACHINE, SUITE, save, suite
from tfpt.report.__main__ import main
from tfpt.report.storage import Malformed, load_runs, newest_pairs, validate

BASE = json.loads(json.dumps({"machine_info": MACHINE, "commit_info": {"id": "c1"}, "datetime": "2026-11-28T10:01:00",
                              "benchmarks": suite(np.random.default_rng(0))}))


def _by_process(doc: dict) -> dict:
    """The same run as tfpt-bench saves it: each benchmark with its 3 process medians, the epochs with an idle
    round flagged (the fields the gate reads from such runs)."""
    doc = copy.deepcopy(doc)
    for b in doc["benchmarks"]:
        med = b["stats"]["median"]
        b["extra_info"].update(processes=3, process_medians=[med, 1.01 * med, 0.99 * med])
        if b["extra_info"].get("yardstick_s"):
            b["extra_info"]["yardstick_process_medians"] = [0.012, 0.0121, 0.0119]
        if b["extra_info"].get("quantity") == "epoch":
            b["extra_info"]["idle_rounds"] = [1]
    return doc


BY_PROCESS = _by_process(BASE)


def _with(doc: dict, *path_value) -> dict:
    """A copy of `doc` with the one place at `path` set to `value`: an example a sweep found, kept."""
    *path, value = path_value
    doc = copy.deepcopy(doc)
    obj = doc
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
    return doc


# Found by the sweeps below, kept so that every run (CI's fixed draw included) checks them.
FOUND = [
    _with(BASE, "machine_info", "frameworks", None),  # AttributeError in the study table: 1 unseeded run in 13
    _with(BASE, "machine_info", "cpu", None),
    _with(BY_PROCESS, "benchmarks", 1, "extra_info", "idle_rounds", 5),
    _with(BY_PROCESS, "benchmarks", 1, "extra_info", "process_medians", ["x", 1, 2]),
    _with(BY_PROCESS, "benchmarks", 2, "extra_info", "yardstick_process_medians", {}),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10 ** 20) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


# Fields the report reads that a run may lack (added anywhere, with any value, by the sweep).
FIELDS = ("idle_rounds", "process_medians", "yardstick_process_medians", "pair", "dtype", "format", "runtime",
          "test_acc", "peak_rss_mb", "yardstick_s", "yardstick_flops", "flops", "group", "fullname", "tox_env", "node",
          "cpu", "frameworks", "keras", "data", "min", "max", "quantity", "mode", "device", "framework")


@st.composite
def broken(draw, bases, fields):
    """A copy of one of `bases` with one to three places replaced by any JSON value, removed, or given one of
    `fields` (with any value) where it was not."""
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
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
        if isinstance(obj, dict) and draw(st.integers(0, 3)) == 0:  # a field the report reads, where it is not
            obj[draw(st.sampled_from(fields))] = draw(json_values)
        elif isinstance(obj, dict) and draw(st.booleans()) and draw(st.booleans()):
            del obj[key]
        else:
            obj[key] = draw(json_values)
    return doc


def broken_runs():
    """A valid run (as one pytest process saves it, or as tfpt-bench merges processes), broken at random."""
    return broken([BASE, BY_PROCESS], FIELDS)


def _examples(test):
    for doc in FOUND:
        test = example(doc=doc)(test)
    return test


@settings(max_examples=600, deadline=None)
@given(doc=broken_runs())
@_examples
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
@_examples
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


# A conformance-figures file as a test run leaves it (reports/measurements-<env>-<worker>.json), holding every
# figure the report's tables read.
MEASUREMENTS = {"env": "main", "versions": {"tensorflow": "2.21.0", "keras": "3.15.1", "torch": "2.14.1"},
                "figures": {"pair spec forward max |Δ| tf->torch": {"conv1": 1e-6, "dense2": 2e-6},
                            "pair spec gradient relative error": {"loss": 1e-7, "conv1.kernel": 3e-6},
                            "keras backend keras-torch pair spec forward max |Δ|": {"vs Keras on TensorFlow": 1e-6,
                                                                                    "vs PyTorch": 2e-6},
                            "mnist 1 epoch tf": {"test_acc": 0.985}, "mnist 1 epoch torch": {"test_acc": 0.986},
                            "defaults tf": {"adam.epsilon": 1e-7}, "defaults torch": {"adam.epsilon": 1e-8},
                            "converter dense": 4.8e-07}}
MEASURED = ("versions", "figures", "env", "tensorflow", "torch", "keras", "test_acc", "vs PyTorch", "conv1",
            "pair spec forward max |Δ| tf->torch", "pair spec gradient relative error", "mnist 1 epoch tf",
            "defaults tf", "defaults ", "keras backend keras-torch pair spec forward max |Δ|")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=broken([MEASUREMENTS], MEASURED))
@example(doc=_with(MEASUREMENTS, "versions", ["2.21.0"]))  # AttributeError in the version table
@example(doc=_with(MEASUREMENTS, "figures", "pair spec forward max |Δ| tf->torch", {}))  # max() of nothing
@example(doc=_with(MEASUREMENTS, "figures", "defaults ", {}))  # IndexError reading the framework's name
@example(doc=_with(MEASUREMENTS, "versions", "torch", ["2.14.1"]))  # an unhashable version
def test_the_whole_report_on_a_broken_measurements_file_never_raises(doc, tmp_path_factory, monkeypatch, capsys):
    root = tmp_path_factory.mktemp("m")
    monkeypatch.chdir(root)
    save(root / "s", 1, suite(np.random.default_rng(1)))
    (root / "reports").mkdir()
    (root / "reports" / "measurements-main-gw0.json").write_text(json.dumps(doc, allow_nan=True))
    assert main(["--storage", "s", "--out", "out"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and all("measurements-main-gw0.json: field " in line
                                          for line in err.splitlines() if line.startswith("warning:"))


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


def _sys_readonly() -> bool:
    try:
        tempfile.TemporaryDirectory(dir="/sys/kernel").cleanup()
    except OSError:
        return True
    return False


def _measurements(doc):
    def setup(root):
        (root / "reports").mkdir()
        (root / "reports" / "measurements-main-gw0.json").write_text(json.dumps(doc))
    return setup


READONLY = pytest.mark.skipif(not _sys_readonly(), reason="/sys/kernel is writable here: no folder to refuse a write")
# (id, the command's arguments, what to plant first, exit code, its stderr's line; one line where it is an error)
ROWS = [
    pytest.param("report-out-unwritable", ["--storage", "s", "--out", "/sys/kernel/tfpt-x"], None, 3,
                 r"^error: --out /sys/kernel/tfpt-x: a folder this user can write; /sys/kernel refused a new folder "
                 r"\(.+\); fix: pass a writable folder", marks=READONLY),
    pytest.param("report-measurements-versions-a-list", ["--storage", "s", "--out", "out"],
                 _measurements(_with(MEASUREMENTS, "versions", ["2.21.0"])), 0,
                 r"^warning: skipping reports/measurements-main-gw0\.json: field versions: expected an object of "
                 r"version strings, got list$"),
    pytest.param("report-measurements-version-a-list", ["--storage", "s", "--out", "out"],
                 _measurements(_with(MEASUREMENTS, "versions", "torch", ["2.14.1"])), 0,
                 r"^warning: skipping .*: field versions\.torch: expected a version string or null, got list$"),
    pytest.param("report-measurements-figure-empty", ["--storage", "s", "--out", "out"],
                 _measurements(_with(MEASUREMENTS, "figures", "pair spec forward max |Δ| tf->torch", {})), 0,
                 r'^warning: .*: field figures\."pair spec forward max \|Δ\| tf->torch": expected an object of '
                 r"numbers, one per layer, got dict \{\}: that figure left out$"),
    pytest.param("report-measurements-accuracy-a-string", ["--storage", "s", "--out", "out"],
                 _measurements(_with(MEASUREMENTS, "figures", "mnist 1 epoch tf", {"test_acc": "98 %"})), 0,
                 r'^warning: .*: field figures\."mnist 1 epoch tf": expected an object with test_acc, a number'),
    pytest.param("report-run-frameworks-null", ["--storage", "s", "--out", "out"],
                 lambda root: save(root / "s", 2, suite(np.random.default_rng(2)), machine={**MACHINE,
                                                                                           "frameworks": None}),
                 0, r"^$"),
]


@pytest.mark.parametrize("case, argv, plant, code, line", ROWS, ids=[r.values[0] for r in ROWS])
def test_a_bad_input_to_the_report_is_one_line_and_its_exit_code(case, argv, plant, code, line, tmp_path,
                                                                  monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(tmp_path / "s", 1, suite(np.random.default_rng(1)))
    if plant:
        plant(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert re.search(line, err.strip(), re.M) and len(err.strip().splitlines()) <= 1, err
    assert (tmp_path / "out" / "report.md").is_file() == (code == 0)


def test_a_run_whose_frameworks_are_null_reads_as_versions_unknown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(tmp_path / "s", 1, suite(np.random.default_rng(1)), machine={**MACHINE, "frameworks": None})
    assert main(["--storage", "s", "--out", "out"]) == 0
    assert "| version | TF ? / Keras ? | torch ? |" in capsys.readouterr().out
    save(tmp_path / "s", 2, suite(np.random.default_rng(2)))  # the control: versions saved, versions shown
    assert main(["--storage", "s", "--out", "out"]) == 0
    assert "| version | TF 2.21.0 / Keras 3.15.1 | torch 2.14.1 |" in capsys.readouterr().out


@READONLY
def test_a_history_destination_this_user_cannot_write_is_one_line_exit_3(tmp_path, capsys):
    from tfpt.report.history import main as history
    save(tmp_path / "s", 1, suite(np.random.default_rng(1)))
    assert history([str(tmp_path / "s"), "/sys/kernel"]) == 3
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert re.match(r"error: DST /sys/kernel: a folder this user can write; /sys/kernel/\.tfpt-history\.lock: "
                    r".+; fix: ", line), line
    assert history([str(tmp_path / "s"), str(tmp_path / "h")]) == 0  # the control: a writable one
