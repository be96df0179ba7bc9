"""The datasets this suite knows: names, shapes, pinned SHA-256 digests, mirrors and cache names (INFO), the
loaded `Dataset`, and `DataError`, which every data failure raises with the file and the fix. Numpy only."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


class DataError(RuntimeError):
    """A data file is missing, unreadable or not the pinned content. The message names the file and the fix."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    folder: str  # torchvision's class name, and the cache sub-folder
    shapes: dict
    digests: dict  # SHA-256 of each uint8 array's bytes (C order)
    mirrors: tuple
    keras_cache: tuple  # candidate paths under ~/.keras/datasets


INFO = {
    "mnist": DatasetInfo(
        name="mnist", folder="MNIST",
        shapes={"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
        digests={
            "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        },
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        keras_cache=("mnist.npz",),
    ),
    "fashion": DatasetInfo(
        name="fashion", folder="FashionMNIST",
        shapes={"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
        digests={
            "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
            "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        },
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        keras_cache=("fashion-mnist",),
    ),
}

@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def arrays(self) -> dict:
        return {k: getattr(self, k) for k in KEYS}


def as_float(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: x / 255, as both of the study's scripts do."""
    return (x.astype(np.float32) / np.float32(255.0))[..., None]


def digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
