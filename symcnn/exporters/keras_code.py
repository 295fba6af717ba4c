"""The network as a runnable Keras model: `symcnn export FILE --to keras`, for `convention keras` files.

Keras's functional API: each DSL block becomes a function from a tensor to a
tensor (its parameters, then the caller's values it reads, as arguments), and
`build(**parameters)` returns a keras.Model. Residuals and concats are Add and
Concatenate layers; padding is Keras's own word (valid, same, causal), as
`convention keras` files allow no other.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from pathlib import Path

from .. import program as p
from ..errors import SymcnnError
from ..layers.activation import ACTIVATION_WORDS
from ..network import Network
from .code import NOT_LAYERS, CodeWriter, pairs

ACTIVATIONS = {
    "leakyrelu": "leaky_relu",
    "swish": "silu",
    "hardswish": "hard_silu",
    "hardsigmoid": "hard_sigmoid",
    "logsoftmax": "log_softmax",
}
POOLS = {"maxpool": "MaxPooling", "avgpool": "AveragePooling"}
GLOBAL_POOLS = {"globalavgpool": "GlobalAveragePooling", "globalmaxpool": "GlobalMaxPooling"}


def render(program: p.Program, network: Network) -> str:
    """The Python source of a module with one function per block and `build()`."""
    return _Writer(program, network).module()


@dataclass
class _Function:
    name: str
    doc: str
    signature: list[str]
    lines: list[str] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    temporaries: dict[str, int] = field(default_factory=dict)

    def temporary(self, stem: str) -> str:
        self.temporaries[stem] = self.temporaries.get(stem, 0) + 1
        count = self.temporaries[stem]
        return stem if count == 1 else f"{stem}{count}"

    def source(self, result: str) -> str:
        body = [f'    """{self.doc}"""', *("    " + line for line in self.lines), f"    return {result}"]
        return "\n".join([f"def {self.name}({', '.join(self.signature)}):", *body])


class _Writer(CodeWriter):
    framework = "Keras"

    def __init__(self, program: p.Program, network: Network):
        super().__init__(program, network)
        self.functions: dict[str, str] = {}
        self.function_names = {name: name + "_" if keyword.iskeyword(name) else name for name in self.blocks}

    def module(self) -> str:
        if not self.keras:
            statement = next(s for s in self.program.statements if isinstance(s, p.InputStatement))
            raise SymcnnError("Keras export needs 'convention keras'", statement.span, "or export with --to torch")
        stem = Path(self.network.file).stem if not self.network.file.startswith("<") else "network"
        signature, prologue = self._signature(self.parameters, top_level=True)
        top = _Function(
            "build", "The model; other parameter values give other variants.", ["*", *signature] if signature else []
        )
        top.lines += prologue
        top.variables |= {s.name for s in self.parameters}
        top.lines += [f"inputs = keras.Input(shape={self._input_shape()})", "x = inputs"]
        self._body([s for s in self.program.statements if not isinstance(s, NOT_LAYERS)], top, "x")
        parts = ['"""' + f"Keras model of {self.network.file}, written by symcnn export." + '"""', ""]
        parts += ["import keras", "from keras import layers", ""]
        for source in self.functions.values():
            parts += ["", source, ""]
        parts += ["", top.source(f'keras.Model(inputs, x, name="{stem}")')]
        return "\n".join(parts).replace("\n\n\n\n", "\n\n\n").strip() + "\n"

    def _input_shape(self) -> str:
        statement = next(s for s in self.program.statements if isinstance(s, p.InputStatement))
        dims = [self.expr(value) for value in statement.arguments.positional]
        if not self.network.input.channels_last and len(dims) > 1:
            raise SymcnnError("Keras export writes channels-last inputs only", statement.span)
        return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    def function(self, block: p.Block) -> str:
        name = self.function_names[block.name]
        if block.name in self.functions:
            return name
        self.functions[block.name] = ""  # reserve the place: the functions it calls come first
        signature, prologue = self._signature(block.parameters, top_level=False)
        free = self.free(block)
        params = ", ".join(
            parameter.name + ("" if parameter.default is None else f"={self.expr(parameter.default)}")
            for parameter in block.parameters
        )
        fn = _Function(name, f"block {block.name}({params})", ["x", *signature, *(["*", *free] if free else [])])
        fn.lines += prologue
        fn.variables |= {parameter.name for parameter in block.parameters} | set(free)
        self._body(block.body, fn, "x")
        del self.functions[block.name]
        self.functions[block.name] = fn.source("x")
        return name

    def _body(self, statements, fn: _Function, var: str) -> None:
        for statement in statements:
            if isinstance(statement, p.Assignment):
                fn.lines.append(f"{statement.name} = {self.expr(statement.expr)}")
                fn.variables.add(statement.name)
            elif isinstance(statement, p.LayerStatement):
                if statement.keyword in self.blocks:
                    block = self.blocks[statement.keyword]
                    arguments = [var, *(self.expr(v) for v in statement.arguments.positional)]
                    arguments += [f"{a.name}={self.expr(a.value)}" for a in statement.arguments.keyword]
                    arguments += [f"{n}={n}" for n in self.free(block)]
                    fn.lines.append(f"{var} = {self.function(block)}({', '.join(arguments)})")
                elif statement.span in self.layouts:
                    fn.lines += [f"{var} = {layer}({var})" for layer in self.layers(statement, fn)]
            elif isinstance(statement, p.Repeat):
                fn.lines.append(f"for _ in range({self.expr(statement.count)}):")
                inner = _Function(fn.name, "", [], variables=fn.variables, temporaries=fn.temporaries)
                self._body(statement.body, inner, var)
                fn.lines += ["    " + line for line in inner.lines]
            elif isinstance(statement, p.Residual):
                shortcut = fn.temporary("shortcut")
                fn.lines.append(f"{shortcut} = {var}")
                self._body(statement.main, fn, var)
                if statement.shortcut is not None:
                    self._body(statement.shortcut, fn, shortcut)
                fn.lines.append(f"{var} = layers.Add()([{var}, {shortcut}])")
            elif isinstance(statement, p.Concat):
                branches = []
                for branch in statement.branches:
                    name = fn.temporary("branch")
                    fn.lines.append(f"{name} = {var}")
                    self._body(branch, fn, name)
                    branches.append(name)
                fn.lines.append(f"{var} = layers.Concatenate()([{', '.join(branches)}])")

    def layers(self, statement: p.LayerStatement, fn: _Function) -> list[str]:
        """The Keras layer(s) for one DSL layer."""
        layouts = self.layouts[statement.span]
        if len(layouts) != 1:
            raise self.fail(statement, "the same statement runs on inputs of different ranks")
        axes = next(iter(layouts))
        rank = len(axes) - 1 if "C" in axes and len(axes) > 1 else 0
        args = self._arguments(statement, fn.variables)
        word = statement.keyword
        if word in ("conv", "sepconv", "convtranspose"):
            return self._conv(statement, args, rank)
        if word in POOLS:
            options = self._options(args, {"stride": "strides", "padding": "padding"})
            return [f"layers.{POOLS[word]}{rank}D({args['size']}{options})"]
        if word in GLOBAL_POOLS:
            keep = ", keepdims=True" if args.get("keepdims") == "True" else ""
            return [f"layers.{GLOBAL_POOLS[word]}{rank}D({keep.lstrip(', ')})"]
        if word == "dense":
            return [f"layers.Dense({args['units']}{self._options(args, {})})"]
        if word == "flatten":
            return ["layers.Flatten()"]
        if word == "batchnorm":
            return ["layers.BatchNormalization()"]
        if word == "layernorm":
            dims = int(self.expr(self._raw["dims"])) if "dims" in self._raw else 1
            return [f"layers.LayerNormalization(axis={-1 if dims == 1 else list(range(-dims, 0))})"]
        if word == "dropout":
            return [f"layers.Dropout({args.get('rate', '0.5')})"]
        if word == "zeropad":
            return [f"layers.ZeroPadding{rank}D({self._padding_text(self._raw['padding'], rank)})"]
        if word == "upsample" and "scale" in args:
            return [f"layers.UpSampling{rank}D({args['scale']})"]
        if word in ACTIVATION_WORDS:
            return [f'layers.Activation("{ACTIVATIONS.get(word, word)}")']
        raise self.fail(statement, "this layer type has no Keras equivalent here")

    def _conv(self, statement, args, rank: int) -> list[str]:
        names = {"stride": "strides", "dilation": "dilation_rate", "groups": "groups"}
        if statement.keyword == "sepconv":
            names = {"stride": "strides", "dilation": "dilation_rate", "depth_multiplier": "depth_multiplier"}
        # Keras takes only its own words (valid is its default), and under convention keras so does symcnn.
        if args.get("padding") in ("same", "causal"):
            names["padding"] = "padding"
        kind = {"conv": "Conv{}D", "sepconv": "SeparableConv{}D", "convtranspose": "Conv{}DTranspose"}[
            statement.keyword
        ]
        return [f"layers.{kind.format(rank)}({args['filters']}, {args['kernel']}{self._options(args, names)})"]

    def _options(self, args, names: dict[str, str]) -> str:
        texts = [
            f'{keras}="{args[dsl]}"' if dsl == "padding" else f"{keras}={args[dsl]}"  # padding is a word: same, valid
            for dsl, keras in names.items()
            if dsl in args and args[dsl] not in ("1", "None")
        ]
        if args.get("bias") == "False":
            texts.append("use_bias=False")
        if args.get("activation") not in (None, "None", "linear"):
            texts.append(f'activation="{ACTIVATIONS.get(args["activation"], args["activation"])}"')
        return "".join(", " + text for text in texts)

    def _padding_text(self, value: p.Value, rank: int) -> str:
        sides = pairs(value, rank)
        if sides is None:
            return self.value(value, whole=True)
        return "(" + ", ".join(f"({self.expr(a)}, {self.expr(b)})" for a, b in sides) + ")"
