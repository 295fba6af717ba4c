"""Dense (fully connected) layers: keras.layers.Dense, torch.nn.Linear.

Both frameworks apply the layer to the last axis and keep the others.
"""

from __future__ import annotations

from ..notation import Placeholder
from .activation import ACTIVATION_WORDS
from .base import KEEP_FIELD, WHOLE_FIELD, Cost, Layer, LayerContext, Option, Output, Shape, Step, product

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

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        return Output(Shape("F", (shape.elements(),)))


LAYERS = [Dense(), Flatten()]
