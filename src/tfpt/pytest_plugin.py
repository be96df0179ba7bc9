"""The pytest plugin (entry point `pytest11: tfpt`): its options and hooks only. What the hooks do lives in
tfpt.plugin: the run's state in a `TfptSession` registered on `config` (plugin/session.py), the marker table and
every skip it implies (plugin/markers.py), `--pair` (plugin/pairs.py), the plugin's environment variables
(plugin/env.py) and version-guarded work-arounds for other packages' internals (plugin/compat.py).

Import order: with TF 2.21 / torch 2.14.1, importing tensorflow and then anything that loads torch._dynamo
(torch.optim.Adam, torch.export, torch.compile, the dynamo ONNX exporter) segfaults inside triton's import.
pytest loads this plugin before any conftest or test module, so importing torch and torch._dynamo in its
pytest_load_initial_conftests, first, makes every test subset and order safe. Nothing here imports tensorflow: a
run of torch tests alone never loads it. A pytest-xdist controller runs no test and skips the import: 2.7 s of
start-up (torch 1.3 s + torch._dynamo 1.4 s, measured) that every `-n` run waited for before its workers started.
"""
from __future__ import annotations

import os
import random
import sys
import zlib

import numpy as np
import pytest

from tfpt import frameworks
from tfpt.frameworks import devices
from tfpt.plugin import compat, env, markers, pairs, session as tfpt_session
from tfpt.plugin.compat import NOTHING_SAVED

_NOTHING_SAVED = pytest.StashKey[bool]()  # set where a save was asked for and no benchmark ran
_NEW_STORAGE = pytest.StashKey[object]()  # pytest-benchmark's storage folder, where this run is what creates it


def pytest_addoption(parser):
    parser.addini("tfpt_tolerance_gate", type="bool", default=False,
                  help="fail a whole run in which a tolerance is more than 100x above the worst figure measured for it")
    group = parser.getgroup("tfpt", "TensorFlow vs PyTorch conformance")
    from tfpt.pair import PAIR_MEANS, PAIR_METAVAR
    group.addoption("--pair", action="append", default=[], metavar=PAIR_METAVAR,
                    help=f"{PAIR_MEANS}, checked with every generic check; repeatable")
    group.addoption("--data-dir", default=None,
                    help="folder with the four MNIST/Fashion-MNIST IDX files or a Keras npz (env TFPT_DATA_DIR)")
    group.addoption("--cache-dir", default=None, help="where verified arrays are cached (env TFPT_CACHE_DIR; "
                                                      "default .cache/data)")
    group.addoption("--allow-download", action="store_true",
                    help="let the data loader try the official mirrors (env TFPT_DOWNLOAD=1)")
    group.addoption("--bench-sleep", type=float, default=None,
                    help="test hook of the regression gate: seconds every timed benchmark body sleeps per "
                         "call (the benchmarks' `timed` fixture wraps each in tfpt.bench.planted.slowed; env "
                         "TFPT_BENCH_SLEEP)")
    group.addoption("--bench-slower", type=float, default=None,
                    help="test hook: make every timed epoch this fraction slower (0.2 = 20 %%; env "
                         "TFPT_BENCH_SLOWER), to prove the report's regression gate fires")
    group.addoption("--seeds", type=int, default=5, help="seeds per framework in the multi-seed study (slow)")
    group.addoption("--bench-epoch-rounds", type=int, default=6,
                    help="timed rounds of the epoch benchmark (6 + 6 rounds: the fewest whose Mann-Whitney p can "
                         "pass the false-discovery control over a whole run's benchmarks)")
    group.addoption("--seed", type=int, default=None,
                    help=f"base seed; each test gets seed + crc32(test id) (env TFPT_SEED; default {env.DEFAULT_SEED})")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """torch before anything can import TensorFlow (see the module's text), in every process that runs tests."""
    workers = getattr(early_config.known_args_namespace, "numprocesses", None)
    if os.environ.get("PYTEST_XDIST_WORKER") or not workers or workers == "0":
        frameworks.torch_first()


def pytest_configure(config):
    for name, text in markers.MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    try:
        session = tfpt_session.register(config, env.seed(config.getoption("seed")))
        config.option.seed = session.seed  # getoption("seed") is the base seed in use, from wherever it came
        _export_choices(config)
    except env.EnvError as exc:
        raise pytest.UsageError(str(exc)) from None
    pairs.select(config, session)
    _benchmarks_on_when_saving(config)
    storage = compat.benchmark_storage_folder(config)  # before pytest-benchmark's (trylast) configure makes it
    if storage is not None and not os.path.lexists(storage):
        config.stash[_NEW_STORAGE] = storage
    _divide_cores(config)
    compat.register_nodeid_shim(config)


def _export_choices(config) -> None:
    """Options and variables checked, then handed on through the environment (worker processes inherit them)."""
    for opt, name in (("data_dir", "TFPT_DATA_DIR"), ("cache_dir", "TFPT_CACHE_DIR")):
        if config.getoption(opt):
            os.environ[name] = str(config.getoption(opt))
    if env.switch("TFPT_DOWNLOAD") or config.getoption("allow_download"):
        os.environ["TFPT_DOWNLOAD"] = "1"
    for opt, name in (("bench_sleep", "TFPT_BENCH_SLEEP"), ("bench_slower", "TFPT_BENCH_SLOWER")):
        value = env.seconds(name, config.getoption(opt))
        if config.getoption(opt) is not None:
            os.environ[name] = str(value)
    env.at_least("--seeds", config.getoption("seeds"), 1)
    env.at_least("--bench-epoch-rounds", config.getoption("bench_epoch_rounds"), 1)


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


