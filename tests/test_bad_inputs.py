"""Every bad input is a clear error before any work starts: each row of tests/bad_input_cases.py runs its command
in a fresh process and must exit with its documented code, print the expected one-line message (never a
traceback), and leave every file as it was (nothing half-written, nothing lost). Rows of the commands that keep no
state between calls (the report, the other commands' argument checks) share one process (tests/case_group.py),
each in its own folder. Plus a property-based test: random bytes and random IDX headers fed to the IDX and npz
readers only ever raise the loader's DataError."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.bad_input_cases import CASES, FORMATS, Ctx
from tfpt.cli.exitcodes import OK
from tfpt.data import datasets
from tfpt.procs import child_env

pytestmark = pytest.mark.cli  # runs commands in subprocesses: the default run, not the quick tier

REPO = Path(__file__).resolve().parent.parent


class _Artifacts(dict):
    def __missing__(self, fmt):
        pytest.skip(f"the {fmt} artifact could not be exported here (its framework or exporter is missing)")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """The seven formats, exported once from untrained seeded models (never trained: the rows must fail first)."""
    from tfpt import frameworks
    out = _Artifacts()
    root = tmp_path_factory.mktemp("artifacts")
    from tfpt import exports
    for fw in frameworks.native():
        if frameworks.installed(fw.id):
            model, example = exports.build_for_export(fw.id, seed=0)
            for fmt in fw.formats:
                try:
                    out[fmt] = exports.export(fw.id, model, fmt, root / fmt, example).path
                except ImportError:
                    pass
    return out, root


@pytest.fixture(scope="module")
def real_raw():
    try:
        datasets.load("mnist")
    except datasets.DataError as exc:
        pytest.skip(f"MNIST is not available here: {exc}")
    return datasets.cache_paths("mnist")["x_train"].parent.resolve()


def sys_readonly() -> bool:
    try:
        fd, path = tempfile.mkstemp(dir="/sys/kernel")
    except OSError:
        return True
    import os
    os.close(fd)
    os.unlink(path)
    return False


def snapshot(*roots: Path) -> dict:
    return {p: (p.is_dir(), p.lstat().st_size if not p.is_dir() else 0, p.lstat().st_mtime_ns)
            for root in roots if root.exists() for p in [root, *root.rglob("*")]}


# Commands whose rows can share one process: no state kept between calls that a row's input changes.
# The deployer's rows that load a runtime share one process per framework runtime (TensorFlow for SavedModel and
# Keras, torch, onnxruntime, LiteRT); the others must be caught before any runtime loads, which the group checks.
GROUPED = {"tfpt.report": "tfpt.report.__main__", "tfpt.cli.compare": "tfpt.cli.compare", "tfpt.cli.tune":
           "tfpt.cli.tune", "tfpt.cli.seeds": "tfpt.cli.seeds", "tfpt.cli.overhead": "tfpt.cli.overhead",
           "tfpt.deploy": "tfpt.deploy", "tfpt.report.history": "tfpt.report.history"}
RUNTIME_GROUP = {"tensorflow": "tf", "keras": "tf", "torch": "torch", "onnxruntime": "onnxruntime",
                 "ai_edge_litert": "litert"}


def group_of(case) -> str | None:
    """The process a row runs in: "checks" (no runtime may load), a runtime's group, or None (alone)."""
    runtimes = [n[7:] for n in case.needs if n.startswith("module:")]
    if case.module not in GROUPED or case.env or case.alone or \
            not set(case.needs) - set(f"module:{r}" for r in runtimes) <= {"tf", "torch", "artifacts"}:
        return None
    return RUNTIME_GROUP[runtimes[0]] if runtimes else "checks"


def skip_reason(case) -> str | None:
    from tfpt import frameworks
    for need in case.needs:
        if need in ("tf", "torch") and not frameworks.installed(need):
            return frameworks.missing_reason(need)
        if need.startswith("module:") and importlib.util.find_spec(need[7:]) is None:
            return f"{need[7:]} is not installed: the deployer stops at the missing runtime before the artifact"
        if need == "sys-readonly" and not sys_readonly():
            return "/sys/kernel is writable here: no read-only folder to test against"
    return None


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str, loaded: list):
        self.returncode, self.stdout, self.stderr, self.loaded = returncode, stdout, stderr, loaded


