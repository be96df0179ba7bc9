"""keras.io's "Simple MNIST convnet" and a PyTorch port of it."""
from mnist_input import MNIST

from tfpt import ModelPair


def keras_model():
    import keras
    from keras import layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def torch_model():
    import torch
    from torch import nn

    class Port(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
            self.dropout, self.fc = nn.Dropout(0.5), nn.Linear(1600, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
            return torch.softmax(self.fc(self.dropout(torch.flatten(x, 1))), dim=1)
    return Port()



pair = ModelPair("keras-mnist-convnet", keras_model, torch_model, MNIST,
                 keras_head="softmax", torch_head="softmax", formats=(), batch=64)
