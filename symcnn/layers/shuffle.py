"""Channel shuffle (ShuffleNet): the channels regrouped, no parameters (torch.nn.ChannelShuffle,
torchvision.models.shufflenetv2.channel_shuffle). The channels must divide into the groups."""

from __future__ import annotations

from sympy import Eq, Mod

from ..notation import textbook
from .base import Layer, LayerContext, Option, Output, Shape


class Shuffle(Layer):
    keyword = "shuffle"
    prefix = "shuffle"
    example = "shuffle 2"
    options = (Option("groups", "count", positional=True, aliases=("g",)),)

    def title(self, shape: Shape, torch: bool) -> str:
        return "ChannelShuffle"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        if "C" not in shape.axes:
            raise ctx.fail(f"needs an input with channels, got {shape.axes}", hint="shuffle before flatten")
        channels, groups = shape.channels, ctx.args.groups
        ctx.require(
            Eq(Mod(channels, groups), 0),
            "the channels must be divisible by the groups",
            lambda: f"{textbook(channels)} is not a multiple of {textbook(groups)}",
        )
        return Output(shape)


LAYERS = [Shuffle()]
