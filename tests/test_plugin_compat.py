"""The plugin's version-guarded work-arounds (tfpt.plugin.compat), each guard and each work-around on its own, and
the run's session (tfpt.plugin.session) that receives every assert_close figure instead of a module global. Whole
sessions: tests/test_xdist.py (the node-id shim, the merge) and tests/test_headline_commands.py (the empty save)."""
from __future__ import annotations

import contextvars
from types import SimpleNamespace

import numpy as np
import pytest

from tfpt.compare import assert_close, recording
from tfpt.plugin import compat
from tfpt.plugin.session import TfptSession
from tfpt.tolerances import tol


@pytest.mark.parametrize("pytest_v, xdist_v, applies", [
    (pytest.__version__, compat.installed_version("pytest-xdist"), True),  # the installed pair it was measured on
    ("8.4.2", "3.8.0", False), ("10.0.0", "3.8.0", False), ("9.2.0", "4.0.0", False), ("9.2.0", None, False)])
def test_nodeid_shim_applies_only_to_the_versions_it_was_written_for(pytest_v, xdist_v, applies):
    assert compat.nodeid_shim_applies(pytest_v, xdist_v) is applies


class _Item:
    """pytest 9's item as far as the shim touches it: `nodeid` derived from `_id`."""

    def __init__(self, nodeid, groups):
        self._id, self.groups = nodeid, groups

    @property
    def nodeid(self):
        return str(self._id)

    def iter_markers(self, name):
        return [SimpleNamespace(args=(g,), kwargs={}) for g in self.groups] if name == "xdist_group" else []


def test_nodeid_shim_writes_the_group_suffix_where_pytest_reads_it():
    items = [_Item("t.py::a", ["pair-spec"]), _Item("t.py::b", []), _Item("t.py::c@g", ["g"])]
    compat.LoadGroupNodeIds().pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == ["t.py::a@pair-spec", "t.py::b", "t.py::c@g"]


def _bench_session(benchmarks=(), **targets):
    """pytest-benchmark 5's session as far as the override touches it."""
    return SimpleNamespace(benchmarks=list(benchmarks), **{"save": None, "autosave": None, "json": None, **targets})


@pytest.mark.parametrize("version, benchmarks, targets, dropped", [
    ("5.3.1", [], {"autosave": True}, True), ("5.3.1", [], {"json": "out.json"}, True),
    ("5.3.1", ["one ran"], {"autosave": True}, False), ("5.3.1", [], {}, False),
    ("6.0.0", [], {"autosave": True}, False), (None, [], {"autosave": True}, False)])
def test_empty_save_is_dropped_only_on_pytest_benchmark_5_and_only_when_nothing_ran(version, benchmarks, targets,
                                                                                      dropped):
    bs = _bench_session(benchmarks, **targets)
    assert compat.drop_empty_save(bs, version) is dropped
    assert (bs.save, bs.autosave, bs.json) == ((None, None, None) if dropped else
                                               (targets.get("save"), targets.get("autosave"), targets.get("json")))


def test_assert_close_reports_to_the_session_only_inside_recording():
    session = TfptSession(config=None, seed=0)
    a, b = {"x": np.zeros(3)}, {"x": np.full(3, 2e-7)}
    kept = []
    with recording(lambda *figure: kept.append(figure)):  # this run's own recorder, set by the plugin, stays out
        contextvars.Context().run(assert_close, a, b, tol("forward"))  # no recorder in effect: nothing is kept
    assert kept == []
    with recording(session.record_tolerance):
        assert_close(a, b, tol("forward"))
        assert_close(a, {"x": np.full(3, 1e-7)}, tol("forward"))
        assert_close(a, b, tol("forward", atol=1e-3))  # an overridden entry is not the table's: not tracked
    assert session.tolerance_figures == {("forward", "float32"): pytest.approx(2e-7)}


def test_the_xdist_merge_keeps_each_entrys_worst_figure_and_merges_dict_figures():
    controller, worker = TfptSession(None, 0), TfptSession(None, 0)
    controller.figures, controller.tolerance_figures = {"f": {"a": 1}}, {("forward", "float32"): 3e-6}
    worker.figures, worker.tolerance_figures = {"f": {"b": 2}, "g": 5}, {("forward", "float32"): 1e-6,
                                                                          ("gradient", "float32"): 4e-7}
    controller.merge_worker(worker.worker_output())
    assert controller.figures == {"f": {"a": 1, "b": 2}, "g": 5}
    assert controller.tolerance_figures == {("forward", "float32"): 3e-6, ("gradient", "float32"): 4e-7}


def test_gradient_entry_bounds_each_tensor_by_its_norm_and_names_the_first_that_diverges():
    """The gradient check's comparator (norm=True) and its negative control: one element 1 % off in a tensor of
    100 is 1e-2 / 10 = 1e-3 relative (over rtol 1e-5); 1e-7 off is within it; the tensor is named."""
    with recording(lambda *_: None):  # made-up figures: not this run's evidence for the table
        _gradient_checks()


def _gradient_checks():
    g = {"dense.kernel": np.ones((10, 10)), "dense.bias": np.ones(10)}
    near = {"dense.kernel": g["dense.kernel"] + 1e-7, "dense.bias": g["dense.bias"]}
    assert assert_close(g, near, tol("gradient")).ok
    off = {"dense.kernel": g["dense.kernel"].copy(), "dense.bias": g["dense.bias"]}
    off["dense.kernel"][3, 4] *= 1.01
    with pytest.raises(AssertionError, match=r"first divergent gradient: dense\.kernel: .*\|\|Δ\|\| / \|\|expected\|\| "
                                             r"0\.001 \(rtol 1e-05\).*index \(3, 4\)"):
        assert_close(g, off, tol("gradient"), what="gradient")
    zero = {"dense.kernel": np.zeros((10, 10)), "dense.bias": np.zeros(10)}
    assert assert_close(zero, zero, tol("gradient")).ok  # both zero: agree (no division by a zero norm)
