"""Layers that keep the shape and have no parameters: activations, a fixed rescaling, dropout and stochastic
depth."""

from __future__ import annotations

from sympy import Ge, Le, Rational

from ..notation import textbook
from .base import Layer, LayerContext, Option, Output, Shape

# keyword -> display name (as in torch.nn)
ACTIVATIONS = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leakyrelu": "LeakyReLU",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "swish": "SiLU",
    "hardswish": "Hardswish",
    "sigmoid": "Sigmoid",
    "hardsigmoid": "Hardsigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "logsoftmax": "LogSoftmax",
    "softplus": "Softplus",
    "mish": "Mish",
    "linear": "Identity",
}
ACTIVATION_WORDS = tuple(ACTIVATIONS)


class Activation(Layer):
    """An element-wise (or softmax) activation; one instance per keyword."""

    def __init__(self, keyword: str):
        self.keyword = keyword
        self.prefix = keyword
        self.example = keyword

    def title(self, shape: Shape, torch: bool) -> str:
        return ACTIVATIONS[self.keyword]

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        return Output(shape)


class Rescale(Layer):
    """x · scale + offset with fixed numbers, no weights: keras.layers.Rescaling (1/255 on an image), the
    constant arithmetic a torch forward() writes (x / 255 * 2 - 1), a scaled residual branch (Inception-ResNet)."""

    keyword = "rescale"
    prefix = "rescale"
    example = "rescale 1 / 255"
    options = (Option("scale", "number", positional=True), Option("offset", "number", default=0))

    def title(self, shape: Shape, torch: bool) -> str:
        return "Rescaling"

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        return Output(shape)


class Dropout(Layer):
    keyword = "dropout"
    prefix = "dropout"
    example = "dropout 0.5"
    options = (Option("rate", "number", default=Rational(1, 2), positional=True),)

    def output(self, ctx: LayerContext, shape: Shape) -> Output:
        rate = ctx.args.rate
        # torch.nn.Dropout and keras.layers.Dropout both take 0 <= rate <= 1 (1 drops everything).
        for condition in (Ge(rate, 0), Le(rate, 1)):
            ctx.require(condition, "the rate must be between 0 and 1", f"rate = {textbook(rate)}")
        return Output(shape)


class DropPath(Dropout):
    """Stochastic depth: a residual path dropped per sample in training (torchvision.ops.StochasticDepth,
    keras.applications' StochasticDepth); torchvision refuses a rate outside [0, 1] as Dropout does."""

    keyword = "droppath"
    prefix = "droppath"
    example = "droppath 0.1"
    options = (Option("rate", "number", positional=True, aliases=("p",)),)

    def title(self, shape: Shape, torch: bool) -> str:
        return "StochasticDepth"


LAYERS = [Activation(keyword) for keyword in ACTIVATIONS] + [Rescale(), Dropout(), DropPath()]
