"""A user's own model pair, declared in their own module: `pytest --pair my_pair:pair` runs every generic check."""
import torch  # PyTorch first: importing it after TensorFlow can crash (see README)
import keras

from tfpt import InputSpec, ModelPair


def keras_model():
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(10)])


def torch_model():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10))


pair = ModelPair("my-cnn", keras_model, torch_model, InputSpec(shape=(28, 28, 1)))
