"""A real port checked layer by layer: transformers' BertModel against keras-hub's BertBackbone, tiny, random init
(models/hub.py). Needs the optional extra requirements-hub.txt (installed with --no-deps); where it is absent the
checks skip with that reason. Three named inputs, two named outputs, keras-hub's composite layers as units."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HUB = pytest.mark.needs_module("keras_hub", "transformers", why="pip install --no-deps -r requirements-hub.txt")


def pair_run(ref: str, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "--pair", ref,
                           "-rA",
                           *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


@HUB
@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.cli
def test_bert_with_the_same_gelu_passes_every_generic_check():
    proc = pair_run("models.hub:BERT_TANH")
    assert proc.returncode == 0, proc.stdout[-3000:]
    passed = [line for line in proc.stdout.splitlines() if line.startswith("PASSED ")]
    for check in ("test_layers_correspond[hf-bert-tiny-tanh]", "test_gradients[hf-bert-tiny-tanh]",
                  "test_forward_layer[hf-bert-tiny-tanh-transformer_layer_1-tf->torch]",
                  "test_training_mode_steps[hf-bert-tiny-tanh]"):
        assert any(line.endswith(f"::{check}") for line in passed), f"{check} did not pass:\n" + proc.stdout[-3000:]


@HUB
@pytest.mark.tf
@pytest.mark.torch
def test_bert_with_hf_default_gelu_names_the_difference():
    """Negative control: HF's default hidden_act 'gelu' (erf) against keras-hub's tanh approximation."""
    from tfpt.frameworks import torch_first
    torch_first()
    from models.hub import BERT
    from tfpt import differences
    found = [str(d) for d in differences(BERT) if d.material and not d.accepted]
    assert len(found) == 2 and all("GELU, tanh approximation in Keras vs GELU, exact (erf) in PyTorch" in d and
                                   "hidden_act=gelu_pytorch_tanh" in d for d in found), found
