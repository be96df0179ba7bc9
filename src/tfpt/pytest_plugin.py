"""The pytest plugin (entry point `pytest11: tfpt`): options, markers turned into skips with reasons, per-test
seeds, the measured-figures record, the benchmark machine info, and `--pair module:attr` for a user's own pair.

Import order: with TF 2.21 / torch 2.14.1, importing tensorflow and then anything that loads torch._dynamo
(torch.optim.Adam, torch.export, torch.compile, the dynamo ONNX exporter) segfaults inside triton's import.
pytest loads this plugin before any conftest or test module, so importing torch and torch._dynamo in its
pytest_load_initial_conftests, first, makes every test subset and order safe. Nothing here imports tensorflow: a
run of torch tests alone never loads it. A pytest-xdist controller runs no test and skips the import: 2.7 s of
start-up (torch 1.3 s + torch._dynamo 1.4 s, measured) that every `-n` run waited for before its workers started.
"""
from __future__ import annotations

import json
import os
import random
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from tfpt import frameworks
from tfpt.adapters import devices

MARKERS = {
    "tf": "needs TensorFlow (skipped with a reason where it is not installed)",
    "torch": "needs PyTorch (skipped with a reason where it is not installed)",
    "gpu": "runs on a GPU (skipped with a reason naming the missing device)",
    "cpu": "runs on the CPU",
    "slow": "minutes of training on full data; deselect with -m \"not slow\"",
    "benchmark": "a timing/memory benchmark (pytest-benchmark); never run under xdist",
    "data": "the data loader's own tests on the full real datasets",
    "train": "trains a model on a full real dataset first (tens of seconds per framework)",
    "exports": "exports of an untrained pair other than the quick tier's, reloaded in fresh deployer processes",
    "long": ("a long-horizon check (runs of 100 optimizer steps per framework, or all 10,000 test images through"
             " both models): in the default run, not the quick tier"),
    "cli": ("runs the suite's commands in subprocesses (bad inputs, the headline commands, the comparison's workers,"
            " a whole pytest session): not in the quick tier"),
}


def pytest_addoption(parser):
    parser.addini("tfpt_tolerance_gate", type="bool", default=False,
                  help="fail a whole run in which a tolerance is more than 100x above the worst figure measured for it")
    group = parser.getgroup("tfpt", "TensorFlow vs PyTorch conformance")
    group.addoption("--pair", action="append", default=[], metavar="MODULE:ATTR",
                    help="check this ModelPair (e.g. mymodule:my_pair) with every generic check; repeatable")
    group.addoption("--data-dir", default=None,
                    help="folder with the four MNIST/Fashion-MNIST IDX files or a Keras npz (env TFPT_DATA_DIR)")
    group.addoption("--cache-dir", default=None, help="where verified arrays are cached (env TFPT_CACHE_DIR; "
                                                      "default .cache/data)")
    group.addoption("--allow-download", action="store_true", help="let the data loader try the official mirrors")
    group.addoption("--bench-sleep", type=float, default=None,
                    help="test hook: add this many seconds to every benchmarked body (env TFPT_BENCH_SLEEP), "
                         "to prove the report's regression gate fires")
    group.addoption("--bench-slower", type=float, default=None,
                    help="test hook: make every timed epoch this fraction slower (0.2 = 20 %%; env "
                         "TFPT_BENCH_SLOWER), to prove the report's regression gate fires")
    group.addoption("--seeds", type=int, default=5, help="seeds per framework in the multi-seed study (slow)")
    group.addoption("--bench-epoch-rounds", type=int, default=6,
                    help="timed rounds of the epoch benchmark (6 + 6 rounds: the fewest whose Mann-Whitney p can "
                         "pass the false-discovery control over a whole run's benchmarks)")
    group.addoption("--seed", type=int, default=int(os.environ.get("TFPT_SEED", "1234")),
                    help="base seed; each test gets seed + crc32(test id) (env TFPT_SEED)")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """torch before anything can import TensorFlow (see the module's text), in every process that runs tests."""
    workers = getattr(early_config.known_args_namespace, "numprocesses", None)
    if os.environ.get("PYTEST_XDIST_WORKER") or not workers or workers == "0":
        frameworks.torch_first()


