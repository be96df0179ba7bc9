"""The benchmark report has a column per registered framework it measured, not two: a synthetic run holding
TensorFlow's, PyTorch's and Flax's benchmarks shows all three in the study's table (markdown and page), the
answers, the version table and its column label."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.report_runs import MACHINE, bench, memory, save, suite
from tfpt.report.__main__ import main


@pytest.fixture(autouse=True)
def away_from_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ./reports/measurements-*.json of the repository cannot change a result


def _three_frameworks(tmp_path):
    rng = np.random.default_rng(3)
    flax = [bench("test_epoch[flax-cpu-as-written]", 20.0 * (1 + 0.01 * rng.standard_normal(6)), "epoch", "flax",
                  test_acc=0.985), memory("flax", 2500.0)]
    machine = {**MACHINE, "frameworks": {**MACHINE["frameworks"], "flax": "0.12.1"}}
    save(tmp_path / "s", 1, suite(rng) + flax, machine=machine)
    assert main(["--storage", str(tmp_path / "s"), "--out", str(tmp_path / "out")]) == 0
    return [(tmp_path / "out" / name).read_text() for name in ("report.md", "report.html", "report.json")]


def test_the_study_table_has_a_column_per_framework_measured(tmp_path):
    md, page, doc = _three_frameworks(tmp_path)
    table = md[md.index("## The study's table"):].splitlines()
    head = next(line for line in table if line.startswith("| |"))
    assert [c.strip() for c in head.split("|")[2:-1]] == ["TensorFlow", "PyTorch", "Flax NNX", "TF / PyTorch",
                                                          "study: TensorFlow", "study: PyTorch"], head
    epoch = next(line for line in table if line.startswith("| median seconds per epoch |")).split("|")
    assert float(epoch[4].split()[0]) == pytest.approx(20.0, rel=0.05), epoch
    assert epoch[6].strip() == "11.19 s" and epoch[7].strip() == "7.67 s (ratio 1.46)", epoch
    version = next(line for line in table if line.startswith("| version |"))
    assert "| TF 2.21.0 / Keras 3.15.1 | torch 2.14.1 | Flax 0.12.1 |" in version, version
    assert json.loads(doc)["figures"]["study.epoch_s.flax"] == pytest.approx(20.0, rel=0.05)
    assert "<th>Flax NNX</th>" in page and 'data-key="study.rss_gb.flax"' in page


def test_the_answers_and_the_version_table_name_the_third_framework(tmp_path):
    md, page, _ = _three_frameworks(tmp_path)
    answers = md.split("\n\n")[1].splitlines()
    epoch = next(a for a in answers if a.startswith("- **epoch time, as written**"))
    assert epoch.index("TensorFlow ") < epoch.index(", PyTorch ") < epoch.index(", Flax NNX ") < epoch.index(
        "; TF / PyTorch "), epoch
    versions = md[md.index("## Versions"):].splitlines()
    head = next(line for line in versions if line.startswith("| metric |"))
    assert head == "| metric | TF 2.21.0 / Keras 3.15.1 / torch 2.14.1 / Flax 0.12.1 |", head
    assert any(line.startswith("| epoch Flax NNX (s) | ") for line in versions), versions
    assert any(line.startswith("| memory Flax NNX (MiB) | 2500") for line in versions), versions
    assert "<td>epoch Flax NNX</td>" in page
