"""Keras models that hold models (a `Sequential` stem inside a functional model, as keras.applications'
ConvNeXt builds its stem and downsampling blocks) seen as one graph of their leaf layers, for the tracer."""
from __future__ import annotations

import weakref

from tfpt.frameworks import import_keras as _keras

keras = _keras()  # through the import guard: TensorFlow after torch's safe import (a segfault otherwise)


def nested(model) -> bool:
    """Whether any layer of `model` is itself a model."""
    return any(isinstance(layer, keras.Model) for layer in model.layers)


def _graph(model):
    """The functional graph that runs `model`: a Sequential's own, a functional model itself; None for a
    subclassed model (no graph to look inside)."""
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    return graph if hasattr(graph, "_run_through_graph") else None


class Flat:
    """`model` re-run on fresh symbolic inputs with every sub-model replaced by its own layers, called in order:
    the same layer objects (so the same weights), one graph. `layers`: the leaf layers in call order;
    `outputs[name]`: each one's symbolic output in this graph; `sources[name]`: the leaf layers whose outputs it
    read (None entries: the model's inputs)."""

    def __init__(self, model):
        self.inputs = [keras.Input(batch_shape=tuple(t.shape), dtype=t.dtype) for t in model.inputs]
        self.layers: list = []
        self.outputs: dict = {}
        self.sources: dict = {}
        self._producer: dict = {}
        self.input = self.inputs if len(self.inputs) > 1 else self.inputs[0]  # as keras.Model takes it
        self._run(model, self.input)

    def _reads(self, args, kwargs) -> list:
        tensors = [t for t in keras.tree.flatten((args, kwargs)) if isinstance(t, keras.KerasTensor)]
        return [p for t in tensors for p in self._producer.get(id(t), (None,))]

    def _run(self, model, inputs):
        graph = _graph(model)
        if graph is None:
            raise TypeError(f"{model.name}: a subclassed keras.Model inside the model has no graph to look inside")

        def operation_fn(op):
            if isinstance(op, keras.Model):
                return lambda *args, **kwargs: self._run(op, args[0] if len(args) == 1 else list(args))

            def call(*args, **kwargs):
                result = op(*args, **kwargs)
                reads = self._reads(args, kwargs)
                if isinstance(op, keras.layers.Layer):
                    self.layers.append(op)
                    self.outputs[op.name], self.sources[op.name] = result, reads
                    made = (op.name,)
                else:  # a keras.ops call in the graph: its output stands for what it read
                    made = tuple(r for r in reads if r is not None) or (None,)
                for t in keras.tree.flatten(result):
                    self._producer[id(t)] = made
                return result
            return call
        return graph._run_through_graph(inputs, operation_fn=operation_fn)


_views: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def flat(model) -> Flat:
    """The flat view of a model with sub-models, made once per model."""
    view = _views.get(model)
    if view is None:
        view = _views[model] = Flat(model)
    return view
