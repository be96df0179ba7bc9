"""tfpt-convert: a PyTorch state_dict written as Keras weights and back, for every registered pair, bit for bit
(the converters are exact), with the pair's forward check and its report; and the command's mistakes, each one
line with its exit code and nothing written."""
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
    from tfpt.adapters import get
    from tfpt.frameworks import import_torch
    torch = import_torch()
    state = get("torch").build(pair, seed).state_dict()
    torch.save(state, str(path))
    return {k: v.numpy().copy() for k, v in state.items()}


def read_state(path: Path) -> dict:
    from tfpt.frameworks import import_torch
    return {k: v.numpy() for k, v in import_torch().load(str(path), weights_only=True).items()}


@pytest.mark.parametrize("pair", PAIRS)
def test_state_dict_to_keras_and_back_is_bitwise(pair, tmp_path, measurements):
    from tfpt.porting import convert_file
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
        "from models.pairs import BN_CNN, bn_cnn_keras\nfrom tfpt import InputSpec, ModelPair\n"
        "def other_eps():\n    m = BN_CNN.torch()\n    m[5].eps = 0.5\n    return m\n"
        "OTHER = ModelPair('bn-cnn-eps', bn_cnn_keras, other_eps, InputSpec(shape=(28, 28, 1)))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from models.pairs import BN_CNN
    save_seeded_torch(BN_CNN, tmp_path / "bn.pt")
    return tmp_path


@pytest.mark.parametrize("argv, code, says", [
    (["--pair", "mypairs:bn-cnn", "missing.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: source missing.pt: an existing file; fix: check the path"),
    (["--pair", "mypairs:bn-cnn", "bn.pt", "x.pt"], exitcodes.USAGE,
     r"error: target x.pt: a .weights.h5 file \(bn.pt holds PyTorch weights.*fix: name the target like"),
    (["--pair", "mypairs:bn-cnn", "bn.bin", "x.weights.h5"], exitcodes.USAGE, r"error: source bn.bin: a .pt/.pth"),
    (["--pair", "mypairs:nope", "bn.pt", "x.weights.h5"], exitcodes.USAGE,
     r"error: --pair mypairs:nope: a ModelPair named 'nope' in mypairs or a pair it registers .*fix: define nope"),
    (["--pair", "nomodule_here:p", "bn.pt", "x.weights.h5"], exitcodes.USAGE, r"an importable module 'nomodule_here'"),
    (["--pair", "mypairs:mlp-ln", "bn.pt", "x.weights.h5"], exitcodes.BAD_INPUT,
     r"error: source bn.pt: weights of pair mlp-ln's model: expected the model's 6 entries; missing .*fix: "),
    (["--pair", "mypairs:OTHER", "bn.pt", "x.weights.h5"], exitcodes.MISMATCH,
     r"error: bn.pt converted for pair bn-cnn-eps: the forward check failed \(first divergent layer: bn2.*nothing "
     r"written"),
], ids=["source-missing", "target-same-framework", "source-suffix", "pair-unknown", "module-unknown",
        "weights-of-another-model", "forward-check-fails"])
def test_mistakes_are_one_line_with_their_exit_code_and_nothing_written(user_folder, capsys, argv, code, says):
    import re
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(says, err), err
    assert not (user_folder / "x.weights.h5").exists() and not (user_folder / "x.pt").exists()
    assert sorted(p.name for p in user_folder.iterdir() if not p.name.startswith("__")) == ["bn.pt", "mypairs.py"]


def test_report_file_is_written_where_asked(user_folder, capsys):
    assert main(["--pair", "mypairs:bn-cnn", "bn.pt", "out.weights.h5", "--report", "report.md",
                 "--samples", "4"]) == exitcodes.OK
    text = (user_folder / "report.md").read_text()
    assert text.strip() in capsys.readouterr().out  # the same page on stdout
    assert "| bn1 | 1 | batchnorm |" in text and "passed; wrote out.weights.h5" in text


def test_a_declared_pair_without_matching_layers_is_bad_input(tmp_path, monkeypatch, capsys):
    pair = ModelPair("p", lambda: None, lambda: None, InputSpec(shape=(3,)))
    monkeypatch.setattr("tfpt.cli.convert.resolve_pair", lambda ref: pair)
    (tmp_path / "w.pt").write_bytes(b"")
    assert main(["--pair", "x:p", str(tmp_path / "w.pt"), str(tmp_path / "w.weights.h5")]) == exitcodes.BAD_INPUT
    assert "error: pair p: " in capsys.readouterr().err
