"""tfpt-convert: a PyTorch state_dict written as Keras weights and back, for every registered pair, bit for bit
(the converters are exact; BatchNorm's num_batches_tracked, which no Keras layer holds, rides along), with the
pair's forward check and its report; and the command's mistakes, each one line with its exit code, nothing
written and no file the user gave changed (an output naming an input, an unwritable target, an empty or whole-module
.pt, a builder that raises, a setting that differs)."""
from pathlib import Path

import numpy as np
import pytest

from tfpt.cli import exitcodes
from tfpt.cli.convert import main
from tfpt.pair import InputSpec, ModelPair, registered

pytestmark = [pytest.mark.tf, pytest.mark.torch]
# The zoo's ImageNet models convert the same way, in minutes: their round trip is a `long` test.
PAIRS = [pytest.param(p, id=p.name, marks=[pytest.mark.long] if p.keras.__module__.endswith("zoo") else [])
         for p in registered()]


def save_seeded_torch(pair, path: Path, seed: int = 3) -> dict:
    """A seeded state_dict as training leaves one: every BatchNorm has counted 123 batches (a fresh model's 0 would
    hide a counter the round trip drops)."""
    from tfpt.frameworks import get, import_torch
    torch = import_torch()
    state = get("torch").module("adapter").build(pair, seed).state_dict()
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            value.fill_(123)
    torch.save(state, str(path))
    return {k: v.numpy().copy() for k, v in state.items()}


def read_state(path: Path) -> dict:
    from tfpt.frameworks import import_torch
    return {k: v.numpy() for k, v in import_torch().load(str(path), weights_only=True).items()}


