"""The report on made-up pytest-benchmark storage (tests/report_runs.py; nothing here times anything): malformed
runs skipped with a warning naming file and field, bad options refused in one line with exit 2 and nothing
written, the gate (yardstick ratio, Benjamini-Hochberg, peak-RSS bound) on unchanged re-runs, planted slowdowns
and machine drift, history copies that cannot be half-written, and the web page in a real headless browser."""
import json
import shutil

import numpy as np
import pytest

from tests.report_runs import MACHINE, bench, save, suite
from tfpt.report.__main__ import main
from tfpt.report.history import sync
from tfpt.report.regressions import compare_runs, factor_for
from tfpt.report.storage import load_runs, newest_pairs


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def away_from_the_repository(tmp_path, monkeypatch):
    """The report also reads ./reports/measurements-*.json (each env's conformance figures): run every test in an
    empty folder, so that what the repository's last test or tox run left there cannot change a result."""
    monkeypatch.chdir(tmp_path)


def report(tmp_path, *args):
    """Run the report on tmp_path/s; returns (exit code, report.json or None)."""
    code = main(["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out"), *args])
    doc = tmp_path / "out" / "report.json"
    return code, json.loads(doc.read_text()) if doc.exists() else None


def flagged(doc) -> set:
    return {v["name"].split("::")[-1] for v in doc["verdicts"] if v["regressed"]}


# ---- malformed runs: (case, how to break a good run, the field the warning must name) ----
MALFORMED = [
    ("string benchmark entry", lambda d: d["benchmarks"].__setitem__(1, "oops"), "benchmarks[1]"),
    ("integer datetime", lambda d: d.__setitem__("datetime", 20261128), "datetime"),
    ("no stats", lambda d: d["benchmarks"][0].pop("stats"), "benchmarks[0].stats"),
    ("string median", lambda d: d["benchmarks"][2]["stats"].__setitem__("median", "1.0"), "benchmarks[2].stats.median"),
    ("memory entry without RSS", lambda d: d["benchmarks"][-1]["extra_info"].pop("peak_rss_mb"),
     "benchmarks[12].extra_info.peak_rss_mb"),
    ("string in raw rounds", lambda d: d["benchmarks"][3]["stats"]["data"].__setitem__(0, "x"),
     "benchmarks[3].stats.data[0]"),
    ("NaN mean", lambda d: d["benchmarks"][4]["stats"].__setitem__("mean", float("nan")), "benchmarks[4].stats.mean"),
    ("extra_info a list", lambda d: d["benchmarks"][5].__setitem__("extra_info", []), "benchmarks[5].extra_info"),
    ("benchmarks an object", lambda d: d.__setitem__("benchmarks", {}), "benchmarks"),
    ("no benchmark name", lambda d: d["benchmarks"][6].pop("name"), "benchmarks[6].name"),
]


