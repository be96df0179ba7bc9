"""PyTorch side: the spec CNN built from `tfpt.spec`, the study's `nn.Module` as written, and layer taps.

`layer_outputs` returns every spec layer's activation converted to the suite's one layout, channels-last
(N, H, W, C) and Flatten in H, W, C order, so it compares directly with Keras.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from tfpt.convert.kinds import Kind
from tfpt.convert.layers import conv_kernel_to_keras, conv_kernel_to_torch, dense_kernel_to_keras, dense_kernel_to_torch
from tfpt.frameworks import import_torch
from tfpt.spec import CNN, STUDY_TORCH, ModelSpec, flatten_source_shape, input_shape_of, param_layers

torch = import_torch()
nn = torch.nn
F = torch.nn.functional


class SpecNet(nn.Module):
    """The CNN generated from a spec: a module per layer with parameters, named as the spec names them."""

    def __init__(self, spec: ModelSpec = CNN):
        super().__init__()
        self.spec = spec
        for layer in spec.layers:
            h, w, c = input_shape_of(spec, layer.name) if layer.kind == Kind.CONV else (0, 0, 0)
            if layer.kind == Kind.CONV:
                self.add_module(layer.name, nn.Conv2d(c, layer.filters, layer.kernel))
            elif layer.kind == Kind.DENSE:
                self.add_module(layer.name, nn.Linear(input_shape_of(spec, layer.name)[-1], layer.units))

    def _run_layer(self, layer, x):
        if layer.kind in (Kind.CONV, Kind.DENSE):
            x = getattr(self, layer.name)(x)
        elif layer.kind == Kind.MAXPOOL:
            x = F.max_pool2d(x, layer.size)
        elif layer.kind == Kind.FLATTEN:
            x = torch.flatten(x, 1)
        elif layer.kind == Kind.RELU:
            x = F.relu(x)
        if layer.activation == "relu":
            x = F.relu(x)
        elif layer.activation == "softmax" or layer.kind == Kind.SOFTMAX:
            x = F.softmax(x, dim=-1)
        return x

    def forward(self, x, taps: dict | None = None):
        for layer in self.spec.layers:
            x = self._run_layer(layer, x)
            if taps is not None:
                taps[layer.name] = x
        return x


class StudyNet(nn.Module):
    """The study's PyTorch model as it wrote it: an extra ReLU after the second max-pool, logits out."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5)
        self.fc1 = nn.Linear(4 * 4 * 64, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(x)
        x = x.view(-1, 4 * 4 * 64)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


# Which submodule holds each spec layer's parameters, per model class.
PARAM_MODULES = {
    SpecNet: None,  # named as the spec
    StudyNet: {"conv1": "conv1", "conv2": "conv2", "dense1": "fc1", "dense2": "fc2"},
}
# StudyNet's functional graph, as torch.fx names it, mapped to the layers of STUDY_TORCH.
STUDY_FX_NODES = {"conv1": "relu", "pool1": "max_pool2d", "conv2": "relu_1", "pool2": "max_pool2d_1",
                  "relu_extra": "relu_2", "flatten": "view", "dense1": "relu_3", "dense2": "fc2"}


def build(spec: ModelSpec = CNN, seed: int | None = None) -> nn.Module:
    if seed is not None:
        torch.manual_seed(seed)
    return StudyNet() if spec is STUDY_TORCH else SpecNet(spec)


def spec_of(model: nn.Module) -> ModelSpec:
    return STUDY_TORCH if isinstance(model, StudyNet) else model.spec


def param_module(model: nn.Module, layer_name: str) -> nn.Module:
    names = PARAM_MODULES[type(model)]
    return getattr(model, names[layer_name] if names else layer_name)


def layer_params(model: nn.Module, name: str) -> int:
    """Parameters of one spec layer of `model` (0 for the functional ones: pool, flatten, relu)."""
    try:
        return sum(p.numel() for p in param_module(model, name).parameters())
    except (AttributeError, KeyError):
        return 0


def to_channels_last(name_kind: str, t, chw_shape=None) -> np.ndarray:
    """One activation from PyTorch's layout to the suite's: NCHW -> NHWC; a flattened C,H,W -> H,W,C."""
    a = t.detach().cpu().numpy()
    if a.ndim == 4:
        return a.transpose(0, 2, 3, 1)
    if name_kind == Kind.FLATTEN and chw_shape is not None:
        h, w, c = chw_shape
        return a.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(a.shape[0], -1)
    return a


def raw_taps(model: nn.Module, x_nchw) -> "OrderedDict[str, object]":
    """Every spec layer's output tensor, in PyTorch's own layout (tensors keep their autograd graph)."""
    if isinstance(model, StudyNet):
        import torch.fx

        gm = torch.fx.symbolic_trace(model)
        outputs = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                out = super().run_node(n)
                outputs[n.name] = out
                return out

        Recorder(gm).run(x_nchw)
        return OrderedDict((layer, outputs[node]) for layer, node in STUDY_FX_NODES.items())
    taps: OrderedDict = OrderedDict()
    model(x_nchw, taps=taps)
    return taps


def layer_outputs(model: nn.Module, x_nhwc: np.ndarray) -> "OrderedDict[str, np.ndarray]":
    """Eval-mode, no-grad activations of every spec layer, channels-last, for a channels-last numpy batch."""
    model.eval()
    with torch.no_grad():
        taps = raw_taps(model, torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2))))
    return _channels_last_taps(spec_of(model), taps)


