"""The study's PyTorch code as it was written, run for its figures: `torchvision.datasets.MNIST(root,
train=True, transform=transforms.ToTensor())` (a PIL image per sample, converted to a float tensor / 255),
`DataLoader(train_dataset, batch_size=32)` with no shuffle, its model (`StudyNet`: the extra ReLU, logits),
`nn.CrossEntropyLoss()` and `optim.Adam(model.parameters())` with torch's defaults, the plain loop
zero_grad / forward / loss / backward / step, and a test loop under `torch.no_grad()` over a
`DataLoader(test_dataset, batch_size=32)` (the test batch is not given where the study is quoted; 32, as its
training loader). The one addition: the suite's clock (tfpt.training.clock) around each epoch's batch loop.
The images come from the suite's verified cache, laid out as torchvision reads it (`<cache>/MNIST/raw/`).
"""
from __future__ import annotations

import math

from tfpt.data import datasets
from tfpt.frameworks import import_torch
from tfpt.frameworks.torch.cnn import StudyNet
from tfpt.training.clock import Stamp, describe as clock_describe
from tfpt.training.history import EpochLog, RunResult

torch = import_torch()
MODE = "study-code"
BATCH = 32  # its training loader's batch
EVAL_BATCH = 32  # its test loader's (assumed: see the module docstring)


def _datasets(name: str, limit: int | None):
    import torchvision
    from torchvision import transforms
    cls = {"mnist": torchvision.datasets.MNIST, "fashion": torchvision.datasets.FashionMNIST}[name]
    root = str(datasets.torchvision_root(name))
    train = cls(root=root, train=True, transform=transforms.ToTensor(), download=False)
    test = cls(root=root, train=False, transform=transforms.ToTensor(), download=False)
    if limit:  # plumbing tests only: the first images, the same code path
        sub = torch.utils.data.Subset
        train, test = sub(train, range(min(limit, len(train)))), sub(test, range(min(limit, len(test))))
    return train, test


def run(dataset: str, epochs: int, seed: int, phases, options: dict | None = None,
        limit: int | None = None) -> RunResult:
    """Train and evaluate as the study's code does; `phases.mark` at the worker's RSS boundaries. `limit`: the
    first images only (plumbing tests; never for figures)."""
    from torch import nn, optim
    from torch.utils.data import DataLoader
    torch.manual_seed(seed)  # the study did not seed; seeding only fixes the initial weights
    plant_idle_s = float((options or {}).get("plant_idle_s", 0.0))
    train_dataset, test_dataset = _datasets(dataset, limit)
    phases.mark("data")
    train_loader = DataLoader(train_dataset, batch_size=BATCH)
    test_loader = DataLoader(test_dataset, batch_size=EVAL_BATCH)
    model = StudyNet()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters())
    phases.mark("model")
    result = RunResult("torch", dataset, seed, "unshuffled", mode=MODE)
    for epoch in range(1, epochs + 1):
        model.train()
        running, correct, seen = 0.0, 0, 0
        begin = Stamp()
        for step, (images, labels) in enumerate(train_loader, 1):
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if plant_idle_s and step == 1:
                import time
                time.sleep(plant_idle_s)
            running += loss.item() * len(labels)
            correct += int((outputs.argmax(1) == labels).sum())
            seen += len(labels)
        span = Stamp() - begin
        idle = clock_describe(span, "torch", MODE)
        result.epochs.append(EpochLog(epoch, running / seen, correct / seen, math.nan, span.wall_s, 0.0,
                                      cpu_seconds=span.cpu_s, idle_seconds=idle["idle_seconds"], idle=idle["idle"]))
    phases.mark("train")
    e0 = Stamp()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    last = result.epochs[-1]
    last.test_acc, last.eval_seconds = correct / total, (Stamp() - e0).wall_s
    return result