@pytest.mark.parametrize("case, breaks, field", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_run_is_skipped_with_a_warning_naming_file_and_field(tmp_path, rng, capsys, case, breaks, field):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng))
    expected, _ = report(tmp_path)
    bad = save(tmp_path / "s", 3, suite(rng))
    doc = json.loads(bad.read_text())
    breaks(doc)
    bad.write_text(json.dumps(doc))
    capsys.readouterr()
    code, out = report(tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert code == expected == 0 and str(bad) not in out["runs"]
    assert len(warnings) == 1 and bad.name in warnings[0] and f"field {field}:" in warnings[0], warnings


def test_truncated_file_is_skipped_with_a_warning_naming_it(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    (tmp_path / "s" / "0002_truncated.json").write_text('{"datetime": "2026-11-28T00:00:02", "bench')
    warnings = []
    assert len(load_runs(tmp_path / "s", warn=warnings.append)) == 1
    assert len(warnings) == 1 and "0002_truncated.json" in warnings[0] and "field (whole file)" in warnings[0]


BAD_OPTIONS = [["--factor", "nan"], ["--factor", "inf"], ["--factor", "-1"], ["--factor", "0"],
               ["--alpha", "0"], ["--alpha", "1"], ["--alpha", "2"], ["--rss-bound", "-0.1"], ["--factor", "ten"]]


@pytest.mark.parametrize("option", BAD_OPTIONS, ids=" ".join)
def test_bad_option_is_one_line_exit_2_and_nothing_written(tmp_path, rng, capsys, option):
    save(tmp_path / "s", 1, suite(rng))
    with pytest.raises(SystemExit) as exc:
        report(tmp_path, *option)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and option[0] in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_out_a_file_is_one_line_exit_2_before_any_work(tmp_path, capsys):
    (tmp_path / "out").write_text("mine")
    with pytest.raises(SystemExit) as exc:  # the storage does not even exist: --out is checked first
        report(tmp_path)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "is a file" in err
    assert (tmp_path / "out").read_text() == "mine"


def test_help_exits_0_with_defaults_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    text = capsys.readouterr().out
    flat = " ".join(text.split())  # argparse wraps the help
    assert exc.value.code == 0 and "default: 0.02" in flat and "pair-*, export-*, latency: 60 %" in flat
    assert all(f"  {c}  " in text for c in range(5)) and "  5  " not in text


@pytest.mark.parametrize("files, code, says", [(None, 4, "nothing to compare"), ({"a.json": "[]"}, 3, "none of its 1")])
def test_no_runs_at_all_and_only_broken_runs(tmp_path, capsys, files, code, says):
    for name, text in (files or {}).items():
        (tmp_path / "s").mkdir(exist_ok=True)
        (tmp_path / "s" / name).write_text(text)
    assert report(tmp_path) == (code, None)
    assert says in capsys.readouterr().err and not (tmp_path / "out").exists()


# ---- the gate ----
def test_unchanged_reruns_give_no_regression(tmp_path, rng):
    codes, verdicts = [], []
    for n in (1, 2, 3):
        save(tmp_path / "s", n, suite(rng))
        code, doc = report(tmp_path)
        codes.append(code)
        verdicts += doc["verdicts"]
    assert codes == [0, 0, 0] and len(verdicts) == 26 and not flagged({"verdicts": verdicts})


def test_planted_10ms_per_call_slowdown_is_flagged(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, add=0.010))  # --bench-sleep 0.01: every body, the yardstick too
    code, doc = report(tmp_path)
    assert code == 1
    assert {"test_step[tf-cpu]", "test_step[torch-cpu]", "test_latency[tf-cpu]", "test_latency[torch-cpu]",
            "test_throughput[tf-cpu]", "test_throughput[torch-cpu]"} <= flagged(doc)
    assert not any("epoch" in name for name in flagged(doc))  # 10 ms on an 8 s epoch is below the factor


@pytest.mark.parametrize("slower, regressed", [(1.4, False), (2.0, True)])
def test_batch_1_latency_is_gated_above_its_measured_rerun_spread(tmp_path, rng, slower, regressed):
    """Unchanged re-runs moved batch-1 calls by up to 1.44x on both bases here (regressions.FACTORS): a 1.4x move
    is not a regression, a call twice as slow is; the other benchmarks keep the 10 % factor."""
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, slower={"test_latency[tf-cpu]": slower, "test_step[tf-cpu]": 1.4}))
    code, doc = report(tmp_path)
    assert ("test_latency[tf-cpu]" in flagged(doc)) is regressed and "test_step[tf-cpu]" in flagged(doc)
    assert code == 1


def test_planted_20_percent_slower_epoch_is_flagged(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, slower={"test_epoch[tf-cpu-as-written]": 1.2}))
    code, doc = report(tmp_path)
    assert code == 1 and flagged(doc) == {"test_epoch[tf-cpu-as-written]"}
    assert "REGRESSION" in (tmp_path / "out" / "report.md").read_text()