def pytest_configure(config):
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _select_pairs(config)
    for opt, env in (("data_dir", "TFPT_DATA_DIR"), ("cache_dir", "TFPT_CACHE_DIR")):
        if config.getoption(opt):
            os.environ[env] = str(config.getoption(opt))  # worker processes inherit the choice
    if config.getoption("allow_download"):
        os.environ["TFPT_DOWNLOAD"] = "1"
    for opt, env in (("bench_sleep", "TFPT_BENCH_SLEEP"), ("bench_slower", "TFPT_BENCH_SLOWER")):
        if config.getoption(opt) is not None:
            os.environ[env] = str(config.getoption(opt))
    _benchmarks_on_when_saving(config)
    _divide_cores(config)
    if _is_xdist_worker(config) and config.getvalue("loadgroup"):
        config.pluginmanager.register(_LoadGroupNodeIds(), "tfpt-loadgroup-nodeids")


def _benchmarks_on_when_saving(config):
    """pytest.ini disables timing (--benchmark-disable: each benchmark body runs once, so none can rot). Asking
    to save, compare or dump results means timing is wanted: switch it back on, and keep the raw rounds (the
    report's significance test needs them). Runs before pytest-benchmark's own (trylast) configure."""
    opt = config.option
    if not hasattr(opt, "benchmark_disable"):
        return
    if any(getattr(opt, name, None) for name in ("benchmark_autosave", "benchmark_save", "benchmark_json",
                                                 "benchmark_compare", "benchmark_only")):
        opt.benchmark_enable = True
        opt.benchmark_save_data = True


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config, machine_info):
    """Saved runs carry the framework versions and devices next to pytest-benchmark's CPU info."""
    machine_info["frameworks"] = frameworks.versions()
    machine_info["devices"] = devices.describe()
    machine_info["tox_env"] = os.environ.get("TOX_ENV_NAME")


