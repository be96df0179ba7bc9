"""Real MNIST test images through tfpt's data loader (a seeded choice), as the repository's own pairs use."""
import numpy as np

from tfpt import InputSpec
from tfpt.data import datasets


def mnist_images(n: int, seed: int) -> np.ndarray:
    x = datasets.load("mnist").x_test
    idx = np.random.default_rng(seed).choice(len(x), size=n, replace=n > len(x))
    return datasets.as_float(x[np.sort(idx)])


MNIST = InputSpec(shape=(28, 28, 1), sample=mnist_images)
