"""pytorch/examples' mnist `Net` and Keras ports of it: one ending in log_softmax (as the original), one in softmax."""
from mnist_input import MNIST

from tfpt import ModelPair


def torch_net():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output
    return Net()


def keras_port(head: str):
    import keras
    from keras import layers
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                             layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Dropout(0.25),
                             layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
                             layers.Dense(10), layers.Activation(head)])



pair = ModelPair("torch-mnist-net", lambda: keras_port("log_softmax"), torch_net, MNIST, formats=(), batch=64)
wrong_head = ModelPair("torch-mnist-softmax-port", lambda: keras_port("softmax"), torch_net, MNIST, formats=(),
                       batch=64)
