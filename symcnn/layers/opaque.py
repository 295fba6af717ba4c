"""An opaque layer: a module an importer could not express, kept with its traced shape and true counts.

`opaque (64, 56, 56), params=1234` stands for a layer whose output shape (in
the file's layout) and parameters are known only as numbers, e.g. from
`symcnn import torch --opaque`. It takes no part in formulas: its output is
the given constant whatever its input, and it adds its counts as given.
"""

from __future__ import annotations

from .base import WHOLE_FIELD, Cost, Layer, LayerContext, Option, Output, Shape, as_tuple, spatial_layout


class Opaque(Layer):
    keyword = "opaque"
    prefix = "opaque"
    example = "opaque (64, 56, 56), params=1234"
    options = (
        Option("shape", "sizes", positional=True),
        Option("params", "count", default=0, minimum=0, aliases=("trainable",)),
        Option("non_trainable", "count", default=0, minimum=0),
        Option("macs", "count", default=0, minimum=0),
    )

    def title(self, shape: Shape, torch: bool) -> str:
        return "Opaque"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        dims = as_tuple(ctx.args.shape)
        if any(not dim.is_Integer for dim in dims):
            raise ctx.fail("an opaque layer's shape is numbers, not formulas", "shape")
        if not 1 <= len(dims) <= 4:
            raise ctx.fail(f"the shape takes 1 to 4 dims, got {len(dims)}", "shape")
        if len(dims) == 1:
            axes = "F"
        elif len(dims) == len(shape.axes):
            axes = shape.axes
        else:
            axes = spatial_layout(len(dims) - 1, shape.channels_last if "C" in shape.axes else not ctx.torch)
        return Output(Shape(axes, tuple(dims)), windows=WHOLE_FIELD)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        return Cost(weights=ctx.args.params, non_trainable=ctx.args.non_trainable, macs=ctx.args.macs)


LAYERS = [Opaque()]