def test_machine_drift_is_not_a_regression_thanks_to_the_yardstick(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, scale=1.3))  # everything, the matmul too, 30 % slower
    code, doc = report(tmp_path)
    assert code == 0 and not flagged(doc)
    assert {v["basis"] for v in doc["verdicts"] if v["quantity"] in ("epoch", "step")} == {"÷ matmul beside rounds"}
    before, after = load_runs(tmp_path / "s")  # the same runs gated on raw seconds: flagged (the test can fail)
    verdicts = compare_runs(before, after, basis="seconds")
    below = [v for v in verdicts if v.quantity not in ("peak", "memory") and factor_for(v.quantity, None) < 0.3]
    assert len(below) >= 8 and all(v.regressed for v in below)  # every time whose factor is under the drift


def test_noise_of_the_yardstick_alone_is_not_a_regression(rng, tmp_path):
    """Measured on unchanged re-runs here: the workloads' seconds stayed within 10 % while the yardstick samples
    beside them ran up to 30 % faster. On the ratio alone those read as regressions; on both, not."""
    save(tmp_path / "s", 1, suite(rng))
    runs = suite(rng)
    for b in runs:
        b["extra_info"]["yardstick_s"] = [0.7 * y for y in b["extra_info"].get("yardstick_s", [])]
    save(tmp_path / "s", 2, runs)
    assert not any(v.regressed for v in compare_runs(*load_runs(tmp_path / "s")))
    assert sum(v.regressed for v in compare_runs(*load_runs(tmp_path / "s"), basis="yardstick")) >= 6


def test_false_discovery_control_over_20_unchanged_benchmarks(tmp_path, rng):
    """Unchanged runs and a factor so small that only the p-values decide: raw p < 0.05 flags some of the 20
    (what a per-test gate would report), Benjamini-Hochberg none."""
    names = [f"b{i}" for i in range(20)]
    for n in (1, 2):
        save(tmp_path / "s", n, [bench(x, 1.0 + 0.02 * rng.standard_normal(30)) for x in names])
    verdicts = compare_runs(*load_runs(tmp_path / "s"), factor=1e-6)
    assert sum(v.p_value < 0.05 and v.ratio > 1 for v in verdicts) >= 1
    assert sum(v.regressed for v in verdicts) == 0


@pytest.mark.parametrize("grow, regressed", [(1.005, False), (1.05, True)])
def test_peak_rss_is_gated_by_its_bound(tmp_path, rng, grow, regressed):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, rss=grow))
    code, doc = report(tmp_path)
    rss = [v for v in doc["verdicts"] if v["quantity"] == "memory"]
    assert len(rss) == 2 and all(v["regressed"] == regressed for v in rss) and code == int(regressed)


def test_too_few_rounds_are_reported_not_guessed(tmp_path):
    save(tmp_path / "s", 1, [bench("b", [1.0, 1.0])])
    save(tmp_path / "s", 2, [bench("b", [2.0, 2.0])])
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.p_value is not None and not v.regressed and "no p < 0.05 is possible" in v.note


def test_big_but_insignificant_change_is_not(tmp_path):
    save(tmp_path / "s", 1, [bench("b", [1.0, 3.0, 1.0, 3.0, 1.0, 3.0])])
    save(tmp_path / "s", 2, [bench("b", [1.5, 3.5, 1.0, 3.0, 1.0, 3.0])])
    (v,) = compare_runs(*load_runs(tmp_path / "s"))
    assert v.ratio > 1.1 and not v.regressed


# ---- history ----
def test_only_runs_of_the_same_machine_versions_and_env_are_compared(tmp_path, rng):
    other = dict(MACHINE, node="box-2")
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, add=0.01), machine=other)  # slow, but another machine: its first run
    save(tmp_path / "s", 3, suite(rng), machine=dict(MACHINE, tox_env="tf219-torch214"))
    save(tmp_path / "s", 4, suite(rng))
    code, doc = report(tmp_path)
    assert code == 0 and {(v["before_run"][-17:], v["after_run"][-17:]) for v in doc["verdicts"]} == {
        ("0001_c0ffee1.json", "0004_c0ffee4.json")}


