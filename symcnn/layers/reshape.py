"""Reshaping without parameters: `permute` (torch's x.permute(0, ...), keras.layers.Permute) and
`reshape` (torch's x.reshape(1, ...), keras.layers.Reshape). Dims are numbered from 1, the batch
excluded, as Keras numbers them: `permute (2, 3, 1)` is torch's `permute(0, 2, 3, 1)`, CHW to HWC."""

from __future__ import annotations

from sympy import Eq

from ..notation import textbook
from .base import KEEP_FIELD, WHOLE_FIELD, Layer, LayerContext, Option, Output, Shape, as_tuple, product, spatial_layout


class Permute(Layer):
    keyword = "permute"
    prefix = "permute"
    example = "permute (2, 3, 1)"
    options = (Option("dims", "sizes", positional=True),)

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        order = as_tuple(ctx.args.dims)
        if sorted(order) != list(range(1, len(shape.dims) + 1)):
            raise ctx.fail(
                f"dims must be an order of 1 to {len(shape.dims)}, got {textbook(order)}",
                "dims",
                f"e.g. permute {tuple(range(2, len(shape.dims) + 1)) + (1,)} moves the first dim last",
            )
        axes = "".join(shape.axes[int(i) - 1] for i in order)
        moved = Shape(axes, tuple(shape.dims[int(i) - 1] for i in order))
        # The field is kept per spatial axis while the spatial axes keep their order.
        return Output(moved, windows=KEEP_FIELD if moved.spatial_axes == shape.spatial_axes else WHOLE_FIELD)


class Reshape(Layer):
    keyword = "reshape"
    prefix = "reshape"
    example = "reshape (20, 18, 4)"
    options = (Option("dims", "sizes", positional=True),)

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        dims = as_tuple(ctx.args.dims)
        if len(dims) > 4:
            raise ctx.fail(f"reshape takes 1 to 4 dims, got {len(dims)}", "dims")
        ctx.require(
            Eq(product(dims), shape.elements()),
            "the number of elements must stay the same",
            lambda: f"{textbook(product(dims))} elements, the input has {textbook(shape.elements())}",
        )
        # Read in the file's layout: a feature vector, or spatial dims with the channels where they were.
        axes = "F" if len(dims) == 1 else spatial_layout(len(dims) - 1, shape.channels_last or "C" not in shape.axes)
        # To a feature vector it is a flatten, which keeps each element's field; else elements change axes.
        return Output(Shape(axes, tuple(dims)), windows=KEEP_FIELD if axes == "F" else WHOLE_FIELD)


LAYERS = [Permute(), Reshape()]
