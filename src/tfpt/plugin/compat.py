"""Work-arounds for the internals of pytest, pytest-xdist and pytest-benchmark, each applied only on the versions
it was written and tested against (a version guard): on any other version it does nothing, so a newer release
that changed the internal is never written into blindly. tests/test_plugin_compat.py tests each guard and each
work-around; tests/test_xdist.py and tests/test_headline_commands.py test them in whole pytest sessions."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest


def _major(version: str | None) -> int | None:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return None


def installed_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# ------------------------------------------------------------------ pytest-xdist's loadgroup node ids

# pytest-xdist 3.x sends `--dist loadgroup` groups to one worker by appending "@group" to each test's node id,
# assigning `item._nodeid`; pytest 9 derives `nodeid` from `item._id` instead, so the suffix is lost and every
# group is spread like `--dist load` (measured with pytest 9.2 / xdist 3.8: a 6-test group ran on both workers).
NODEID_SHIM_VERSIONS = {"pytest": 9, "pytest-xdist": 3}


def nodeid_shim_applies(pytest_version: str | None, xdist_version: str | None) -> bool:
    return _major(pytest_version) == NODEID_SHIM_VERSIONS["pytest"] and \
        _major(xdist_version) == NODEID_SHIM_VERSIONS["pytest-xdist"]


class LoadGroupNodeIds:
    """On a worker, after every mark is added, the group suffix is written where pytest 9 reads it."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        from _pytest.nodeid import coerce_node_id  # pytest 9's own constructor (the guard holds it exists)
        for item in items:
            names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                            for m in item.iter_markers("xdist_group")})
            suffix = "@" + "_".join(names)
            if names and hasattr(item, "_id") and not item.nodeid.endswith(suffix):
                item._id = coerce_node_id(item.nodeid + suffix)


def register_nodeid_shim(config) -> bool:
    """On an xdist worker under `--dist loadgroup`, on the guarded versions only; True where registered."""
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return False
    if not nodeid_shim_applies(pytest.__version__, installed_version("pytest-xdist")):
        return False
    config.pluginmanager.register(LoadGroupNodeIds(), "tfpt-loadgroup-nodeids")
    return True


# ------------------------------------------------------------------ pytest-benchmark's empty save

# pytest-benchmark 5.x warns "Not saving anything, no benchmarks have been run!" when asked to save a run in
# which every benchmark was skipped; with warnings as errors that fails the run. Clearing the save targets of
# its session object (`save`, `autosave`, `json`: 5.x's attribute names) before its sessionfinish stops it.
BENCHMARK_OVERRIDE_VERSION = 5
NOTHING_SAVED = "tfpt: nothing saved: no benchmark ran (every selected benchmark was skipped or deselected)"


def benchmark_override_applies(version: str | None) -> bool:
    return _major(version) == BENCHMARK_OVERRIDE_VERSION


def drop_empty_save(bs, version: str | None) -> bool:
    """pytest-benchmark's session `bs` asked to save with no benchmark run: its save targets cleared, True (the
    plugin then prints NOTHING_SAVED). Anything else, or another major version: untouched, False."""
    if bs is None or not benchmark_override_applies(version):
        return False
    if not all(hasattr(bs, name) for name in ("benchmarks", "save", "autosave", "json")):
        return False
    if bs.benchmarks or not (bs.save or bs.autosave or bs.json):
        return False
    bs.save = bs.autosave = bs.json = None
    return True


# ------------------------------------------------------------------ pytest-benchmark's eager storage folder

# pytest-benchmark 5.x creates its storage folder (default ./.benchmarks) when its session starts, in every run,
# whether or not a benchmark runs or anything is saved: `pytest --pair my_pair:pair` in a user's folder left an
# empty .benchmarks/ there on every run. The plugin notes whether the folder existed before pytest-benchmark's
# (trylast) configure and removes it at the end only where that run created it and left it empty.

def benchmark_storage_folder(config) -> Path | None:
    """The folder of a `file://` (or plain path) --benchmark-storage, absolute; None for any other storage."""
    value = getattr(config.option, "benchmark_storage", None)
    if not isinstance(value, str) or not benchmark_override_applies(installed_version("pytest-benchmark")):
        return None
    value = value if "://" in value else "file://" + value
    return Path(value[len("file://"):]).absolute() if value.startswith("file://") else None


def remove_if_created_empty(folder: Path | None) -> bool:
    """Remove `folder` (noted absent before the run) if it holds no file, its empty subfolders first; True if
    removed. A folder holding anything is left as it is."""
    if folder is None or not folder.is_dir() or folder.is_symlink():
        return False
    if any(not p.is_dir() or p.is_symlink() for p in folder.rglob("*")):
        return False
    for sub in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        sub.rmdir()
    folder.rmdir()
    return True
