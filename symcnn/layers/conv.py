"""Convolution, 1d/2d/3d by the rank of its input (torch.nn.ConvNd, keras.layers.ConvND)."""

from __future__ import annotations

from sympy import Symbol

from .activation import ACTIVATION_WORDS
from .base import C_in, C_out, G, Cost, Layer, LayerContext, Option, Output, Shape, Step, Word, padding_pairs, per_dim, product
from .window import slide

KERNEL_SYMBOLS = {axis: Symbol(f"F_{axis.lower()}", integer=True, positive=True) for axis in "LDHW"}


class Conv(Layer):
    keyword = "conv"
    prefix = "conv"
    example = "conv 20, 3, stride=1, padding=same"
    options = (
        Option("filters", "count", positional=True),
        Option("kernel", "sizes", positional=True, aliases=("k",)),
        Option("stride", "sizes", default=1, aliases=("s",)),
        Option("padding", "padding", default=Word("valid"), aliases=("p",), words=("valid", "same")),
        Option("dilation", "sizes", default=1, aliases=("d",)),
        Option("groups", "count", default=1, aliases=("g",)),
        Option("bias", "flag", default=True),
        Option("activation", "word", default=None, words=ACTIVATION_WORDS),
    )

    def title(self, shape: Shape, torch: bool) -> str:
        return f"Conv{shape.rank}{'d' if torch else 'D'}"

    def _geometry(self, ctx: LayerContext, shape: Shape):
        if "C" not in shape.axes or shape.rank == 0:
            raise ctx.fail(f"needs an input with channels and 1 to 3 spatial dims, got {shape.axes}", hint="convolve before flatten")
        args, rank = ctx.args, shape.rank
        return (
            per_dim(ctx, "kernel", args.kernel, rank),
            per_dim(ctx, "stride", args.stride, rank),
            per_dim(ctx, "dilation", args.dilation, rank),
        )

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        kernel, stride, dilation = self._geometry(ctx, shape)
        padding = padding_pairs(ctx, ctx.args.padding, shape.rank)
        if padding == Word("same") and ctx.torch and any(s != 1 for s in stride):
            raise ctx.fail(
                "padding=same is not supported for strided convolutions in PyTorch",
                "padding",
                "use explicit padding, or 'convention keras' for Keras's ceil(N/S)",
            )
        steps, windows = slide(shape, kernel, stride, dilation, padding, ctx.torch)
        ctx.require_divisible(shape.channels, ctx.args.groups, "input channels")
        ctx.require_divisible(ctx.args.filters, ctx.args.groups, "filters")
        return Output(shape.with_spatial([step.result for step in steps], ctx.args.filters), steps, windows)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        kernel, _, _ = self._geometry(ctx, inp)
        groups, filters = ctx.args.groups, ctx.args.filters
        kernel_symbols = [KERNEL_SYMBOLS[axis] for axis in inp.spatial_axes]
        per_filter = (C_in / G if groups != 1 else C_in) * product(kernel_symbols)
        values = {C_in: inp.channels, C_out: filters, G: groups, **dict(zip(kernel_symbols, kernel))}
        weights = Step.of("weights", per_filter * C_out, values)
        bias = Step.of("bias", C_out if ctx.args.bias else 0, values)
        macs = product(out.spatial) * filters * (inp.channels / groups) * product(kernel)
        return Cost(weights=weights.result, bias=bias.result, macs=macs, steps=(weights, bias))


LAYERS = [Conv()]