def test_machine_cpu_compares_runs_of_renamed_hosts(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, add=0.01), machine=dict(MACHINE, node="runner-7f3a"))
    assert report(tmp_path)[0] == 0  # by host name: a first run, nothing to compare
    assert report(tmp_path, "--machine", "cpu")[0] == 1


def test_a_matrix_batch_gates_every_env_of_the_newest_commit(tmp_path, rng):
    env = dict(MACHINE, tox_env="tf219-torch214")
    save(tmp_path / "s", 1, suite(rng), commit="a")
    save(tmp_path / "s", 2, suite(rng), machine=env, commit="a")
    save(tmp_path / "s", 3, suite(rng, add=0.01), machine=env, commit="b", commit_info={"id": "same"})
    save(tmp_path / "s", 4, suite(rng), commit="b", commit_info={"id": "same"})
    pairs = {(b.path.name, n.path.name) for b, n in newest_pairs(load_runs(tmp_path / "s"))}
    assert pairs == {("0001_a1.json", "0004_b4.json"), ("0002_a2.json", "0003_b3.json")}
    assert report(tmp_path)[0] == 1  # the slowed env is gated although its run is not the newest


def test_history_sync_never_overwrites_and_leaves_no_temp_files(tmp_path, rng):
    first = save(tmp_path / "a", 1, suite(rng))
    assert len(sync(tmp_path / "a", tmp_path / "h")) == 1 and sync(tmp_path / "a", tmp_path / "h") == []
    first.write_text(first.read_text().replace("box-1", "box-9"))  # same name, other content
    assert len(sync(tmp_path / "a", tmp_path / "h")) == 1
    kept = sorted(p.name for p in (tmp_path / "h").rglob("*") if p.is_file())
    assert kept == [".tfpt-history.lock", "0001_c0ffee1-1.json", "0001_c0ffee1.json"]
    assert "box-1" in (tmp_path / "h" / first.parent.name / first.name).read_text()


# ---- the web page ----
def test_html_is_self_contained(tmp_path, rng):
    for n in (1, 2):
        save(tmp_path / "s", n, suite(rng))
    report(tmp_path)
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in page and "<style>" in page and "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert 'src="' not in page and "url(" not in page