@pytest.mark.parametrize("pair", PAIRS)
def test_state_dict_to_keras_and_back_is_bitwise(pair, tmp_path, measurements):
    from tfpt.convert.porting import convert_file
    before = save_seeded_torch(pair, tmp_path / "m.pt")
    there = convert_file(pair, tmp_path / "m.pt", tmp_path / "m.weights.h5", samples=8)
    back = convert_file(pair, tmp_path / "m.weights.h5", tmp_path / "back.pt", samples=8)
    assert there.written and back.written, there.failure or back.failure
    after = read_state(tmp_path / "back.pt")
    differ = [k for k in before if not (before[k].dtype == after[k].dtype and np.array_equal(before[k], after[k]))]
    assert list(after) == list(before) and not differ, f"{pair.name}: changed in the round trip: {differ}"
    assert "| Keras layer | PyTorch module | converter | max abs diff |" in there.render()
    measurements[f"tfpt-convert {pair.name}"] = {"layers": len(there.rows), "output max |Δ|": there.output_max_abs,
                                                 "seconds": round(there.seconds + back.seconds, 2)}


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    """A user's folder holding a pairs module (the repository's BatchNorm CNN and one whose PyTorch side has
    another BatchNorm epsilon) and a state_dict of the CNN."""
    (tmp_path / "mypairs.py").write_text(
        "from models.pairs import BN_CNN, MLP_LN, bn_cnn_keras\nfrom tfpt import InputSpec, ModelPair\n"
        "def other_eps():\n    m = BN_CNN.torch()\n    m[5].eps = 0.5\n    return m\n"
        "def broken():\n    raise ValueError('no such width: 7')\n"
        "EPS = ModelPair('bn-cnn-eps', bn_cnn_keras, other_eps, InputSpec(shape=(28, 28, 1)))\n"
        "OTHER = ModelPair('bn-cnn-eps-accepted', bn_cnn_keras, other_eps, InputSpec(shape=(28, 28, 1)),\n"
        "                  accept={'epsilon': 'declared, so the forward check is what refuses it'})\n"
        "BROKEN = ModelPair('bn-cnn-broken', bn_cnn_keras, broken, InputSpec(shape=(28, 28, 1)))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from models.pairs import BN_CNN
    save_seeded_torch(BN_CNN, tmp_path / "bn.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    return tmp_path


@pytest.mark.parametrize("argv, code, says", [
    (["--pair", "mypairs:BN_CNN", "missing.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: source missing.pt: an existing file; fix: check the path"),
    (["--pair", "mypairs:BN_CNN", "bn.pt", "x.pt"], exitcodes.USAGE,
     r"error: target x.pt: a .weights.h5 file \(bn.pt holds PyTorch weights.*fix: name the target like"),
    (["--pair", "mypairs:BN_CNN", "bn.bin", "x.weights.h5"], exitcodes.USAGE, r"error: source bn.bin: a .pt/.pth"),
    (["--pair", "mypairs:nope", "bn.pt", "x.weights.h5"], exitcodes.USAGE,
     r"error: --pair mypairs:nope: expected a tfpt.ModelPair named 'nope' in mypairs, found nothing; fix: define nope"),
    (["--pair", "nope", "bn.pt", "x.weights.h5"], exitcodes.USAGE,
     r"error: --pair nope: a registered name \(.*bn-cnn.*\) or MODULE:ATTR of a tfpt.ModelPair; fix: e.g. --pair spec"),
    (["--pair", "nomodule_here:p", "bn.pt", "x.weights.h5"], exitcodes.USAGE, r"an importable module 'nomodule_here'"),
    (["--pair", "mypairs:MLP_LN", "bn.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: source bn.pt: weights of pair mlp-ln's model: expected the model's 6 entries; missing .*fix: "),
    (["--pair", "mypairs:OTHER", "bn.pt", "x.weights.h5"], exitcodes.MISMATCH,
     r"error: bn.pt converted for pair bn-cnn-eps-accepted: the forward check failed \(first divergent layer: bn2.*"
     r"nothing written"),
    (["--pair", "mypairs:EPS", "bn.pt", "x.weights.h5"], exitcodes.MISMATCH,
     r"error: pair bn-cnn-eps: no difference that changes the outputs unless the pair accepts it, got BatchNorm "
     r"epsilon 0.001 vs 0.5 in Keras bn2 vs PyTorch 5; fix: .*accept=\{'bn2:epsilon': 'why'\}"),
    (["--pair", "mypairs:BN_CNN", "bn.pt", "x.weights.h5", "--report", "bn.pt"], exitcodes.USAGE,
     r"error: --report bn.pt: a file of its own, got the source bn.pt \(it would be written over\)"),
    (["--pair", "mypairs:BN_CNN", "bn.pt", "x.weights.h5", "--report", "mypairs.py"], exitcodes.USAGE,
     r"error: --report mypairs.py: a file of its own, got the pair's module .*mypairs.py"),
    (["--pair", "mypairs:BN_CNN", "bn.pt", "x.weights.h5", "--report", "x.weights.h5"], exitcodes.USAGE,
     r"error: --report x.weights.h5: a file of its own, got the target x.weights.h5"),
    (["--pair", "mypairs:BN_CNN", "empty.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: source empty.pt: PyTorch weights, got an empty file \(0 bytes\); fix: save the weights again"),
    (["--pair", "mypairs:BROKEN", "bn.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: pair bn-cnn-broken's builder mypairs.broken: a model; it raised ValueError: no such width: 7; fix: "
     r"correct mypairs.broken"),
], ids=["source-missing", "target-same-framework", "source-suffix", "pair-unknown", "pair-name-unknown",
        "module-unknown", "weights-of-another-model", "forward-check-fails", "setting-differs", "report-is-the-source",
        "report-is-the-pair-module", "report-is-the-target", "source-empty", "builder-raises"])
def test_mistakes_are_one_line_with_their_exit_code_and_nothing_written(user_folder, capsys, argv, code, says):
    import re
    before = {p.name: p.read_bytes() for p in user_folder.iterdir() if p.is_file()}
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(says, err), err
    assert not (user_folder / "x.weights.h5").exists() and not (user_folder / "x.pt").exists()
    assert {p.name: p.read_bytes() for p in user_folder.iterdir() if p.is_file()} == before, "a user's file changed"


def test_report_file_is_written_where_asked(user_folder, capsys):
    assert main(["--pair", "bn-cnn", "bn.pt", "out.weights.h5", "--report", "report.md",  # a registered name
                 "--samples", "4"]) == exitcodes.OK
    text = (user_folder / "report.md").read_text()
    assert text.strip() in capsys.readouterr().out  # the same page on stdout
    assert "| bn1 | 1 | batchnorm |" in text and "passed; wrote out.weights.h5" in text


def test_a_declared_pair_without_matching_layers_is_bad_input(tmp_path, monkeypatch, capsys):
    pair = ModelPair("p", lambda: None, lambda: None, InputSpec(shape=(3,)))
    monkeypatch.setattr("tfpt.cli.convert.resolve_pair", lambda ref: pair)
    (tmp_path / "w.pt").write_bytes(b"never read: the pair is refused first")
    assert main(["--pair", "x:p", str(tmp_path / "w.pt"), str(tmp_path / "w.weights.h5")]) == exitcodes.BAD_INPUT
    assert "error: pair p: " in capsys.readouterr().err


def test_a_whole_pickled_module_is_named_with_its_fix_in_one_clean_line(user_folder, capsys):
    """torch.save(model) instead of its state_dict: torch's own hint was cut mid-sentence, with colour codes."""
    from models.pairs import BN_CNN
    from tfpt.frameworks import import_torch
    import_torch().save(BN_CNN.torch(), str(user_folder / "whole.pt"))
    assert main(["--pair", "mypairs:BN_CNN", "whole.pt", "x.weights.h5"]) == exitcodes.BAD_INPUT
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "\x1b" not in err, err
    assert "got a whole pickled module (torch.nn.modules.container.Sequential)" in err
    assert err.strip().endswith("fix: save the weights alone with torch.save(model.state_dict(), path) and convert "
                                "that file")


@pytest.mark.parametrize("target", ["folder.weights.h5", "/sys/kernel/x.weights.h5", "no/such/x.weights.h5"],
                         ids=["an-existing-folder", "read-only-sys", "missing-folder"])
def test_an_unwritable_target_is_refused_before_any_work(user_folder, capsys, monkeypatch, target):
    """Refused before the conversion runs (it failed with a traceback after it before), exit 3."""
    import os
    import tempfile
    if target.startswith("/sys"):
        try:
            os.close(tempfile.mkstemp(dir="/sys/kernel")[0])
            pytest.skip("/sys/kernel is writable here")
        except OSError:
            pass
    (user_folder / "folder.weights.h5").mkdir()
    monkeypatch.setattr("tfpt.cli.convert.resolve_pair", lambda ref: pytest.fail("work started"))
    assert main(["--pair", "mypairs:BN_CNN", "bn.pt", target]) == exitcodes.BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: target {target}: a file "), err


def test_buffers_no_keras_layer_holds_survive_the_round_trip(user_folder, capsys):
    """num_batches_tracked (123 here) comes back from the .weights.h5; the negative control: the same file without
    the group it rides in gives a fresh model's 0, so the check sees a dropped buffer."""
    import h5py

    from tfpt.frameworks.keras.weight_files import TORCH_ONLY_GROUP
    argv = ["--pair", "mypairs:BN_CNN", "--samples", "2"]
    assert main([*argv, "bn.pt", "m.weights.h5"]) == exitcodes.OK
    assert "2 PyTorch state_dict entries no Keras layer holds, kept inside" in capsys.readouterr().out
    assert main([*argv, "m.weights.h5", "back.pt"]) == exitcodes.OK
    assert read_state(user_folder / "back.pt")["1.num_batches_tracked"] == 123
    with h5py.File(user_folder / "m.weights.h5", "a") as f:
        del f[TORCH_ONLY_GROUP]
    assert main([*argv, "m.weights.h5", "bare.pt"]) == exitcodes.OK
    assert read_state(user_folder / "bare.pt")["1.num_batches_tracked"] == 0
