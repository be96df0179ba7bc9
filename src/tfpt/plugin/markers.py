"""The plugin's markers, and every runtime condition turned into a skip with its reason from them, in one place
(`skip_reason`, called by the plugin before each test's set-up): nothing else in the suite calls pytest.skip for
a missing framework, device, module or layer correspondence."""
from __future__ import annotations

import importlib.util

import pytest

from tfpt import frameworks
from tfpt.frameworks import devices

MARKERS = {
    **{fw.id: f"needs {fw.name} (skipped with a reason where it is not installed)" for fw in frameworks.native()},
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
    "needs_module": ("needs_module(name, ..., why=...): needs these Python modules (skipped with a reason naming the "
                     "missing one)"),
    "pair_matched": ("needs the model pair's layer correspondence (skipped with the reason where it cannot be found; "
                     "test_layers_correspond fails with the full message once)"),
}


def skip_reason(item) -> str | None:
    """Why this test cannot run here, from its markers; None where it can."""
    for fw in frameworks.FRAMEWORKS:
        if item.get_closest_marker(fw) and not frameworks.installed(fw):
            return frameworks.missing_reason(fw)
    if item.get_closest_marker("gpu"):
        # a GPU test that names no framework asks PyTorch's device (the one GPU runtime every GPU test may use)
        marked = [fw for fw in frameworks.FRAMEWORKS if item.get_closest_marker(fw)]
        for fw in marked or [frameworks.on_side(frameworks.TORCH_SIDE).id]:
            reason = devices.gpu_missing_reason(fw)
            if reason:
                return reason
    for mark in item.iter_markers("needs_module"):
        missing = next((m for m in mark.args if importlib.util.find_spec(m) is None), None)
        if missing:
            return f"{missing} is not installed: {mark.kwargs.get('why', 'this test needs it')}"
    if item.get_closest_marker("pair_matched"):
        pair = getattr(getattr(item, "callspec", None), "params", {}).get("model_pair")
        if pair is not None:
            from tfpt.testing.sessions import match_error
            error = match_error(pair)
            if error:
                return f"{pair.name}: no layer correspondence ({error[:160]}…); see test_layers_correspond"
    return None


def add_xdist_groups(items) -> None:
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
