"""PyTorch's benchmark bodies: the training step and the inference call the benchmarks time (tfpt.bench.workloads
holds the batches and FLOP counts), a model pair's PyTorch side as the cost worker drives it (tfpt.training.
pair_cost), and the float32 multiply of the machine's yardstick (tfpt.bench.yardstick)."""
from __future__ import annotations

import numpy as np

from tfpt import frameworks
from tfpt.bench.workloads import BATCH, test_batch
from tfpt.settings import STUDY
from tfpt.spec import CNN


def step(ds, device: str, seed: int, precision: str = "float32"):
    import torch

    from tfpt.frameworks.torch import cnn as torch_models
    from tfpt.frameworks.torch.devices import device as torch_device
    from tfpt.frameworks.torch.train import autocast, make_loss, make_optimizer, to_tensors
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).train()
    opt = make_optimizer(STUDY, model.parameters())
    x, y = to_tensors(ds.x_train[:BATCH], ds.y_train[:BATCH], STUDY)
    x, y = x.to(dev), y.to(dev)
    loss_fn = make_loss(STUDY, CNN.head)
    opts = {"precision": precision}

    def body():
        opt.zero_grad()
        with autocast(dev, opts):
            loss = loss_fn(model(x).float(), y)
        loss.backward()
        opt.step()
        if dev.type != "cpu":
            torch.cuda.synchronize()
    return body


# Inference modes: the same model and weights; only how the call is run changes. "as-written" is the study's
# plain call (nn.Module under inference_mode, NCHW). `python -m tfpt.cli.tune --inference --rounds 7` (2-core CPU,
# TF 2.21, torch 2.14.1, interleaved; median ms at batch 1 / at batch 1,024, % of the float32 2048³ matmul of the
# same rounds; TensorFlow's in tfpt.frameworks.keras.bench):
#   torch  as-written 0.460 / 201.5 (22 %); channels_last 0.267 / 119.7 (37 %); TorchScript trace + freeze +
#          optimize_for_inference 0.244 / 76.4 (57 %); that + channels_last 0.235 / 72.6 (60 %);
#          torch.compile 0.336 / 117.9 (37 %). An earlier run: bf16 autocast + channels_last 0.642 / 86.1 (61 %)
INFER_MODES = {"as-written": {}, "tuned": {"freeze": True},
               "tuned-bf16": {"channels_last": True, "precision": "bfloat16"}}


def infer(ds, device: str, seed: int, batch: int, mode: str = "as-written", options: dict | None = None):
    import torch

    from tfpt.frameworks.torch import cnn as torch_models
    from tfpt.frameworks.torch.devices import device as torch_device
    opts = INFER_MODES[mode] if options is None else options
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = torch_models.build(CNN).to(dev).eval()
    x = torch.from_numpy(np.ascontiguousarray(test_batch(ds.x_test, batch).transpose(0, 3, 1, 2))).to(dev)
    if opts.get("channels_last"):
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    if opts.get("freeze"):  # TorchScript trace, frozen: constants folded, conv + ReLU fused by oneDNN
        import warnings
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            # torch 2.14 deprecates torch.jit; it is still the fastest CPU inference path measured here
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
            model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x).eval()))
    if opts.get("compile"):
        model = torch.compile(model)

    bf16 = opts.get("precision") == "bfloat16"

    def body():
        with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(x).float()
        if dev.type != "cpu":
            torch.cuda.synchronize()
        return out
    return body


class Side:
    """The PyTorch module of a model pair as the cost worker (tfpt.training.pair_cost) drives it: built, its
    state_dict loaded from the file the parent wrote; its plain output, a training step with the study's settings
    (tfpt.settings.STUDY: Adam through the trainer's make_optimizer, the loss through its make_loss) and its plain
    inference call. PyTorch is imported when `load_framework` is called."""
    HOW = "zero_grad + loss.backward + Adam.step / module under inference_mode"

    @staticmethod
    def load_framework():
        return frameworks.import_torch()

    def __init__(self, pair, weights: str, seed: int):
        torch = self.torch = frameworks.import_torch()
        torch.manual_seed(seed)
        self.model = pair.torch()
        self.model.load_state_dict(torch.load(weights, weights_only=True))
        self.model.eval()

    def output(self, x):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x)).numpy()

    def step_fn(self, x, y, head: str):
        from tfpt.frameworks.torch import train as torch_train
        torch, model = self.torch, self.model
        model.train()
        opt, loss_fn = torch_train.make_optimizer(STUDY, model.parameters()), torch_train.make_loss(STUDY, head)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

        def step():
            opt.zero_grad()
            loss = loss_fn(model(xt), yt)
            loss.backward()
            opt.step()
        return step

    def infer_fn(self, x):
        torch, model, xt = self.torch, self.model, self.torch.from_numpy(x)

        def infer():
            model.eval()
            with torch.inference_mode():
                return model(xt)
        return infer


def matmul(n: int, device: str = "cpu"):
    """A float32 n x n multiply in torch on `device` ("gpu": CUDA, synchronised), its operands made once: the
    machine's speed (tfpt.bench.yardstick). Raises ImportError where torch is not installed (or hidden)."""
    import torch
    dev = "cuda" if device == "gpu" else "cpu"
    a, b = torch.rand(n, n, device=dev), torch.rand(n, n, device=dev)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    return lambda: (torch.mm(a, b), sync())