class Groups:
    """Runs each group's rows the first time one of them is asked for: every row set up in its own folder and
    snapshotted, then all of the group in one process (tests/case_group.py)."""

    def __init__(self, root: Path, request):
        self.root, self.request, self.done, self.skipped = root, request, {}, {}

    def result(self, case):
        key = group_of(case)
        if key not in self.done:
            self.done[key] = self._run(key)
        if case.id in self.skipped:  # its setup needs what this environment lacks (an artifact TF would export)
            pytest.skip(self.skipped[case.id])
        return self.done[key][case.id]

    def _run(self, key: str) -> dict:
        prepared, rows = {}, []
        for case in CASES:
            if group_of(case) != key or skip_reason(case):
                continue
            ctx = Ctx(self.root / case.id / "work")
            ctx.tmp.mkdir(parents=True)
            roots = [ctx.tmp]
            if "artifacts" in case.needs:
                ctx.art, art_root = self.request.getfixturevalue("artifacts")
                roots.append(art_root)
            try:
                if case.setup:
                    case.setup(ctx)
                argv = [str(a) for a in case.argv(ctx)]  # some rows make their files here
            except pytest.skip.Exception as exc:  # this row alone is skipped; the rest of its group still runs
                self.skipped[case.id] = str(exc.msg)
                continue
            prepared[case.id] = (ctx, roots, snapshot(*roots))
            rows.append({"id": case.id, "module": GROUPED[case.module], "argv": argv, "cwd": str(ctx.tmp)})
        env = child_env()
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env["PYTHONPATH"]])
        out = self.root / f"results-{key}.json"
        proc = subprocess.run([sys.executable, "-m", "tests.case_group", str(out)], input=json.dumps(rows), cwd=REPO,
                              capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0 and out.is_file(), proc.stderr[-3000:]
        results = json.loads(out.read_text())
        return {i: (ctx, roots, before, _Result(**results[i])) for i, (ctx, roots, before) in prepared.items()}


@pytest.fixture(scope="module")
def groups(tmp_path_factory, request):
    return Groups(tmp_path_factory.mktemp("grouped"), request)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[getattr(pytest.mark, n) for n in c.needs
                                                                  if n in ("tf", "torch")]) for c in CASES])
def test_bad_input(case, request, tmp_path):
    if skip_reason(case):
        pytest.skip(skip_reason(case))
    if group_of(case):
        ctx, roots, before, proc = request.getfixturevalue("groups").result(case)
        assert group_of(case) != "checks" or case.code == OK or not proc.loaded, \
            f"the mistake was found only after loading {proc.loaded}"
    else:
        ctx, roots, before, proc = run_alone(case, request, tmp_path)
    check_result(case, ctx, roots, before, proc)


def run_alone(case, request, tmp_path):
    """The row in a fresh process of its own: (ctx, the folders watched, their snapshot before, the result)."""
    ctx = Ctx(tmp_path / "work")
    ctx.tmp.mkdir()
    roots = [ctx.tmp]
    for need in case.needs:
        if need == "artifacts":
            ctx.art, art_root = request.getfixturevalue("artifacts")
            roots.append(art_root)
        elif need == "mnist":
            ctx.real_raw = request.getfixturevalue("real_raw")
            roots.append(ctx.real_raw)
    if case.setup:
        case.setup(ctx)
    argv = case.argv(ctx)
    env = case.env(ctx) if callable(case.env) else case.env
    before = snapshot(*roots)
    proc = subprocess.run([sys.executable, "-m", case.module, *map(str, argv)], cwd=ctx.tmp, capture_output=True,
                          text=True, timeout=240, env=child_env(**env))
    return ctx, roots, before, proc


def check_result(case, ctx: Ctx, roots: list, before: dict, proc) -> None:
    """The row's exit code and message, and every file under `roots` as it was (nothing new after a failure)."""
    where = f"\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, where
    assert proc.returncode == case.code, f"exit {proc.returncode}, expected {case.code}" + where
    assert re.search(case.stderr, proc.stderr), f"stderr does not match {case.stderr!r}" + where
    if case.stdout:
        assert re.search(case.stdout, proc.stdout), f"stdout does not match {case.stdout!r}" + where
    if case.code != OK:
        lines = proc.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("error: "), where
        assert re.match(r"error: .+: .+; fix: .+", lines[-1], re.IGNORECASE | re.DOTALL), where
        if case.one_line:
            assert len(lines) == 1, "more than the one error line on stderr" + where
    after = snapshot(*roots)
    removed = case.check is not None and "stale" in case.id
    lost = [p for p in before if p not in after and not removed]
    changed = [p for p in before if p in after and after[p] != before[p] and not before[p][0]]
    assert not lost and not changed, f"files lost {lost} or changed {changed}" + where
    if case.code != OK:
        new = [p for p in after if p not in before]
        assert not new, f"a failed run left files behind: {new}" + where
    for path in case.absent(ctx) if case.absent else []:
        assert not Path(path).exists(), f"{path} was written" + where
    if case.check:
        case.check(ctx, proc.stdout, proc.stderr)


