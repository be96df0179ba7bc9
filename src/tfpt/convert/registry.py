"""The converter registry: `register` adds a converter (the latest registration wins), `find` picks the one for
a Keras class and a PyTorch class, `converter_for` raises a ConversionError listing what is registered. Pure
Python."""
from __future__ import annotations

from tfpt.convert.base import ConversionError, Converter, LayerRecord
from tfpt.convert.kinds import class_name

_REGISTRY: list[Converter] = []


def register(converter):
    """Add a converter (an instance, or a Converter subclass, instantiated here); returns it, so it also works as
    a class decorator. Later registrations take precedence in `find`."""
    inst = converter() if isinstance(converter, type) else converter
    if not isinstance(inst, Converter):
        raise TypeError(f"register() takes a tfpt.convert.Converter, got {type(inst).__name__}")
    if not inst.name or not inst.keras_classes or not inst.torch_classes:
        raise ValueError(f"{type(inst).__name__} needs a name, keras_classes and torch_classes")
    _REGISTRY.append(inst)
    return converter


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
