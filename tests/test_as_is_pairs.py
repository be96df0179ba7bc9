"""As-is pairs (ModelPair(as_is=True)): two models that already hold their weights — here a PyTorch CNN and its
Keras port written by tfpt-convert — compared as they are, nothing transferred: their parameters through the
converters' layout change, every layer's output, the models' outputs. A weight perturbed in the port is named by
its layer (the negative control), and the user's command passes on the port as written."""
import subprocess
import sys

import pytest

from tfpt.procs import child_env

pytestmark = [pytest.mark.tf, pytest.mark.torch]

PORT = '''
import os
import torch  # PyTorch first: importing it after TensorFlow can crash
import keras
from tfpt import InputSpec, ModelPair

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = InputSpec(shape=(12, 12, 3))

def keras_cnn():
    L = keras.layers
    return keras.Sequential([keras.Input((12, 12, 3)), L.Conv2D(8, 3), L.BatchNormalization(epsilon=1e-5, momentum=0.9),
                             L.ReLU(), L.Flatten(), L.Dense(10)])

def torch_cnn():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 10 * 10, 10))

def ported_keras():
    model = keras_cnn()
    model.load_weights(os.path.join(HERE, "port.weights.h5"))
    return model

def original_torch():
    model = torch_cnn()
    model.load_state_dict(torch.load(os.path.join(HERE, "original.pt"), weights_only=True))
    return model

arch = ModelPair("cnn-arch", keras_cnn, torch_cnn, SPEC)
port = ModelPair("cnn-port", ported_keras, original_torch, SPEC, as_is=True)
'''


@pytest.fixture
def port(tmp_path, monkeypatch):
    """A user's folder: the PyTorch original (trained-looking BatchNorm statistics) and its Keras port."""
    (tmp_path / "my_port.py").write_text(PORT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_port", raising=False)  # each test's own folder
    from tfpt.frameworks import import_torch
    torch = import_torch()
    import my_port

    from tfpt.convert.porting import convert_file
    torch.manual_seed(5)
    model = my_port.torch_cnn()
    model[1].running_mean.uniform_(-0.5, 0.5)
    model[1].running_var.uniform_(0.5, 1.5)
    torch.save(model.state_dict(), str(tmp_path / "original.pt"))
    assert convert_file(my_port.arch, tmp_path / "original.pt", tmp_path / "port.weights.h5", samples=8).written
    return my_port


def test_a_port_is_compared_as_it_is(port):
    from tfpt.checks import pairs as P
    from tfpt.compare import compare
    from tfpt.tolerances import tol
    pm = P.shared(port.port)
    k, t = P.parameters(pm)
    assert compare(k, t, tol("parameters")).ok and len(k) == 8  # conv 2, BatchNorm 4 (statistics too), dense 2
    x = port.SPEC.batch(16)
    assert P.compare_forward(pm, x).ok


def test_a_weight_perturbed_in_the_port_is_named_by_its_layer(port, tmp_path):
    import keras

    from tfpt.checks import pairs as P
    from tfpt.compare import compare
    from tfpt.tolerances import tol
    model = port.ported_keras()
    dense = model.layers[-1]
    kernel, bias = dense.get_weights()
    kernel[7, 3] += 1e-3  # one weight of 8,010, as a converter's off-by-one permutation or a dropped update would
    dense.set_weights([kernel, bias])
    model.save_weights(str(tmp_path / "port.weights.h5"))
    keras.backend.clear_session()
    pm = P.shared(port.port)
    params = compare(*P.parameters(pm), tol("parameters"))
    assert [r.name for r in params.rows if not r.ok] == [f"{pm.match.params[-1][0].name}.kernel"]
    assert not P.compare_forward(pm, port.SPEC.batch(16)).ok


@pytest.mark.cli  # a whole pytest session in a subprocess
def test_the_users_command_passes_on_the_port(port, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--pair",
                           "my_port:port"], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=child_env())
    last = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0 and " passed" in last and "failed" not in last, proc.stdout[-3000:]
    assert "PASSED" in next(line for line in proc.stdout.splitlines() if "test_parameters_agree[" in line)
    skipped = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all("as-is pair" in line or "formats" in line or "GPU" in line or "no worker side" in line
                           for line in skipped), skipped
