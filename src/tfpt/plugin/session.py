"""One pytest run's state, held by a `TfptSession` registered on pytest's `config` (nothing lives in module
globals): the figures tests measure (the `measurements` fixture), the worst figure each tolerance-table entry was
measured at (every passing `tfpt.compare.assert_close` reports it here while the run's tests execute), the merge
of pytest-xdist workers' figures on the controller, the tolerance gate, and the measured-figures file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tfpt import frameworks

_KEY = pytest.StashKey["TfptSession"]()


def register(config, seed: int) -> TfptSession:
    session = TfptSession(config, seed)
    config.stash[_KEY] = session
    return session


def of(config) -> TfptSession:
    """The run's session (registered by the plugin's pytest_configure)."""
    return config.stash[_KEY]


def is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


class TfptSession:
    def __init__(self, config, seed: int):
        self.config = config
        self.seed = seed
        self.figures: dict = {}  # {name: JSON-able figure}, the `measurements` fixture
        self.tolerance_figures: dict[tuple[str, str], float] = {}  # {(kind, dtype): worst figure}
        self.pairs: list | None = None  # the pairs named with --pair; None: every registered pair

    # ------------------------------------------------------------------------- tolerance figures
    def record_tolerance(self, kind: str, dtype: str, value: float) -> None:
        """tfpt.compare's recorder: keep the worst figure a passing assert_close measured for an entry."""
        key = (kind, dtype)
        self.tolerance_figures[key] = max(self.tolerance_figures.get(key, 0.0), float(value))

    # ------------------------------------------------------------------------- pytest-xdist
    def worker_output(self) -> str:
        """What an xdist worker hands to the controller: its figures and its tolerance figures."""
        return json.dumps({"figures": self.figures,
                           "tolerances": [[k, d, v] for (k, d), v in self.tolerance_figures.items()]}, default=float)

    def merge_worker(self, raw: str) -> None:
        """Controller side: a finished worker's figures (dicts merged key by key), worst tolerance figure per entry."""
        doc = json.loads(raw)
        for key, value in doc["figures"].items():
            if isinstance(value, dict) and isinstance(self.figures.get(key), dict):
                self.figures[key].update(value)
            else:
                self.figures[key] = value
        for kind, dtype, value in doc["tolerances"]:
            self.record_tolerance(kind, dtype, value)

    # ------------------------------------------------------------------------- the tolerance gate
    def gate_applies(self) -> bool:
        """The gate needs the run whose figures justify the table: on where the project's ini says so
        (`tfpt_tolerance_gate = true`, this repository's pytest.ini), on the process that saw every figure (not an
        xdist worker), and the run not narrowed to a subset by paths, -k, --pair or another -m than the ini's (a
        subset measures smaller worst figures; a user's own pair is not the table's evidence)."""
        config = self.config
        return bool(config.getini("tfpt_tolerance_gate")) and not is_xdist_worker(config) and \
            not config.getoption("keyword") and config.args_source != pytest.Config.ArgsSource.ARGS and \
            self.pairs is None and config.getoption("markexpr") == _ini_markexpr(config)

    def close_tolerances(self) -> list[str]:
        """After the last test: the tightness table goes to the figures; returns one error line per entry more than
        100x looser than its worst measured figure where the gate applies (tfpt.tolerances.loose_entries)."""
        from tfpt.tolerances import loose_entries, tightness_table
        if not self.tolerance_figures:
            return []
        self.figures["tolerance tightness"] = tightness_table(self.tolerance_figures)
        return loose_entries(self.tolerance_figures) if self.gate_applies() else []

    # ------------------------------------------------------------------------- the figures file
    def write_figures(self, terminalreporter) -> None:
        """The controller (or a run without xdist) prints the whole run's figures and, where asked
        (`figures_folder`), saves them to <folder>/measurements-<tox env or main>.json; an xdist worker hands them
        over instead (merge_worker), so one file holds them all and no per-worker file of an earlier version is
        left behind."""
        if not self.figures or is_xdist_worker(self.config):
            return
        from tfpt.data.datasets import atomic_write
        terminalreporter.section("measured figures")
        for key, value in self.figures.items():
            terminalreporter.write_line(f"{key}: {json.dumps(value, default=float)}")
        folder = figures_folder(Path(str(self.config.rootpath)), os.environ)
        if folder is None:
            return
        env = os.environ.get("TOX_ENV_NAME", "main")
        doc = {"env": env, "versions": frameworks.versions(), "figures": self.figures}
        atomic_write(folder / f"measurements-{env}.json", json.dumps(doc, indent=1, default=float).encode())
        for stale in folder.glob(f"measurements-{env}-*.json"):  # the per-worker files of earlier versions
            stale.unlink(missing_ok=True)


def figures_folder(rootpath: Path, environ) -> Path | None:
    """Where the measured-figures file goes: $TFPT_FIGURES_DIR where set; <root>/reports in this project's own
    checkout (its report reads them); else nowhere (a user's run writes nothing into their folder unasked: the
    figures are printed in the "measured figures" section)."""
    if environ.get("TFPT_FIGURES_DIR"):
        return Path(environ["TFPT_FIGURES_DIR"])
    return rootpath / "reports" if (rootpath / "src" / "tfpt" / "plugin" / "session.py").is_file() else None


def _ini_markexpr(config) -> str:
    """The marker selection the project's ini gives (`-m "not slow"` in this repository): a run with another
    one (the quick tier, `-m gpu`) is a subset, whose worst figures are not the table's evidence."""
    opts = config.getini("addopts")
    return next((opts[i + 1] for i, o in enumerate(opts[:-1]) if o == "-m"), "")