def test_html_in_a_headless_browser_shows_the_json_numbers(tmp_path, rng):
    browser_path = shutil.which("chromium")
    if not browser_path:
        pytest.skip("no chromium installed (apt-get install chromium); .ci/run installs it")
    sync_playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed").sync_playwright
    for n in (1, 2):
        save(tmp_path / "s", n, suite(rng, slower={"test_step[tf-cpu]": 1.5 if n == 2 else 1.0}))
    code, doc = report(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        shown = page.eval_on_selector_all("[data-key]", "els => els.map(e => [e.dataset.key, e.textContent])")
        bare = page.eval_on_selector_all("td", "els => els.filter(e => /^[-+]?[0-9.]+(e[-+]?[0-9]+)?$/"
                                               ".test(e.textContent.trim()) && !e.querySelector('[data-key]'))"
                                               ".map(e => e.textContent)")
        plots = page.locator("svg circle").count()
        first = page.locator("section").first.inner_text().splitlines()  # the first screen: the answers
        browser.close()
    assert first[0] == "TF vs PyTorch, and regressions" and first[1].startswith("epoch time, as written: TensorFlow")
    assert any(line.startswith("regressions: 1 of 13 gated; worst: benchmarks/x.py::test_step[tf-cpu]")
               for line in first), first
    assert errors == [] and bare == [] and plots >= 2 * 13
    assert {k for k, _ in shown} == set(doc["figures"]) and len(shown) > 60
    for key, text in shown:  # equal to the JSON's value to the digits shown
        digits = len(text.split("e")[0].lstrip("-+").replace(".", "").lstrip("0")) or 1
        assert float(text) == pytest.approx(doc["figures"][key], rel=0.51 * 10 ** (1 - digits)), key
    assert doc["figures"]["study.epoch_s.tf"] == doc["study"]["study.epoch_s.tf"] and code == 1


def test_inference_table_sets_every_export_runtime_beside_the_in_memory_models(tmp_path, rng):
    exported = [bench(f"test_export_runtime[onnx-torch-{q}]", 0.001 * (1 + 0.01 * rng.standard_normal(20)), q,
                      "torch", format="onnx-torch", runtime="onnxruntime", flops=7.8e9) for q in
                ("export-latency", "export-throughput")]
    save(tmp_path / "s", 1, suite(rng) + exported)
    code, doc = report(tmp_path)
    md = (tmp_path / "out" / "report.md").read_text()
    assert code == 0 and "| PyTorch | onnx-torch | onnxruntime |" in md and "| PyTorch | in memory, as-written |" in md
    figures = doc["figures"]
    assert figures["inference.PyTorch.onnx-torch.latency_ms"] == pytest.approx(1.0, rel=0.05)
    assert figures["inference.PyTorch.in memory, as-written.latency_ms"] == pytest.approx(0.4, rel=0.05)
    assert figures["inference.TensorFlow.in memory, as-written.throughput_ms"] == pytest.approx(50, rel=0.05)


@pytest.mark.parametrize("order", ["float32 first", "bfloat16 first"])
def test_the_bfloat16_step_is_never_read_as_the_float32_step(tmp_path, rng, order):
    """test_step's dtype axis: both cases are mode `as-written`; the bfloat16 one (4 ms) must keep its own row, plot
    and version-table line, whatever the order the run saved them in (a tox run once showed it as the step)."""
    steps = [bench(f"test_step[tf-cpu-{dt}]", s * (1 + 0.01 * rng.standard_normal(50)), "step", "tf", dtype=dt,
                   flops=7.3e8) for dt, s in (("float32", 0.005), ("bfloat16", 0.004))]
    base = [b for b in suite(rng) if not b["name"].startswith("test_step[tf")]
    save(tmp_path / "s", 1, base + (steps if order == "float32 first" else steps[::-1]))
    code, _ = report(tmp_path)
    md = (tmp_path / "out" / "report.md").read_text()
    assert code == 0 and "| step TensorFlow (ms) | 5 |" in md, md[md.index("## Versions"):][:800]
    assert "| step | as-written, bfloat16 | TensorFlow |" in md and "| step | as-written | TensorFlow |" in md
    assert "step: TensorFlow cpu (as-written, bfloat16)" in md and "step: TensorFlow cpu)" not in md


def test_the_version_table_sets_each_runs_matmul_beside_its_figures(tmp_path, rng):
    """Each env of a tox matrix is timed alone, minutes apart: its seconds are read beside its own yardstick."""
    env = {**MACHINE, "frameworks": {"tensorflow": "2.15.1", "keras": "2.15.0", "torch": "2.13.0"}, "tox_env": "old"}
    save(tmp_path / "s", 1, suite(rng), folder="a")
    save(tmp_path / "s", 2, suite(rng, scale=1.5), machine=env, folder="b")
    code, doc = report(tmp_path)
    md = (tmp_path / "out" / "report.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| float32 2048³ matmul, the run's yardstick"))
    old, new = (float(c) for c in row.split("|")[2:4])  # columns sorted by version: TF 2.15 first
    assert code == 0 and old == pytest.approx(255, rel=0.05) and new == pytest.approx(170, rel=0.05), row
    assert any("float32 2048³ matmul (yardstick)" in k for k in doc["figures"]), sorted(doc["figures"])[:5]


