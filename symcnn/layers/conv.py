"""Convolutions, 1d/2d/3d by the rank of their input: plain (torch.nn.ConvNd,
keras.layers.ConvND), transposed (ConvTransposeNd, ConvNDTranspose) and
separable (keras.layers.SeparableConvND: depthwise, then pointwise).
"""

from __future__ import annotations

from sympy import And, Eq, Max, Or, Symbol

from ..intdiv import FloorDiv
from ..notation import Placeholder
from ..receptive import transposed_spread
from .activation import ACTIVATION_WORDS
from .base import (
    AXIS_NAMES,
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
    Option("padding", "padding", default=Word("valid"), aliases=("p",), words=("valid", "same", "causal")),
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
    # Keras's separable (and depthwise) convolutions combine a stride > 1 with a dilation > 1; its others do not.
    keras_refuses_stride_with_dilation = True
    takes_causal = True  # Keras's padding=causal is Conv1D's alone

    def title(self, shape: Shape, torch: bool) -> str:
        return self.titles[0 if torch else 1].format(shape.rank)

    def geometry(self, ctx: LayerContext, shape: Shape):
        """Kernel, stride, dilation and padding, one entry per spatial dim."""
        ctx.require_spatial(shape, hint="convolve before flatten")
        args, rank = ctx.args, shape.rank
        kernel, stride = per_dim(ctx, "kernel", args.kernel, rank), per_dim(ctx, "stride", args.stride, rank)
        dilation = per_dim(ctx, "dilation", args.dilation, rank)
        padding = padding_pairs(ctx, args.padding, rank)
        if padding == Word("causal"):
            padding = self.causal_padding(ctx, rank, kernel, dilation)
        return kernel, stride, dilation, padding

    def causal_padding(self, ctx: LayerContext, rank: int, kernel, dilation):
        """Keras's Conv1D padding=causal: d(F - 1) before the input, none after, so no output sees the future."""
        if ctx.torch or rank != 1 or not self.takes_causal:
            raise ctx.fail(
                "padding=causal is Keras's, for Conv1D only",
                "padding",
                "write the padding as ((d·(F − 1), 0),)" if ctx.torch else "use padding=valid or padding=same here",
            )
        return ((dilation[0] * (kernel[0] - 1), 0),)

    def check_framework_rules(self, ctx: LayerContext, stride, dilation, padding) -> None:
        """What PyTorch or Keras refuses of padding, strides and dilations; a symbol makes a rule a condition."""
        if ctx.torch and padding == Word("same"):
            ctx.require(
                all_one(stride),
                "PyTorch's padding=same needs stride 1",
                lambda: f"stride {listed(stride)}",
                "use explicit padding, or 'convention keras' for Keras's ceil(N/S)",
            )
        explicit = not isinstance(ctx.args.padding, Word)
        if not ctx.torch and explicit and any(pad != 0 for pair in padding for pad in pair):
            raise ctx.fail(
                "Keras convolutions take padding=valid or padding=same",
                "padding",
                "pad with zeropad first (as Keras's ZeroPadding2D), or use 'convention torch'",
            )
        if not ctx.torch and self.keras_refuses_stride_with_dilation:
            ctx.require(
                Or(all_one(stride), all_one(dilation)),
                "Keras does not combine a stride > 1 with a dilation > 1",
                lambda: f"stride {listed(stride)}, dilation {listed(dilation)}",
                "use stride 1 or dilation 1, or 'convention torch'",
            )

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        kernel, stride, dilation, padding = self.geometry(ctx, shape)
        self.check_framework_rules(ctx, stride, dilation, padding)
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
    takes_causal = False
    titles = ("ConvTranspose{}d", "Conv{}DTranspose")
    placeholders = {N: WINDOW[N], F: WINDOW[F], S: WINDOW[S], P: WINDOW[P], OUTPUT_PADDING: "output padding"}
    placeholders |= {D: WINDOW[D], **{s: m for s, m in Conv.placeholders.items() if s not in WINDOW}}

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        kernel, stride, dilation, padding = self.geometry(ctx, shape)
        given = ctx.args.output_padding
        extra = per_dim(ctx, "output_padding", 0 if given is None else given, shape.rank)
        if ctx.torch and padding == Word("same"):
            raise ctx.fail("PyTorch transposed convolutions have no padding=same", "padding")
        if not ctx.torch and ctx.args.groups != 1:
            raise ctx.fail("Keras transposed convolutions have no groups", "groups", "use 'convention torch'")
        self.check_framework_rules(ctx, stride, dilation, padding)
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
            elif given is not None:
                ctx.require(
                    p < s,
                    "Keras needs output_padding smaller than the stride",
                    f"{p} >= {s}",
                    "give a smaller output_padding, or leave it out",
                )
            steps.append(
                self._step(AXIS_NAMES[axis], n, k, s, d, pads, p, keras_default=not ctx.torch and given is None)
            )
        ctx.require_divisible(shape.channels, ctx.args.groups, "input channels")
        ctx.require_divisible(ctx.args.filters, ctx.args.groups, "filters")
        if padding != Word("same"):
            lefts = [pads[0] for pads in padding]
        elif given is None:  # Keras crops the full output by max(d(F - 1) + 1 - S, 0), the odd one at the end
            lefts = [FloorDiv(Max(d * (k - 1) + 1 - s, 0), 2) for k, s, d in zip(kernel, stride, dilation)]
        else:  # with output_padding, which side it crops is its backend's choice: the field is undefined
            lefts = [None] * shape.rank
        windows = tuple(
            None if left is None else transposed_spread(k, s, d, left)
            for k, s, d, left in zip(kernel, stride, dilation, lefts)
        )
        return Output(shape.with_spatial([step.result for step in steps], ctx.args.filters), tuple(steps), windows)

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
    keras_refuses_stride_with_dilation = False
    takes_causal = False
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


def all_one(values) -> And:
    return And(*(Eq(value, 1) for value in values))


def listed(values) -> str:
    return ", ".join(map(str, values))


LAYERS = [Conv(), ConvTranspose(), SeparableConv()]
