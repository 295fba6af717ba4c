"""The layer registry: DSL keyword -> layer type.

Every module of this package that defines layer types lists them in `LAYERS`
(`base` and `window` only hold what the others share); each is found here by
name, so adding a layer type touches one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping

from .base import Layer

# Sorted, so the registry (and the legend built from it) has one order on every machine.
_MODULES = [
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
]
REGISTRY: dict[str, Layer] = {layer.keyword: layer for module in _MODULES for layer in getattr(module, "LAYERS", ())}


def reading_order(lists: Iterable[Mapping]) -> dict:
    """One order for the items of several ordered mappings that keeps each one's order where they agree:
    an item new to the order goes right after its predecessor in its own list, or last."""
    merged: list = []
    meanings: dict = {}
    for items in lists:
        previous = None
        for item, meaning in items.items():
            if item not in meanings:
                merged.insert(merged.index(previous) + 1 if previous is not None else len(merged), item)
                meanings[item] = meaning
            previous = item
    return {item: meanings[item] for item in merged}


# Every placeholder with its meaning, in the order the legend lists them and products read them.
PLACEHOLDERS = reading_order(layer.placeholders for layer in REGISTRY.values())
FACTOR_ORDER = tuple(PLACEHOLDERS)

__all__ = ["FACTOR_ORDER", "PLACEHOLDERS", "REGISTRY", "Layer", "reading_order"]
