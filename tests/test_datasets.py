"""The data loader: real data verified against pinned digests, every source kind, and every kind of bad input
(missing, truncated, flipped byte, wrong digest) named with the file, both digests and the fix."""
import gzip
import os

import numpy as np
import pytest

from tfpt.data import datasets, sources
from tfpt.data.datasets import IDX_NAMES, INFO, KEYS, DataError

pytestmark = pytest.mark.data


def write_idx_dir(folder, ds, gz=False):
    folder.mkdir(parents=True, exist_ok=True)
    for key in KEYS:
        data = datasets.idx_bytes(getattr(ds, key))
        name = IDX_NAMES[key] + (".gz" if gz else "")
        (folder / name).write_bytes(gzip.compress(data, compresslevel=1) if gz else data)


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_real_data_is_full_and_pinned(name, request):
    ds = request.getfixturevalue(name)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == ds.y_train.dtype == np.uint8
    assert {k: datasets.digest(v) for k, v in ds.arrays().items()} == INFO[name].digests


def test_mnist_statistics_match_the_official_set(mnist):
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert abs(mnist.x_train.mean() / 255 - 0.1307) < 1e-4 and abs(mnist.x_train.std() / 255 - 0.3081) < 1e-4


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_user_dir_with_idx_files(mnist, tmp_path, gz):
    write_idx_dir(tmp_path / "user", mnist, gz=gz)
    ds = datasets.load("mnist", data_dir=tmp_path / "user", cache_dir=tmp_path / "cache")
    assert ds.source.startswith("--data-dir")
    assert all(p.is_file() for p in datasets.cache_paths("mnist", tmp_path / "cache").values())


def test_user_dir_with_keras_npz(mnist, tmp_path):
    np.savez(tmp_path / "mnist.npz", **mnist.arrays())
    ds = datasets.load("mnist", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(ds.x_test, mnist.x_test)


def test_user_dir_without_data_names_the_folder(tmp_path):
    with pytest.raises(DataError, match=rf"{tmp_path}: .*holds neither; fix:"):
        datasets.load("mnist", data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_wrong_digest_names_file_both_digests_and_fix(mnist, tmp_path):
    x = mnist.x_test.copy()
    x[0, 0, 0] ^= 1
    write_idx_dir(tmp_path / "user", datasets.Dataset("mnist", mnist.x_train, mnist.y_train, x, mnist.y_test, ""))
    with pytest.raises(DataError) as err:
        datasets.load("mnist", data_dir=tmp_path / "user", cache_dir=tmp_path / "cache")
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte" in msg and INFO["mnist"].digests["x_test"] in msg
    assert datasets.digest(x) in msg and "fix:" in msg
    assert not (tmp_path / "cache").exists()  # nothing cached from a bad source


@pytest.fixture
def cached(mnist, tmp_path):
    write_idx_dir(tmp_path / "user", mnist)
    datasets.load("mnist", data_dir=tmp_path / "user", cache_dir=tmp_path / "cache")
    return datasets.cache_paths("mnist", tmp_path / "cache")


def test_cache_byte_flip_detected_on_next_load(cached, tmp_path):
    path = cached["x_train"]
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.*expected sha256 741c9888.*got sha256.*"
                                        r"fix: the cache file is corrupt: delete it"):
        datasets.load("mnist", cache_dir=tmp_path / "cache")


def test_cache_truncated_file_detected(cached, tmp_path):
    path = cached["y_test"]
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: truncated or padded IDX file.*fix: delete it"):
        datasets.load("mnist", cache_dir=tmp_path / "cache")


def test_cache_garbage_header_detected(cached, tmp_path):
    cached["x_test"].write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: not an uint8 IDX file"):
        datasets.load("mnist", cache_dir=tmp_path / "cache")


def test_cache_is_readable_by_torchvision(cached, tmp_path, mnist):
    tv = pytest.importorskip("torchvision", reason="torchvision is not installed (optional beside torch 2.13)")
    view = tv.datasets.MNIST(str(tmp_path / "cache"), train=False, download=False)
    np.testing.assert_array_equal(view.data.numpy(), mnist.x_test)
    np.testing.assert_array_equal(view.targets.numpy(), mnist.y_test)


def test_atomic_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        datasets.atomic_write(target, b"x" * 100)
    assert list(tmp_path.iterdir()) == []


def test_missing_every_source_says_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nokeras"))
    monkeypatch.setattr(sources, "DEBIAN_FASHION", tmp_path / "nodebian")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"no source of fashion found \(tried: \[1\] Keras' cache .*: not there; "
                                        r"\[2\] torchvision's folder .*: not there; \[3\] the Debian package.*: "
                                        r"not there\).*apt-get install dataset-fashion-mnist"):
        datasets.load("fashion", cache_dir=tmp_path / "cache", allow_download=False)


def test_synthetic_is_seeded_and_shaped_like_mnist():
    a, b, c = datasets.synthetic(seed=3), datasets.synthetic(seed=3), datasets.synthetic(seed=4)
    assert a.x_train.shape[1:] == (28, 28) and a.x_train.dtype == np.uint8
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