def layer_outputs_on(model: nn.Module, x_nhwc: np.ndarray, device: str) -> "OrderedDict[str, np.ndarray]":
    """layer_outputs computed on `device` ("cpu" or "gpu", TF32 off); the model moves there."""
    from tfpt.frameworks.torch.devices import device as torch_device
    dev = torch_device(device)
    model = model.to(dev).eval()
    with torch.no_grad():
        taps = raw_taps(model, torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2))).to(dev))
    return _channels_last_taps(spec_of(model), taps)


def _channels_last_taps(spec: ModelSpec, taps) -> "OrderedDict[str, np.ndarray]":
    return OrderedDict(
        (name, to_channels_last(spec.layer(name).kind, t,
                                input_shape_of(spec, name) if spec.layer(name).kind == Kind.FLATTEN else None))
        for name, t in taps.items())


def predict(model: nn.Module, x_nhwc: np.ndarray, batch: int = 1000) -> np.ndarray:
    model.eval()
    outs = []
    with torch.inference_mode():
        for i in range(0, len(x_nhwc), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x_nhwc[i:i + batch].transpose(0, 3, 1, 2)))
            outs.append(model(xb).numpy())
    return np.concatenate(outs)


def get_weights(model: nn.Module) -> "OrderedDict[str, tuple[np.ndarray, np.ndarray]]":
    """Canonical (Keras-layout) weights of every parameter layer; copies, exact."""
    spec = spec_of(model)
    out = OrderedDict()
    for layer in param_layers(spec):
        mod = param_module(model, layer.name)
        w = mod.weight.detach().cpu().numpy()
        out[layer.name] = (np.ascontiguousarray(torch_to_keras(spec, layer, w)),
                           mod.bias.detach().cpu().numpy().copy())
    return out


def set_weights(model: nn.Module, weights) -> nn.Module:
    spec = spec_of(model)
    with torch.no_grad():
        for layer in param_layers(spec):
            kernel, bias = weights[layer.name]
            mod = param_module(model, layer.name)
            w = keras_to_torch(spec, layer, np.asarray(kernel))
            if tuple(w.shape) != tuple(mod.weight.shape):
                raise ValueError(f"{layer.name}: weight of shape {w.shape} does not fit {tuple(mod.weight.shape)}")
            mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            mod.bias.copy_(torch.from_numpy(np.asarray(bias)))
    return model


def _channels_first(hwc: tuple | None) -> tuple | None:
    return None if hwc is None else (hwc[2], hwc[0], hwc[1])


def torch_to_keras(spec: ModelSpec, layer, weight: np.ndarray) -> np.ndarray:
    """A conv or dense weight in Keras' layout, through the converters' kernel maps (tfpt.convert.layers)."""
    if layer.kind == Kind.CONV:
        return conv_kernel_to_keras(weight)
    return dense_kernel_to_keras(weight, _channels_first(flatten_source_shape(spec, layer.name)))


def keras_to_torch(spec: ModelSpec, layer, kernel: np.ndarray) -> np.ndarray:
    if layer.kind == Kind.CONV:
        return conv_kernel_to_torch(kernel)
    return dense_kernel_to_torch(kernel, _channels_first(flatten_source_shape(spec, layer.name)))