def pytest_report_header(config):
    v = frameworks.versions()
    return [f"frameworks: " + ", ".join(f"{k} {v[k]}" for k in sorted(v)),
            f"seed: {config.getoption('seed')} (per test: seed + crc32(nodeid)); devices: {devices.describe()}"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks added here
def pytest_collection_modifyitems(config, items):
    """Every runtime condition becomes a skip with a reason here, and nowhere else."""
    for item in items:
        for fw in frameworks.FRAMEWORKS:
            if item.get_closest_marker(fw) and not frameworks.installed(fw):
                item.add_marker(pytest.mark.skip(reason=frameworks.missing_reason(fw)))
        if item.get_closest_marker("gpu"):
            needs = [fw for fw in frameworks.FRAMEWORKS if item.get_closest_marker(fw)] or ["torch"]
            for fw in needs:
                reason = devices.gpu_missing_reason(fw)
                if reason:
                    item.add_marker(pytest.mark.skip(reason=reason))
                    break
    if _is_xdist_worker(config) or config.pluginmanager.hasplugin("xdist"):  # workers register it otherwise
        _xdist_groups(items)


def _xdist_groups(items) -> None:
    """Tests that share a session cache go to one xdist worker under `--dist loadgroup`: a model pair's generic
    checks (built, matched and compared once per process) and the tests of one framework's trained model. A
    pair's exports form a group of their own (all formats are exported and deployed together, once per process),
    so they can run beside the pair's other checks."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        pair = params.get("model_pair")
        if pair is not None:
            kind = "exports" if "pair_format" in params else "pair"
            item.add_marker(pytest.mark.xdist_group(name=f"{kind}-{pair.name}"))
        elif item.get_closest_marker("train") and params.get("fw") in frameworks.FRAMEWORKS:
            item.add_marker(pytest.mark.xdist_group(name=f"trained-{params['fw']}"))


@pytest.fixture(autouse=True)
def seed(request) -> int:
    """Seed every RNG in reach per test: base seed + crc32(nodeid), so any failure replays with --seed."""
    value = (request.config.getoption("seed") + zlib.crc32(request.node.nodeid.encode())) % 2**31
    random.seed(value)
    np.random.seed(value)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(value)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(value)
    return value


_MEASURED: dict = {}


@pytest.fixture(scope="session")
def measurements() -> dict:
    """Figures tests measure (max |Δ| per layer, drifts, ...): printed at the end and saved to
    reports/measurements-<tox env or main>-<xdist worker>.json with the versions, for the report."""
    return _MEASURED


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _write_measurements(terminalreporter):
    """The controller (or a run without xdist) prints and saves the figures of the whole run: an xdist worker
    sends its figures to the controller instead (pytest_testnodedown), so one file holds them all and no
    per-worker file from an earlier run with more workers is left behind."""
    if not _MEASURED or _is_xdist_worker(terminalreporter.config):
        return
    from tfpt.data.datasets import atomic_write
    terminalreporter.section("measured figures")
    for key, value in _MEASURED.items():
        terminalreporter.write_line(f"{key}: {json.dumps(value, default=float)}")
    env = os.environ.get("TOX_ENV_NAME", "main")
    folder = Path(str(terminalreporter.config.rootpath)) / "reports"
    doc = {"env": env, "versions": frameworks.versions(), "figures": _MEASURED}
    atomic_write(folder / f"measurements-{env}.json", json.dumps(doc, indent=1, default=float).encode())
    for stale in folder.glob(f"measurements-{env}-*.json"):  # the per-worker files of earlier versions
        stale.unlink(missing_ok=True)


def _hand_to_controller(config) -> None:
    """An xdist worker hands its figures and the tolerance measurements to the controller."""
    from tfpt.compare import MEASURED
    config.workeroutput["tfpt"] = json.dumps(
        {"figures": _MEASURED, "tolerances": [[k, d, v] for (k, d), v in MEASURED.items()]}, default=float)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Controller side of pytest-xdist: merge a finished worker's figures (worst tolerance figure per entry)."""
    from tfpt.compare import MEASURED
    raw = getattr(node, "workeroutput", {}).get("tfpt")
    if not raw:
        return
    doc = json.loads(raw)
    for key, value in doc["figures"].items():
        if isinstance(value, dict) and isinstance(_MEASURED.get(key), dict):
            _MEASURED[key].update(value)
        else:
            _MEASURED[key] = value
    for kind, dtype, value in doc["tolerances"]:
        MEASURED[(kind, dtype)] = max(MEASURED.get((kind, dtype), 0.0), value)


class _LoadGroupNodeIds:
    """pytest-xdist 3.8 sends `--dist loadgroup` groups to one worker by appending "@group" to each test's node
    id, assigning `item._nodeid`; pytest 9.2 derives `nodeid` from `item._id` instead, so the suffix is lost and
    every group is spread like `--dist load` (measured: a 6-test group ran on both workers). On a worker, after
    every mark is added, the same suffix is written where pytest 9.2 reads it."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        try:
            from _pytest.nodeid import coerce_node_id
        except ImportError:  # an older pytest, whose nodeid xdist sets itself
            return
        for item in items:
            names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                            for m in item.iter_markers("xdist_group")})
            suffix = "@" + "_".join(names)
            if names and hasattr(item, "_id") and not item.nodeid.endswith(suffix):
                item._id = coerce_node_id(item.nodeid + suffix)


def _divide_cores(config) -> None:
    """Under pytest-xdist each worker gets cores // workers compute threads (torch now, TensorFlow and child
    processes through the environment): N workers each running every core's worth of threads oversubscribe the
    machine (-n 16 on 16 cores measured no faster than serial)."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if not _is_xdist_worker(config) or count < 2:
        return
    from tfpt.procs import thread_env
    n = max(1, (os.cpu_count() or 1) // count)
    os.environ.update(thread_env(n))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """The process's last act before it exits: a process holding TensorFlow, torch and the built models spent 2.0 s
    of its exit in the garbage collector's final passes; with every live object frozen first, 0.3 s (measured,
    twice each). Every `pytest -n` run waited for that at its end. Only where the process ends with pytest (an
    xdist worker, the pytest command): an in-process pytest.main() caller keeps its collector as it was."""
    command = os.path.basename(sys.argv[0]) in ("pytest", "py.test") or \
        sys.argv[0].endswith(os.path.join("pytest", "__main__.py"))
    if _is_xdist_worker(config) or command:
        import gc
        gc.freeze()


NOTHING_SAVED = "tfpt: nothing saved: no benchmark ran (every selected benchmark was skipped or deselected)"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """pytest-benchmark warns "Not saving anything, no benchmarks have been run!" when asked to save a run in
    which every benchmark was skipped (`pytest -m gpu --benchmark-autosave` on a machine without a GPU); with
    warnings as errors that fails the run. Nothing to save is not an error: say so in one plain line instead."""
    if _is_xdist_worker(session.config):
        _hand_to_controller(session.config)
    bs = getattr(session.config, "_benchmarksession", None)
    if bs is not None and not bs.benchmarks and (bs.save or bs.autosave or bs.json):
        bs.save = bs.autosave = bs.json = None
        session.config._tfpt_nothing_saved = True
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    """After the last test: each tolerance-table entry used by a passing assert_close vs the worst figure measured
    for it (tfpt.tolerances.loose_entries). The table goes to the measured figures; an entry more than 100x
    looser than its measurement is an error line, and counts as a failure, so the run exits 1."""
    yield
    from tfpt.compare import MEASURED
    from tfpt.tolerances import loose_entries, tightness_table
    if MEASURED:
        _MEASURED["tolerance tightness"] = tightness_table(MEASURED)
        gate = _tolerance_gate_applies(session.config) and not _is_xdist_worker(session.config)
        errors = loose_entries(MEASURED) if gate else []
        if errors:
            tr = session.config.pluginmanager.get_plugin("terminalreporter")
            if tr is not None:
                tr.ensure_newline()
                tr.write_sep("=", "tfpt: loose tolerances", red=True)
                for line in errors:
                    tr.write_line(f"ERROR {line}", red=True)
            session.testsfailed += len(errors)


def _tolerance_gate_applies(config) -> bool:
    """The gate needs the run whose figures justify the table: on where the project's ini says so
    (`tfpt_tolerance_gate = true`, this repository's pytest.ini) and the run was not narrowed to a subset by
    paths, -k or another -m than the ini's (a subset measures smaller worst figures; a user's own pair is not
    the table's evidence)."""
    return bool(config.getini("tfpt_tolerance_gate")) and not config.getoption("keyword") and \
        config.args_source != pytest.Config.ArgsSource.ARGS and not getattr(config, "_tfpt_pairs", None) and \
        config.getoption("markexpr") == _ini_markexpr(config)


def _ini_markexpr(config) -> str:
    """The marker selection the project's ini gives (`-m "not slow"` in this repository): a run with another
    one (the quick tier, `-m gpu`) is a subset, whose worst figures are not the table's evidence."""
    opts = config.getini("addopts")
    return next((opts[i + 1] for i, o in enumerate(opts[:-1]) if o == "-m"), "")


def pytest_terminal_summary(terminalreporter):
    _write_measurements(terminalreporter)
    if getattr(terminalreporter.config, "_tfpt_nothing_saved", False):
        terminalreporter.write_line(NOTHING_SAVED)


# ------------------------------------------------------------------------------------ model pairs

GENERIC_CHECKS = Path(__file__).resolve().parent / "testing" / "pair_checks.py"
# One pair's exports run in the quick tier (a broken exporter or deployer fails it in seconds); the other pairs'
# carry the `exports` marker: in the default run, out of `make quick`.
QUICK_EXPORT_PAIR = "spec"


def _select_pairs(config) -> None:
    """--pair MODULE:ATTR (repeatable) selects those pairs; without it, every registered pair is checked. With
    --pair and no test paths on the command line, pytest runs the generic checks shipped in this package, so the
    command works from any folder."""
    from tfpt.pair import PairError, load
    refs = config.getoption("pair")
    if not refs:
        config._tfpt_pairs = None
        return
    try:
        config._tfpt_pairs = [load(ref) for ref in refs]
    except PairError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(GENERIC_CHECKS)]


def selected_pairs(config) -> list:
    from tfpt.pair import registered
    chosen = getattr(config, "_tfpt_pairs", None)
    return chosen if chosen is not None else registered()


def pytest_generate_tests(metafunc):
    if "model_pair" not in metafunc.fixturenames:
        return
    pairs = selected_pairs(metafunc.config)
    if "pair_format" in metafunc.fixturenames:
        from tfpt.adapters.exports import FORMATS, framework_of
        cases = [pytest.param(p, f, marks=[getattr(pytest.mark, framework_of(f))]
                              + ([] if p.name == QUICK_EXPORT_PAIR else [pytest.mark.exports]), id=f"{p.name}-{f}")
                 for p in pairs for f in (p.formats or FORMATS)]
        metafunc.parametrize("model_pair, pair_format", cases)
    elif "pair_layer" in metafunc.fixturenames:
        from tfpt.testing.sessions import point_labels
        cases = [(p, label) for p in pairs for label in point_labels(p)]
        metafunc.parametrize("model_pair, pair_layer", cases, ids=[f"{p.name}-{label}" for p, label in cases])
    else:
        metafunc.parametrize("model_pair", pairs, ids=[p.name for p in pairs])