# ---- the answers first ----
def test_the_report_opens_with_the_verdicts_then_the_tables(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    save(tmp_path / "s", 2, suite(rng, slower={"test_epoch[tf-cpu-as-written]": 1.2}))
    code, doc = report(tmp_path)
    title, answers = (tmp_path / "out" / "report.md").read_text().split("\n\n")[:2]
    answers = answers.splitlines()
    assert code == 1 and title == "# Benchmark report" and answers[0].startswith("- **epoch time, as written**")
    assert "TF / PyTorch 1.8" in answers[0] and "[" in answers[0] and answers[0].endswith("PyTorch faster")
    assert any(a.startswith("- **peak RSS**") for a in answers)
    assert answers[-1].startswith("- **regressions: 1** of 13 gated; worst: benchmarks/x.py::test_epoch[tf-cpu-as-"
                                  "written], 1.2"), answers


def test_no_regression_and_a_first_run_say_so_in_the_first_lines(tmp_path, rng):
    save(tmp_path / "s", 1, suite(rng))
    report(tmp_path)
    assert "- **regressions: not gated**" in (tmp_path / "out" / "report.md").read_text().split("\n\n")[1]
    save(tmp_path / "s", 2, suite(rng))
    report(tmp_path)
    assert "- **regressions: none** (13 benchmarks gated)" in (tmp_path / "out" / "report.md").read_text()


def test_rows_of_what_a_run_did_not_measure_are_left_out(tmp_path, rng):
    inference_only = [b for b in suite(rng) if b["extra_info"]["quantity"] in ("latency", "throughput", "peak")]
    save(tmp_path / "s", 1, inference_only)
    assert report(tmp_path)[0] == 0
    md, page = ((tmp_path / "out" / name).read_text() for name in ("report.md", "report.html"))
    assert "not measured" not in md and "not measured" not in page
    assert "no training or memory benchmark of both frameworks" in md.split("\n\n")[1]
    assert "the study's table has nothing to show" in md and "the study's table has nothing to show" in page


def test_times_print_in_the_unit_their_size_suits(tmp_path, rng):
    from tfpt.report.tables import duration
    assert [duration(s) for s in (0.0008696, 0.0123, 0.17, 12.34)] == ["870 µs", "12.3 ms", "170 ms", "12.3 s"]
    for n in (1, 2):
        save(tmp_path / "s", n, suite(rng))
    report(tmp_path)
    md = (tmp_path / "out" / "report.md").read_text()
    assert " ms | " in md and not __import__("re").search(r"\| 0\.0\d* s \|", md), md[md.index("## Regressions"):]


def test_the_version_table_has_a_row_per_keras_backend_from_each_envs_measurements(tmp_path):
    """Keras on torch runs in every env with Keras 3 and torch: its conformance figure is a row of the version
    table, in the column of the env that measured it, and an env that did not run it shows '-'."""
    from tfpt.report.tables import version_table
    folder = tmp_path / "reports"
    folder.mkdir()
    for env, tf, keras, figures in (
            ("tf221-torch214", "2.21.0", "3.15.1", {"keras backend keras-torch pair spec forward max |Δ|": {
                "vs Keras on TensorFlow": 3.0e-7, "vs PyTorch": 1.2e-6}}),
            ("tf219-torch214", "2.19.1", "3.15.1", {"pair spec forward max |Δ| tf->torch": {"logits": 1e-6}})):
        (folder / f"measurements-{env}-gw0.json").write_text(json.dumps(
            {"env": env, "versions": {"tensorflow": tf, "keras": keras, "torch": "2.14.1"}, "figures": figures}))
    md = version_table([], folder)
    row = next(line for line in md.splitlines() if "Keras on PyTorch vs PyTorch" in line)
    assert [c.strip() for c in row.split("|")[2:4]] == ["-", "1.2e-06"], md
    assert "| TF 2.21.0 / Keras 3.15.1 / torch 2.14.1 (tf221-torch214) |" in md.splitlines()[0] + " |", md
    assert not any("Keras on JAX" in line for line in md.splitlines()), md  # measured nowhere: left out
