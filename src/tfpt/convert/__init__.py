"""Weight conversion between Keras layers and PyTorch modules, as a registry users can extend.

Everything here is numpy: the adapters describe each layer as a framework-neutral `LayerRecord` (class name,
plain config, weights by name) and write converted weights back. A `Converter` maps one Keras layer kind to one
PyTorch module kind, exactly (transposes, reshapes, block reorders: bit for bit), and lists the config
differences that change the math (an epsilon, a momentum, a padding mode) so a pair can say they are matched.

Holds: the data types (`LayerRecord`, `Context`, `Difference`, `ConversionError`), the `Converter` base class, the
registry (tfpt.convert.registry: `register`, `unregister`, `find`, `converters`), and from `tfpt.convert.kinds` the
layer kinds (`Kind`) and `kind_of`, which names what a Keras class, a PyTorch module class or a PyTorch functional
op computes (Kind.CONV, Kind.DENSE, Kind.RELU, Kind.FLATTEN, ...). The built-in converters live in
`tfpt.convert.layers` and the modules beside it (attention, norms, separable, transpose, bare, hub), which share
the helpers of `tfpt.convert.common`; this file registers them all (`BUILT_IN`), once, as the package is imported.
`tfpt.convert.porting` ports a trained model's weight file through them, checked (the library behind
tfpt-convert: tfpt.cli.convert parses its arguments).

Extending: subclass `Converter`, set `name`, `keras_classes`, `torch_classes`, implement `_to_torch` and
`_to_keras` (and `differences` when the pair has config that matters; `torch_layout` where the PyTorch module's
output layout is not its kind's), then `register(MyConverter())`. The
latest registration wins, so a user's converter can replace a built-in one for the same classes.
"""
from tfpt.convert import attention, bare, hub, layers, norms, separable, transpose
from tfpt.convert.base import Context, ConversionError, Converter, Difference, LayerRecord, _conform
from tfpt.convert.kinds import PARAMETRIC_KINDS, Kind, class_name, kind_of, needs_converter
from tfpt.convert.registry import (
    claims,
    converter_for,
    converters,
    find,
    kind_for,
    register,
    torch_layout_for,
    unregister,
)

# The built-in converters in registration order (the latest registration wins where two claim the same classes).
BUILT_IN: tuple[type[Converter], ...] = (
    layers.ConvConverter, layers.DepthwiseConvConverter, layers.DenseConverter, layers.BatchNormConverter,
    layers.LayerNormConverter, layers.EmbeddingConverter, layers.LSTMConverter, layers.GRUConverter,
    transpose.ConvTransposeConverter, separable.SeparableConvConverter, norms.GroupNormConverter,
    norms.LayerNorm2dConverter, norms.LayerScaleConverter, bare.BareScaleConverter,
    attention.MultiHeadAttentionConverter, attention.AttentionLinearsConverter, *hub.CONVERTERS,
)
for _cls in BUILT_IN:
    register(_cls())

__all__ = [
    "Context", "ConversionError", "Converter", "Difference", "LayerRecord", "converter_for", "converters", "find",
    "register", "unregister", "claims", "kind_for", "torch_layout_for",
    "Kind", "PARAMETRIC_KINDS", "class_name", "kind_of", "needs_converter", "layers", "BUILT_IN",
    "_conform",  # for converters defined elsewhere: the check every built-in conversion's result goes through
]
