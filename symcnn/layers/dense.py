"""Dense (fully connected) layers: keras.layers.Dense, torch.nn.Linear.

Both frameworks apply the layer to the last axis and keep the others.
"""

from __future__ import annotations

from ..notation import Placeholder
from .activation import ACTIVATION_WORDS
from .base import (
    KEEP_FIELD,
    WHOLE_FIELD,
    Cost,
    Layer,
    LayerContext,
    Option,
    Output,
    Shape,
    Step,
    product,
    spatial_layout,
)

IN_FEATURES = Placeholder("n_in", integer=True, positive=True)
UNITS = Placeholder("n_out", integer=True, positive=True)


class Dense(Layer):
    keyword = "dense"
    prefix = "dense"
    example = "dense 100, activation=softmax"
    options = (
        Option("units", "count", positional=True),
        Option("bias", "flag", default=True),
        Option("activation", "word", default=None, words=ACTIVATION_WORDS),
    )

    placeholders = {IN_FEATURES: "input features", UNITS: "units"}

    def title(self, shape: Shape, torch: bool) -> str:
        return "Linear" if torch else "Dense"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        # After flatten every unit sees every position; elsewhere it works per position.
        field = WHOLE_FIELD if shape.axes == "F" else KEEP_FIELD
        return Output(Shape(shape.axes, shape.dims[:-1] + (ctx.args.units,)), windows=field)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        values = {IN_FEATURES: inp.dims[-1], UNITS: ctx.args.units}
        weights = Step.of("weights", IN_FEATURES * UNITS, values)
        bias = Step.of("bias", UNITS if ctx.args.bias else 0, values)
        macs = product(inp.dims[:-1]) * inp.dims[-1] * ctx.args.units
        return Cost(weights=weights.result, bias=bias.result, macs=macs, steps=(weights, bias))


class Flatten(Layer):
    keyword = "flatten"
    prefix = "flatten"
    example = "flatten"

    options = (Option("start", "count", default=1),)

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        """`start` counts as torch.nn.Flatten's start_dim (1 is the first dim after the batch): the dims
        before it are kept. With one kept, ViT's x.flatten(2) on CHW gives (C, H·W), a 1-d input."""
        kept = int(ctx.args.start) - 1
        if kept >= len(shape.dims):
            raise ctx.fail(f"start must be at most {len(shape.dims)} for this input", "start")
        if kept == 0:
            return Output(Shape("F", (shape.elements(),)))
        dims = (*shape.dims[:kept], product(shape.dims[kept:]))
        axes = spatial_layout(len(dims) - 1, channels_last=shape.axes[0] != "C")
        windows = KEEP_FIELD if shape.rank == 1 and axes == shape.axes else WHOLE_FIELD
        return Output(Shape(axes, dims), windows=windows)


LAYERS = [Dense(), Flatten()]
