"""Convolutions, 1d/2d/3d by the rank of their input: plain (torch.nn.ConvNd,
keras.layers.ConvND), transposed (ConvTransposeNd, ConvNDTranspose) and
separable (keras.layers.SeparableConvND: depthwise, then pointwise).
"""

from __future__ import annotations

from sympy import Max, Symbol

from ..intdiv import FloorDiv
from ..notation import Placeholder
from .activation import ACTIVATION_WORDS
from .base import (
    AXIS_NAMES,
    WHOLE_FIELD,
    WINDOW,
    C_in,
    C_out,
    Cost,
    D,
    F,
    G,
    Layer,
    LayerContext,
    N,
    Option,
    Output,
    P,
    S,
    Shape,
    Step,
    Word,
    padding_pairs,
    per_dim,
    product,
)
from .window import slide

KERNEL_SYMBOLS = {axis: Placeholder(f"F_{axis.lower()}", integer=True, positive=True) for axis in "DHWL"}
OUTPUT_PADDING = Placeholder("P_out", integer=True, nonnegative=True)
MULTIPLIER = Placeholder("m", integer=True, positive=True)
_AXIS_WORDS = {"D": "depth", "H": "height", "W": "width", "L": "length"}
KERNEL = {symbol: f"kernel {_AXIS_WORDS[axis]}" for axis, symbol in KERNEL_SYMBOLS.items()}

_COMMON_OPTIONS = (
    Option("filters", "count", positional=True),
    Option("kernel", "sizes", positional=True, aliases=("k",)),
    Option("stride", "sizes", default=1, aliases=("s",)),
    Option("padding", "padding", default=Word("valid"), aliases=("p",), words=("valid", "same")),
    Option("dilation", "sizes", default=1, aliases=("d",)),
    Option("bias", "flag", default=True),
    Option("activation", "word", default=None, words=ACTIVATION_WORDS),
)


class Conv(Layer):
    keyword = "conv"
    prefix = "conv"
    example = "conv 20, 3, stride=1, padding=same"
    options = _COMMON_OPTIONS + (Option("groups", "count", default=1, aliases=("g",)),)
    titles = ("Conv{}d", "Conv{}D")
    placeholders = {**WINDOW, C_in: "input channels", G: "groups", **KERNEL, C_out: "output channels"}

    def title(self, shape: Shape, torch: bool) -> str:
        return self.titles[0 if torch else 1].format(shape.rank)

    def geometry(self, ctx: LayerContext, shape: Shape):
        """Kernel, stride, dilation and padding, one entry per spatial dim."""
        ctx.require_spatial(shape, hint="convolve before flatten")
        args, rank = ctx.args, shape.rank
        padding = padding_pairs(ctx, args.padding, rank)
        stride = per_dim(ctx, "stride", args.stride, rank)
        if padding == Word("same") and ctx.torch and any(s != 1 for s in stride):
            raise ctx.fail(
                "padding=same is not supported for strided convolutions in PyTorch",
                "padding",
                "use explicit padding, or 'convention keras' for Keras's ceil(N/S)",
            )
        return per_dim(ctx, "kernel", args.kernel, rank), stride, per_dim(ctx, "dilation", args.dilation, rank), padding

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        kernel, stride, dilation, padding = self.geometry(ctx, shape)
        steps, windows = slide(shape, kernel, stride, dilation, padding, ctx.torch)
        groups = ctx.args.get("groups", 1)
        ctx.require_divisible(shape.channels, groups, "input channels")
        ctx.require_divisible(ctx.args.filters, groups, "filters")
        return Output(shape.with_spatial([step.result for step in steps], ctx.args.filters), steps, windows)

    def kernel_values(self, ctx: LayerContext, inp: Shape) -> tuple[list[Symbol], dict]:
        kernel = self.geometry(ctx, inp)[0]
        symbols = [KERNEL_SYMBOLS[axis] for axis in inp.spatial_axes]
        return symbols, {C_in: inp.channels, C_out: ctx.args.filters, **dict(zip(symbols, kernel))}

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        symbols, values = self.kernel_values(ctx, inp)
        groups = ctx.args.groups
        values[G] = groups
        per_filter = (C_in / G if groups != 1 else C_in) * product(symbols)
        weights = Step.of("weights", per_filter * C_out, values)
        bias = Step.of("bias", C_out if ctx.args.bias else 0, values)
        # Every output element is one dot product of length (C_in/g)·F_h·F_w: per position, all the weights.
        macs = product(out.spatial) * weights.result
        return Cost(weights=weights.result, bias=bias.result, macs=macs, steps=(weights, bias))