def _divide_cores(config) -> None:
    """Under pytest-xdist each worker gets cores // workers compute threads (torch now, TensorFlow and child
    processes through the environment): N workers each running every core's worth of threads oversubscribe the
    machine (-n 16 on 16 cores measured no faster than serial)."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if not tfpt_session.is_xdist_worker(config) or count < 2:
        return
    from tfpt.procs import thread_env
    n = max(1, (os.cpu_count() or 1) // count)
    os.environ.update(thread_env(n))
    for torch in frameworks.loaded("torch"):
        torch.set_num_threads(n)


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config, machine_info):
    """Saved runs carry the framework versions and devices next to pytest-benchmark's CPU info."""
    machine_info["frameworks"] = frameworks.versions()
    machine_info["devices"] = devices.describe()
    machine_info["tox_env"] = os.environ.get("TOX_ENV_NAME")


def pytest_report_header(config):
    v = frameworks.versions()
    return ["frameworks: " + ", ".join(f"{k} {v[k]}" for k in sorted(v)),
            f"seed: {tfpt_session.of(config).seed} (per test: seed + crc32(nodeid)); devices: {devices.describe()}"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks added here
def pytest_collection_modifyitems(config, items):
    if tfpt_session.is_xdist_worker(config) or config.pluginmanager.hasplugin("xdist"):
        markers.add_xdist_groups(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Every runtime condition becomes a skip with its reason here, from the test's markers (plugin/markers.py)."""
    reason = markers.skip_reason(item)
    if reason:
        pytest.skip(reason)


def pytest_generate_tests(metafunc):
    if "model_pair" in metafunc.fixturenames:
        pairs.parametrize(metafunc, pairs.selected(tfpt_session.of(metafunc.config)))


@pytest.fixture(autouse=True)
def seed(request) -> int:
    """Seed every RNG in reach per test: base seed + crc32(nodeid), so any failure replays with --seed."""
    value = (tfpt_session.of(request.config).seed + zlib.crc32(request.node.nodeid.encode())) % 2**31
    random.seed(value)
    np.random.seed(value)
    for torch in frameworks.loaded("torch"):
        torch.manual_seed(value)
    for tf in frameworks.loaded("tf"):
        tf.random.set_seed(value)
    return value


@pytest.fixture(scope="session")
def measurements(pytestconfig) -> dict:
    """Figures tests measure (max |Δ| per layer, drifts, ...): printed at the end and saved to
    reports/measurements-<tox env or main>.json with the versions, for the report."""
    return tfpt_session.of(pytestconfig).figures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    """While the tests run, every passing assert_close with a table entry reports its figure to the session. After
    the last test: each entry against the worst figure measured for it; an entry more than 100x looser than its
    measurement is an error line and counts as a failure, so the run exits 1."""
    from tfpt.compare import recording
    state = tfpt_session.of(session.config)
    with recording(state.record_tolerance):
        yield
    errors = state.close_tolerances()
    if errors:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.ensure_newline()
            tr.write_sep("=", "tfpt: loose tolerances", red=True)
            for line in errors:
                tr.write_line(f"ERROR {line}", red=True)
        session.testsfailed += len(errors)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Controller side of pytest-xdist: merge a finished worker's figures."""
    raw = getattr(node, "workeroutput", {}).get("tfpt")
    if raw:
        tfpt_session.of(node.config).merge_worker(raw)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """An xdist worker hands its figures to the controller; a save with no benchmark run is one plain line, not
    pytest-benchmark's warning (an error under warnings-as-errors: compat.drop_empty_save)."""
    if tfpt_session.is_xdist_worker(session.config):
        session.config.workeroutput["tfpt"] = tfpt_session.of(session.config).worker_output()
    bs = getattr(session.config, "_benchmarksession", None)
    if compat.drop_empty_save(bs, compat.installed_version("pytest-benchmark")):
        session.config.stash[_NOTHING_SAVED] = True
    yield


def pytest_terminal_summary(terminalreporter):
    tfpt_session.of(terminalreporter.config).write_figures(terminalreporter)
    if terminalreporter.config.stash.get(_NOTHING_SAVED, False):
        terminalreporter.write_line(NOTHING_SAVED)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """The process's last act before it exits: a process holding TensorFlow, torch and the built models spent 2.0 s
    of its exit in the garbage collector's final passes; with every live object frozen first, 0.3 s (measured,
    twice each). Every `pytest -n` run waited for that at its end. Only where the process ends with pytest (an
    xdist worker, the pytest command): an in-process pytest.main() caller keeps its collector as it was. Before
    that, pytest-benchmark's storage folder goes where this run created it and left it empty (compat)."""
    compat.remove_if_created_empty(config.stash.get(_NEW_STORAGE, None))  # type: ignore[arg-type]
    command = os.path.basename(sys.argv[0]) in ("pytest", "py.test") or \
        sys.argv[0].endswith(os.path.join("pytest", "__main__.py"))
    if tfpt_session.is_xdist_worker(config) or command:
        import gc
        gc.freeze()