def test_the_table_covers_every_command_and_format():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    by = {m: sum(c.module == m for c in CASES) for m in ("tfpt.deploy", "tfpt.cli.compare", "tfpt.data.datasets",
                                                         "tfpt.report", "tfpt.cli.tune")}
    assert len(CASES) >= 200 and all(n >= 10 for n in by.values()), by
    for fmt in FORMATS:
        for kind in ("missing-artifact", "garbage-artifact", "missing-input", "garbage-input", "other-layout",
                     "missing-output-folder", "nan-input", "empty-batch", "output-is-its-sidecar",
                     "output-is-the-artifact", "sidecar-records-another-format", "sidecar-lies-about-the-layout"):
            assert f"deploy-{fmt}-{kind}" in ids
    for row in ("median-zero", "round-negative", "peak-rss-zero", "export-format-missing", "machine-cpu-a-string",
                "yardstick-a-string", "datetime-day-first"):  # the fields a careless user broke first
        assert f"report-run-{row}" in ids


def test_deployer_runs_valid_input_in_chunks(artifacts, tmp_path):
    """The other side of the rows above: valid input passes, and chunking gives the same outputs as one batch."""
    art, _ = artifacts
    x = np.random.default_rng(0).random((9, 1, 28, 28), dtype=np.float32)
    np.save(tmp_path / "in.npy", x)
    outs = {}
    for chunk in ("1024", "4"):
        out = tmp_path / f"out{chunk}.npz"
        proc = subprocess.run([sys.executable, "-m", "tfpt.deploy", "onnx-torch", str(art["onnx-torch"]),
                               str(tmp_path / "in.npy"), str(out), "1,9", "--chunk", chunk],
                              capture_output=True, text=True, timeout=120, env=child_env())
        assert proc.returncode == 0, proc.stderr
        outs[chunk] = np.load(out)
    assert outs["4"]["b9"].shape == (9, 10)
    np.testing.assert_allclose(outs["4"]["b9"], outs["1024"]["b9"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs["1024"]["b1"], outs["1024"]["b9"][:1], rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npy", "out1024.npz", "out4.npz"]  # no temp left


# ------------------------------------------------------------------------------------------ property-based

def idx_header(draw_dims, ndim):
    return bytes([0, 0, 8, ndim]) + b"".join(int(d).to_bytes(4, "big") for d in draw_dims)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=64))
def test_idx_reader_random_bytes_only_raise_data_error(data):
    try:
        arr = datasets.parse_idx(data, "random")
    except datasets.DataError:
        return
    assert arr.dtype == np.uint8 and arr.size == len(data) - 4 - 4 * data[3]


@settings(max_examples=300, deadline=None)
@given(ndim=st.integers(0, 255), dims=st.lists(st.integers(0, 2**32 - 1), max_size=6),
       payload=st.binary(max_size=64), cut=st.integers(0, 40), gz=st.booleans())
def test_idx_reader_random_headers_only_raise_data_error(ndim, dims, payload, cut, gz, tmp_path_factory):
    import gzip
    data = idx_header(dims, ndim) + payload
    data = data[:len(data) - cut] if cut else data
    path = tmp_path_factory.mktemp("idx") / ("f.gz" if gz else "f")
    path.write_bytes(gzip.compress(data) if gz and cut % 2 == 0 else data)  # odd cut with gz: not gzip at all
    try:
        arr = datasets.read_idx(path)
    except datasets.DataError:
        return
    assert arr.dtype == np.uint8 and arr.ndim == ndim


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["bytes", "zip-bytes", "zip-npy-header", "npy"]), blob=st.binary(max_size=200),
       name=st.sampled_from(["x_train.npy", "y_test.npy", "junk"]))
def test_npz_reader_random_content_only_raises_data_error(kind, blob, name, tmp_path_factory):
    path = tmp_path_factory.mktemp("npz") / "mnist.npz"
    if kind == "bytes":
        path.write_bytes(blob)
    elif kind == "npy":
        path.write_bytes(b"\x93NUMPY" + blob)
    else:
        body = blob if kind == "zip-bytes" else b"\x93NUMPY\x01\x00" + len(blob).to_bytes(2, "little") + blob
        members = {f"{key}.npy": body for key in ("y_train", "x_test", "y_test")}
        members[name] = body  # x_train under a random name: the right one, another member's, or junk
        with zipfile.ZipFile(path, "w") as zf:
            for member, content in members.items():
                zf.writestr(member, content)
    try:
        found = datasets._from_npz(path)
    except datasets.DataError:
        return
    assert found is None or set(found) == set(datasets.KEYS)