class ConvTranspose(Conv):
    """PyTorch: (N - 1)S - 2P + d(F - 1) + output_padding + 1. Keras: N·S for 'same',
    N·S + max(F - S, 0) for 'valid' (with output_padding: (N - 1)S + F - 2P + output_padding)."""

    keyword = "convtranspose"
    prefix = "convtranspose"
    example = "convtranspose 64, 4, stride=2, padding=1"
    options = Conv.options + (Option("output_padding", "sizes", default=None, minimum=0),)
    titles = ("ConvTranspose{}d", "Conv{}DTranspose")
    placeholders = {N: WINDOW[N], F: WINDOW[F], S: WINDOW[S], P: WINDOW[P], OUTPUT_PADDING: "output padding"}
    placeholders |= {D: WINDOW[D], **{s: m for s, m in Conv.placeholders.items() if s not in WINDOW}}

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        kernel, stride, dilation, padding = self.geometry(ctx, shape)
        given = ctx.args.output_padding
        extra = per_dim(ctx, "output_padding", 0 if given is None else given, shape.rank)
        if ctx.torch and padding == Word("same"):
            raise ctx.fail("PyTorch transposed convolutions have no padding=same", "padding")
        steps = []
        for index, (axis, n, k, s, d, p) in enumerate(
            zip(shape.spatial_axes, shape.spatial, kernel, stride, dilation, extra)
        ):
            pads = padding if padding == Word("same") else padding[index]
            if not isinstance(pads, Word) and pads[0] != pads[1]:
                raise ctx.fail("transposed convolutions pad both sides equally", "padding")
            if ctx.torch:
                ctx.require(
                    p < Max(s, d),
                    "output_padding must be smaller than the stride or the dilation",
                    f"{p} >= max({s}, {d})",
                )
            steps.append(
                self._step(AXIS_NAMES[axis], n, k, s, d, pads, p, keras_default=not ctx.torch and given is None)
            )
        ctx.require_divisible(shape.channels, ctx.args.groups, "input channels")
        ctx.require_divisible(ctx.args.filters, ctx.args.groups, "filters")
        return Output(shape.with_spatial([step.result for step in steps], ctx.args.filters), tuple(steps), WHOLE_FIELD)

    @staticmethod
    def _step(quantity, n, k, s, d, pads, extra, keras_default: bool) -> Step:
        values = {N: n, F: k, S: s, D: d, OUTPUT_PADDING: extra}
        reach = D * (F - 1)
        if keras_default:  # Keras without output_padding
            formula = N * S if pads == Word("same") else N * S + Max(reach + 1 - S, 0)
            return Step.of(quantity, formula, values)
        values[P] = FloorDiv(d * (k - 1) + 1, 2) if pads == Word("same") else pads[0]
        return Step.of(quantity, (N - 1) * S - 2 * P + reach + OUTPUT_PADDING + 1, values)

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        weights_and_bias = super().cost(ctx, inp, out)
        # Every input element is scattered to (C_out/g)·F_h·F_w outputs.
        macs = inp.elements() * (weights_and_bias.weights / inp.channels)
        return Cost(
            weights=weights_and_bias.weights, bias=weights_and_bias.bias, macs=macs, steps=weights_and_bias.steps
        )


class SeparableConv(Conv):
    """A depthwise convolution (m filters per input channel, no bias) followed by a 1×1 one."""

    keyword = "sepconv"
    prefix = "sepconv"
    example = "sepconv 64, 3, padding=same"
    options = _COMMON_OPTIONS + (Option("depth_multiplier", "count", default=1),)
    titles = ("SeparableConv{}d", "SeparableConv{}D")
    placeholders = {
        **WINDOW,
        C_in: "input channels",
        MULTIPLIER: "depth multiplier",
        **KERNEL,
        C_out: "output channels",
    }

    def cost(self, ctx: LayerContext, inp: Shape, out: Shape) -> Cost:
        symbols, values = self.kernel_values(ctx, inp)
        values[MULTIPLIER] = ctx.args.depth_multiplier
        depthwise = C_in * MULTIPLIER * product(symbols)
        weights = Step.of("weights", depthwise + C_in * MULTIPLIER * C_out, values)
        bias = Step.of("bias", C_out if ctx.args.bias else 0, values)
        # Per output position: the depthwise products, then the pointwise dot products.
        macs = product(out.spatial) * weights.result
        return Cost(weights=weights.result, bias=bias.result, macs=macs, steps=(weights, bias))


LAYERS = [Conv(), ConvTranspose(), SeparableConv()]
