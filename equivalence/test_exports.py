"""Export conformance: every format reloads in a fresh process that imports only its runtime, and agrees with
the trained in-memory model at batch 1, 7 and 256; the two ONNX files agree with each other."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures.trained import trained
from tfpt import deploy
from tfpt.compare import assert_close
from tfpt.data.datasets import as_float
from tfpt.exports import NEEDS, export, image_layout, to_layout
from tfpt.frameworks import get as framework, native, other
from tfpt.procs import child_env
from tfpt.tolerances import tol

REPO = Path(__file__).resolve().parent.parent
BATCHES = (1, 7, 256)
CASES = [pytest.param(fw.id, f, marks=getattr(pytest.mark, fw.id), id=f) for fw in native() for f in fw.formats]


def require(fmt):
    for module in NEEDS.get(fmt, ()):
        pytest.importorskip(module, reason=f"{module} is not installed: the {fmt} export cannot be checked")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, mnist, pytestconfig):
    """Lazily export each trained model once per format: {(fw, fmt): (Artifact, model)}."""
    cache = {}

    def get(fw, fmt):
        if (fw, fmt) not in cache:
            model, _ = trained(fw, mnist, 1, pytestconfig.getoption("seed"))
            folder = tmp_path_factory.mktemp(fmt)
            artifact = export(fw, model, fmt, folder, to_layout(as_float(mnist.x_test[:2]), image_layout(fw)))
            cache[(fw, fmt)] = (artifact, model)
        return cache[(fw, fmt)]
    return get


def run_deploy(artifact, x, tmp_path, batches="all"):
    np.save(tmp_path / "in.npy", x)
    proc = subprocess.run([sys.executable, "-m", "tfpt.deploy", artifact.format, str(artifact.path),
                           str(tmp_path / "in.npy"), str(tmp_path / "out.npz"), batches],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=child_env())
    return proc


@pytest.mark.train
@pytest.mark.parametrize("fw, fmt", CASES)
def test_reloads_in_fresh_process_and_agrees(fw, fmt, artifacts, mnist, tmp_path, measurements):
    require(fmt)
    artifact, model = artifacts(fw, fmt)
    x = as_float(mnist.x_test[:256])
    proc = run_deploy(artifact, to_layout(x, artifact.layout), tmp_path, ",".join(map(str, BATCHES)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    foreign = other(fw).modules[0]  # the other side's framework: torch beside TensorFlow, tensorflow beside torch
    assert foreign not in info["loaded"], f"the {fmt} deployer loaded {info['loaded']}"
    got = np.load(tmp_path / "out.npz")
    expected = framework(fw).module("cnn").predict(model, x)
    tolerance = tol("export-tflite" if fmt == "tflite" else "export")
    result = assert_close({f"b{n}": expected[:n] for n in BATCHES}, {f"b{n}": got[f"b{n}"] for n in BATCHES},
                          tolerance, what="batch")
    measurements[f"export {fmt}"] = {"max_abs": result.max_abs, "bytes": artifact.size_bytes,
                                     "load_s": info["load_s"], "loaded": info["loaded"]}


@pytest.mark.parametrize("fw, fmt", CASES)
@pytest.mark.parametrize("bad", ["wrong-layout", "wrong-dtype", "wrong-shape"])
def test_bad_input_is_a_clear_error(fw, fmt, bad):
    layout = image_layout(fw)
    image = {"NHWC": (28, 28, 1), "NCHW": (1, 28, 28)}
    declared = deploy.Declared("input", image[layout], "float32", "this test", layout)
    good = np.zeros((2, *image[layout]), np.float32)
    x = {"wrong-layout": np.zeros((2, *image["NCHW" if layout == "NHWC" else "NHWC"]), np.float32),
         "wrong-dtype": good.astype(np.uint8), "wrong-shape": np.zeros((2, 784), np.float32)}[bad]
    expected = {"wrong-layout": "fix: x.transpose", "wrong-dtype": "takes float32", "wrong-shape": "4-D batch"}[bad]
    deploy.check_input(fmt, declared, good.shape, good.dtype, "x")
    with pytest.raises(deploy.BadInput, match=expected):
        deploy.check_input(fmt, declared, x.shape, x.dtype, "x")


def test_bad_input_end_to_end_exit_code(tmp_path):
    """The deployer as a process: NHWC into an NCHW model exits 3 with the fix on stderr, writes no output; the
    artifact's sidecar declares the input, so this is refused before any runtime loads the (unloadable) file."""
    from tfpt.exports import Artifact
    artifact = Artifact("onnx-torch", tmp_path / "never-loaded.onnx", "NCHW")
    artifact.path.write_bytes(b"not an onnx file: the input check comes first")
    Path(str(artifact.path) + ".input.json").write_text(
        '{"shape": [null, 1, 28, 28], "dtype": "float32", "layout": "NCHW"}')
    proc = run_deploy(artifact, np.zeros((2, 28, 28, 1), np.float32), tmp_path)
    assert proc.returncode == 3 and "fix: x.transpose(0, 3, 1, 2)" in proc.stderr
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.train
@pytest.mark.tf
@pytest.mark.torch
def test_both_onnx_files_agree_on_all_test_images(mnist, tmp_path, pytestconfig, measurements):
    require("onnx-tf")
    require("onnx-torch")
    import onnx
    import onnxruntime as ort
    keras_model, _ = trained("tf", mnist, 1, pytestconfig.getoption("seed"))
    tha = framework("torch").module("cnn")
    keras_weights = framework("tf").module("cnn").get_weights(keras_model)
    torch_model = tha.set_weights(tha.build(tha.spec_of(tha.build())), keras_weights)
    tf_onnx = export("tf", keras_model, "onnx-tf", tmp_path / "tf", as_float(mnist.x_test[:2]))
    torch_onnx = export("torch", torch_model, "onnx-torch", tmp_path / "torch",
                        to_layout(as_float(mnist.x_test[:2]), "NCHW"))
    outs = {}
    for art in (tf_onnx, torch_onnx):
        onnx.checker.check_model(str(art.path), full_check=True)
        sess = ort.InferenceSession(str(art.path), providers=["CPUExecutionProvider"])
        x = to_layout(as_float(mnist.x_test), art.layout)
        outs[art.format] = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 1000]})[0]
                                           for i in range(0, len(x), 1000)])
    result = assert_close({"logits": outs["onnx-tf"]}, {"logits": outs["onnx-torch"]}, tol("export"), what="output")
    predicted_tf, predicted_torch = outs["onnx-tf"].argmax(1), outs["onnx-torch"].argmax(1)
    np.testing.assert_array_equal(predicted_tf, predicted_torch)
    measurements["onnx tf vs torch, 10,000 images"] = {"max_abs": result.max_abs,
                                                       "argmax_equal": int((predicted_tf == predicted_torch).sum())}
