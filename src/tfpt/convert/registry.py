"""The converter registry: `register` adds a converter (the latest registration wins), `find` picks the one for
a Keras class and a PyTorch class, `converter_for` raises a ConversionError listing what is registered. The
tracers ask it too: `claims(framework, cls)` says a converter takes a class as one unit (a composite Keras layer
or a non-leaf torch module such as nn.MultiheadAttention is recorded whole, not descended into), and `kind_for`
gives that class's kind (the converter's `kind`), so a user's class reaches the matcher. Pure Python."""
from __future__ import annotations

from tfpt.convert.base import TORCH_LAYOUTS, ConversionError, Converter, LayerRecord
from tfpt.convert.kinds import Kind, class_name, kind_of

_REGISTRY: list[Converter] = []


def register(converter):
    """Add a converter (an instance, or a Converter subclass, instantiated here); returns it, so it also works as
    a class decorator. Later registrations take precedence in `find`."""
    inst = converter() if isinstance(converter, type) else converter
    if not isinstance(inst, Converter):
        raise TypeError(f"register() takes a tfpt.convert.Converter, got {type(inst).__name__}")
    if not inst.name or not inst.keras_classes or not inst.torch_classes:
        raise ValueError(f"{type(inst).__name__} needs a name, keras_classes and torch_classes")
    if inst.torch_layout is not None and inst.torch_layout not in TORCH_LAYOUTS:
        raise ValueError(f"{type(inst).__name__}.torch_layout={inst.torch_layout!r}: expected one of "
                         f"{', '.join(TORCH_LAYOUTS)} or None; fix: 'channels_first' for a module that outputs "
                         f"(N, C, ...), 'input' for one that keeps its input's layout")
    if inst.kind is None:
        inst.kind = default_kind(inst)
    _REGISTRY.append(inst)
    return converter


def default_kind(converter: Converter) -> "Kind | str":
    """A converter's kind where it sets none: the kind table's for its first Keras (then PyTorch) class that the
    table knows, else a kind of its own ("converter:<name>"), which only this converter's classes share."""
    for fw, classes in (("tf", converter.keras_classes), ("torch", converter.torch_classes)):
        for cls in classes:
            kind = kind_of(fw, cls)
            if kind is not None:
                return kind
    return f"converter:{converter.name}"


def _claimed(framework: str, cls) -> Converter | None:
    name = class_name(cls)
    from tfpt.frameworks import KERAS_SIDE, get
    side = "keras_classes" if framework == "keras" or get(framework).side == KERAS_SIDE else "torch_classes"
    return next((c for c in converters() if name in getattr(c, side)), None)


def claims(framework: str, cls) -> bool:
    """Whether a registered converter takes this Keras or PyTorch class (a name, class or instance) whole."""
    return _claimed(framework, cls) is not None


def kind_for(framework: str, cls) -> "Kind | str | None":
    """The kind the tracers give a class: the claiming converter's `kind`, else the kind table's (kind_of)."""
    conv = _claimed(framework, cls)
    if conv is not None and conv.kind is not None:
        return conv.kind
    return kind_of(framework, cls)


def torch_layout_for(cls) -> str | None:
    """The output layout the converter claiming this PyTorch class declares (Converter.torch_layout), or None."""
    conv = _claimed("torch", cls)
    return conv.torch_layout if conv is not None else None


def unregister(converter: Converter) -> None:
    _REGISTRY.remove(converter)


def converters() -> list[Converter]:
    """Registered converters, latest first (the order `find` tries them)."""
    return list(reversed(_REGISTRY))


def find(keras_cls: str, torch_cls: str) -> Converter | None:
    """The converter for this Keras class and PyTorch class (names, classes or instances), or None."""
    kc, tc = class_name(keras_cls), class_name(torch_cls)
    return next((c for c in converters() if kc in c.keras_classes and tc in c.torch_classes), None)


def converter_for(k: LayerRecord, t: LayerRecord) -> Converter:
    """`find` for two records, raising a ConversionError that lists what is registered when nothing matches."""
    found = find(k.cls, t.cls)
    if found is None:
        known = ", ".join(f"{'/'.join(c.keras_classes)}<->{'/'.join(c.torch_classes)}" for c in converters())
        raise ConversionError(k, t, f"a registered converter for this pair (registered: {known})",
                              "register a tfpt.convert.Converter for these classes")
    return found
