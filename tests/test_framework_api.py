"""Every registered framework's folder follows the protocols of tfpt.frameworks.api, read from the modules' source
(nothing imported), so the check runs where the framework is not installed."""
from __future__ import annotations

import pytest

from tfpt.frameworks import REGISTRY, api


@pytest.mark.parametrize("fw_id", list(REGISTRY))
def test_each_frameworks_modules_follow_their_protocols(fw_id):
    fw = REGISTRY[fw_id]
    assert api.modules_of(fw), f"{fw.name}: no module of its folder is checked"
    bad = api.conformance(fw)
    assert not bad, "\n".join(bad)


def test_the_check_reads_real_modules_of_both_in_process_folders():
    """The check is not vacuous: the four roles every record names are matched against real modules of Keras' and
    PyTorch's folders (and every other protocol against a module of one of them, where the folders have it)."""
    for fw in (REGISTRY["tf"], REGISTRY["torch"]):
        checked = {name for m, name in api.modules_of(fw).items() if api.module_source(m) is not None}
        assert {"pair", "train", "cnn", "study_code"} <= checked, (fw.id, checked)


GOOD = ("MODE = 'study-code'\n"
        "def run(dataset, epochs, seed, phases, options=None, limit=None):\n    pass\n")


@pytest.mark.parametrize("source, says", [
    (GOOD, []),
    ("MODE = 'x'\n", ["planted.study_code: no function run (StudyCode asks for run(dataset, epochs, seed, phases, "
                      "options=None))"]),
    ("def run(dataset, epochs, phases, seed, options=None):\n    pass\n",
     ["planted.study_code: no MODE (StudyCode asks for it)",
      "planted.study_code: run takes (dataset, epochs, phases, seed, options), the protocol calls it with "
      "(dataset, epochs, seed, phases, options) (StudyCode.run(dataset, epochs, seed, phases, options=None))"]),
    ("MODE = 1\ndef run(dataset, epochs, seed, phases, options, limit):\n    pass\n",
     ["planted.study_code: run parameter options has no default; the protocol may leave it out "
      "(StudyCode.run(dataset, epochs, seed, phases, options=None))"]),
])
def test_a_planted_module_that_breaks_its_protocol_is_named(source, says):
    """Negative control: a missing function, a missing constant, parameters swapped, a default dropped."""
    assert api.check_source(source, api.StudyCode, "planted.study_code") == says


def test_a_trainer_without_a_keyword_the_worker_passes_fails():
    """Negative control of keyword-only members: prepare without `mode` (and no **options) is named."""
    src = ("MODES = {}\nWARMUP_STEPS = 1\nclass TrainState: pass\n"
           "def prepare(ds, epochs=1, seed=0, order=None, batch_size=None, spec=None, target=None, eval_every=None,"
           " progress=True, evaluate_epochs=True, device='cpu', options=None, settings=None, eval_batch=1,"
           " warmup_steps=1):\n    pass\n"
           "def epoch(state): pass\ndef evaluate(model, x_test_uint8, y_test, settings=None, batch=1): pass\n"
           "def serving_call(state, x): pass\ndef train(ds, epochs=1, **options): pass\n")
    bad = api.check_source(src, api.Trainer, "planted.train")
    assert len(bad) == 1 and bad[0].startswith("planted.train: prepare takes no mode"), bad
