"""The layer registry: DSL keyword -> layer type. Adding a layer type touches one module."""

from __future__ import annotations

from . import activation, conv, dense, normalization, opaque, pooling, resize
from .base import Layer

REGISTRY: dict[str, Layer] = {
    layer.keyword: layer
    for module in (conv, pooling, resize, dense, normalization, activation, opaque)
    for layer in module.LAYERS
}

__all__ = ["REGISTRY", "Layer"]
