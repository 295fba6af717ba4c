"""The network as a runnable Keras model: `symcnn export FILE --to keras`, for `convention keras` files.

Keras's functional API: each DSL block becomes a function from a tensor to a
tensor (its parameters, then the caller's values it reads, as arguments), and
`build(**parameters)` returns a keras.Model. Residuals and concats are Add and
Concatenate layers; padding is Keras's own word (valid, same, causal), as
`convention keras` files allow no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import program as p
from ..errors import SymcnnError
from ..layers import REGISTRY
from ..layers.activation import ACTIVATION_WORDS
from ..network import Network
from . import keras_parts
from .code import NOT_LAYERS, CodeWriter, Names, Saved, fresh, identifier, pairs, rendered

ACTIVATIONS = {
    "leakyrelu": "leaky_relu",
    "swish": "silu",
    "hardswish": "hard_silu",
    "hardsigmoid": "hard_sigmoid",
    "logsoftmax": "log_softmax",
}
POOLS = {"maxpool": "MaxPooling", "avgpool": "AveragePooling"}
GLOBAL_POOLS = {"globalavgpool": "GlobalAveragePooling", "globalmaxpool": "GlobalMaxPooling"}
# Helpers copied into the generated module when it uses them.
PARTS = {
    "centered": keras_parts.CENTERED,
    "ChannelShuffle": keras_parts.CHANNEL_SHUFFLE,
    "LayerScale": keras_parts.LAYER_SCALE,
}


def render(program: p.Program, network: Network) -> str:
    """The Python source of a module with one function per block and `build()`."""
    return _Writer(program, network).module()


@dataclass
class _Function:
    """One generated function being written: its lines, indented as they nest, and the DSL names in scope."""

    name: str
    doc: str
    signature: list[str]
    lines: list = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=lambda: {"x", "inputs", "keras", "layers"})
    names: Names = field(default_factory=Names)
    indent: str = ""
    heads: list = field(default_factory=list)  # (the output a `from` leaves, that from)

    def temporary(self, stem: str) -> str:
        return fresh(stem, self.locals)

    def add(self, line: str) -> None:
        self.lines.append(self.indent + line)

    def keep(self, name: str, certain: bool, tensor: str) -> None:
        """Keep the output just made under its DSL name, should a later statement refer to it."""
        saved = self.names.keep(name, certain, tensor, self.indent, self.locals)
        self.lines.append(saved)

    def source(self, result: str) -> str:
        body = [f'    """{self.doc}"""', *("    " + line for line in rendered(self.lines)), f"    return {result}"]
        return "\n".join([f"def {self.name}({', '.join(self.signature)}):", *body])


class _Writer(CodeWriter):
    framework = "Keras"

    def __init__(self, program: p.Program, network: Network):
        super().__init__(program, network)
        self.functions: dict[str, str] = {}
        self.function_names = {name: identifier(name) for name in self.blocks}
        self.helpers: set[str] = set()

    def word(self, text: str) -> str:
        return ACTIVATIONS.get(text, text)

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
        parts += [source for name, source in PARTS.items() if name in self.helpers]
        for source in self.functions.values():
            parts += ["", source, ""]
        # A path left by `from` that nothing reads is an output too: Keras builds only what reaches an output.
        heads = [saved.var for saved, _ in top.heads if not saved.used]
        for saved, _ in top.heads:
            saved.used = True
        outputs = f"[x, {', '.join(heads)}]" if heads else "x"
        parts += ["", top.source(f'keras.Model(inputs, {outputs}, name="{stem}")')]
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
        free = [identifier(n) for n in self.free(block)]
        params = ", ".join(
            parameter.name + ("" if parameter.default is None else f"={self.argument(parameter.default, set())}")
            for parameter in block.parameters
        )
        fn = _Function(name, f"block {block.name}({params})", ["x", *signature, *(["*", *free] if free else [])])
        fn.lines += prologue
        fn.variables |= {parameter.name for parameter in block.parameters} | set(self.free(block))
        self._body(block.body, fn, "x")
        for saved, statement in fn.heads:
            if not saved.used:
                raise SymcnnError(
                    f"cannot be written in Keras: in block {block.name}, 'from {statement.name}' leaves a path "
                    "that nothing reads, which a block's function cannot return",
                    statement.span,
                    "join the path to the block's output, or write it outside the block",
                )
        del self.functions[block.name]
        self.functions[block.name] = fn.source("x")
        return name

    def _body(self, statements, fn: _Function, var: str) -> None:
        for statement in statements:
            if isinstance(statement, p.Assignment):
                fn.add(f"{identifier(statement.name)} = {self.expr(statement.expr)}")
                fn.variables.add(statement.name)
            elif isinstance(statement, p.LayerStatement):
                self._layer_statement(statement, fn, var)
            elif isinstance(statement, p.Repeat):
                fn.add(f"for _ in range({self.expr(statement.count)}):")
                fn.names.doubtful = True  # the body's names count on, once per round
                self._indented(statement.body, fn, var)
            elif isinstance(statement, p.Residual):
                shortcut = fn.temporary("shortcut")
                fn.add(f"{shortcut} = {var}")
                self._body(statement.main, fn, var)
                if statement.shortcut is not None:
                    self._scoped(statement.shortcut, fn, shortcut, fn.names.claim(None, "shortcut")[0])
                self._join(statement.label, "add", f"layers.Add()([{var}, {shortcut}])", fn, var)
            elif isinstance(statement, p.Concat):
                branches = []
                for branch, bounds in zip(statement.branches, statement.slices or (None,) * len(statement.branches)):
                    name = fn.temporary("branch")
                    taken = (
                        var
                        if bounds is None
                        else f"{var}[..., {self.value(bounds[0], True)} : {self.value(bounds[1], True)}]"
                    )
                    fn.add(f"{name} = {taken}")
                    self._scoped(branch, fn, name, fn.names.claim(None, "branch")[0])
                    branches.append(name)
                self._join(statement.label, "concat", f"layers.Concatenate()([{', '.join(branches)}])", fn, var)
            elif isinstance(statement, p.Scale):  # squeeze-and-excitation: the input times its gate, broadcast
                gate = fn.temporary("gate")
                fn.add(f"{gate} = {var}")
                self._scoped(statement.gate, fn, gate, fn.names.claim(None, "gate")[0])
                self._join(statement.label, "scale", f"layers.Multiply()([{var}, {gate}])", fn, var)
            elif isinstance(statement, p.Group):
                name, certain = fn.names.claim(statement.label, statement.label)
                fn.add(f"# {name}")
                self._scoped(statement.body, fn, var, name)
                fn.keep(name, certain, var)
            elif isinstance(statement, p.If):
                self._if(statement, fn, var)
            elif isinstance(statement, p.From):
                if fn.lines and isinstance(fn.lines[-1], Saved):  # the path left here may end the model too
                    fn.heads.append((fn.lines[-1], statement))
                fn.add(f"{var} = {self.reference(fn.names, statement.name, statement.name_span)}")
            elif isinstance(statement, p.Skip):
                other = self.reference(fn.names, statement.name, statement.name_span)
                join = "layers.Add()" if statement.join == "add" else "layers.Concatenate()"
                self._join(statement.label, statement.join, f"{join}([{var}, {other}])", fn, var)

    def _layer_statement(self, statement: p.LayerStatement, fn: _Function, var: str) -> None:
        word = statement.keyword
        if word in self.blocks:
            block = self.blocks[word]
            name, certain = fn.names.claim(statement.label, word)
            arguments = [var, *(self.argument(v, fn.variables) for v in statement.arguments.positional)]
            arguments += [
                f"{identifier(a.name)}={self.argument(a.value, fn.variables)}" for a in statement.arguments.keyword
            ]
            arguments += [f"{identifier(n)}={identifier(n)}" for n in self.free(block)]
            fn.add(f"{var} = {self.function(block)}({', '.join(arguments)})")
        elif word not in REGISTRY:  # act, a block parameter holding an activation's name
            if statement.arguments.positional or statement.arguments.keyword:
                raise self.fail(statement, "a layer type given by a block parameter, with arguments")
            fn.names.uncertain |= set(ACTIVATION_WORDS)  # derive names it by the type given
            name, certain = fn.names.claim(statement.label, word)
            fn.add(f"{var} = layers.Activation({identifier(word)})({var})")
        else:
            name, certain = fn.names.claim(statement.label, REGISTRY[word].prefix)
            fn.lines += [f"{fn.indent}{var} = {layer}({var})" for layer in self.layers(statement, fn, var)]
        fn.keep(name, certain, var)

    def _join(self, label: str | None, prefix: str, joined: str, fn: _Function, var: str) -> None:
        name, certain = fn.names.claim(label, prefix)
        fn.add(f"{var} = {joined}")
        fn.keep(name, certain, var)

    def _scoped(self, statements, fn: _Function, var: str, name: str) -> None:
        """A container's statements, named within it (branch1.conv1), inline."""
        outer = fn.names
        fn.names = Names(parent=outer)
        try:
            self._body(statements, fn, var)
        finally:
            fn.names = outer

    def _indented(self, statements, fn: _Function, var: str) -> None:
        count = len(fn.lines)
        fn.indent += "    "
        self._body(statements, fn, var)
        if len(fn.lines) == count:
            fn.add("pass")
        fn.indent = fn.indent[:-4]

    def _if(self, statement: p.If, fn: _Function, var: str) -> None:
        """Decided when the model is built, from the block's arguments: a Python `if`."""
        start = fn.names.branch_point()
        outcomes = []
        for header, body in ((f"if {self.expr(statement.condition)}:", statement.then), ("else:", statement.otherwise)):
            if header == "else:" and not body:
                outcomes.append(start)
                break
            fn.names.counters = dict(start)
            fn.add(header)
            self._indented(body, fn, var)
            outcomes.append(fn.names.branch_point())
        fn.names.after_alternatives(outcomes)

    def layers(self, statement: p.LayerStatement, fn: _Function, var: str) -> list[str]:
        """The Keras layer(s) for one DSL layer, applied in turn to `var`."""
        layouts = self.layouts.get(statement.span, set())
        if len(layouts) > 1:
            raise self.fail(statement, "the same statement runs on inputs of different ranks")
        # A statement that never ran with the file's values (in an `if` part not taken) runs at the last rank seen.
        axes = next(iter(layouts)) if layouts else getattr(self, "_axes", self.network.input.axes)
        self._axes = axes
        rank = len(axes) - 1 if "C" in axes and len(axes) > 1 else 0
        args = self._arguments(statement, fn.variables)
        word = statement.keyword
        if word in ("conv", "sepconv", "convtranspose"):
            return self._conv(statement, args, rank)
        if word in POOLS:
            # A pool's stride defaults to its size in Keras, so a stride of 1 must be written.
            stride = f", strides={args['stride']}" if args.get("stride") not in (None, "None") else ""
            options = stride + self._options(args, {"padding": "padding"})
            return [f"layers.{POOLS[word]}{rank}D({args['size']}{options})"]
        if word in GLOBAL_POOLS:
            keep = ", keepdims=True" if args.get("keepdims") == "True" else ""
            return [f"layers.{GLOBAL_POOLS[word]}{rank}D({keep.lstrip(', ')})"]
        if word == "dense":
            return [f"layers.Dense({args['units']}{self._options(args, {})})"]
        if word == "flatten":
            start = args.get("start", "1")
            # Flatten(start_dim=k) keeps the dims before the k-th: a Reshape to those and the rest.
            return ["layers.Flatten()" if start == "1" else f"layers.Reshape((*{var}.shape[1:{start}], -1))"]
        if word == "batchnorm":
            dropped = args.get("affine") == "False"
            kept = [f"{part}=False" for part in ("center", "scale") if dropped or args.get(part) == "False"]
            return [f"layers.BatchNormalization({', '.join(kept)})"]
        if word == "layernorm":
            dims = int(self.expr(self._raw["dims"])) if "dims" in self._raw else 1
            return [f"layers.LayerNormalization(axis={-1 if dims == 1 else list(range(-dims, 0))})"]
        if word == "rescale":
            offset = f", offset={args['offset']}" if "offset" in args else ""
            return [f"layers.Rescaling({args['scale']}{offset})"]
        if word == "dropout":
            return [f"layers.Dropout({args.get('rate', '0.5')})"]
        if word == "droppath":  # stochastic depth: a dropout of whole samples, as keras.applications.convnext's
            return [f"layers.Dropout({args['rate']}, noise_shape=(None,{' 1,' * len(axes)}))"]
        if word == "layerscale":
            self.helpers.add("LayerScale")
            return ["LayerScale()"]
        if word == "shuffle":
            self.helpers.add("ChannelShuffle")
            return [f"ChannelShuffle({args['groups']})"]
        if word == "permute":
            return [f"layers.Permute({args['dims']})"]
        if word == "reshape":
            return [f"layers.Reshape({args['dims']})"]
        if word == "zeropad":
            return [f"layers.ZeroPadding{rank}D({self._padding_text(self._raw['padding'], rank)})"]
        if word == "crop":
            return [self._crop(fn, var, rank)]
        if word == "upsample" and "scale" in args:
            return [f"layers.UpSampling{rank}D({args['scale']})"]
        if word == "opaque":
            raise self.fail(
                statement,
                "an opaque layer stands for a module symcnn could not read",
                "export the model it stands for from its own code, or write it in the DSL",
            )
        if word in ACTIVATION_WORDS:
            return [f'layers.Activation("{ACTIVATIONS.get(word, word)}")']
        raise self.fail(statement, "this layer type has no Keras equivalent here")

    def _crop(self, fn: _Function, var: str, rank: int) -> str:
        """keras.layers.CroppingND; to a size (or a named output's size) around the center, its amounts."""
        raw = self._raw
        if raw.get("cropping") is not None:
            amounts = self._padding_text(raw["cropping"], rank)
        else:
            self.helpers.add("centered")
            if raw.get("like") is not None:  # U-Net's crop-and-copy: to the size of a named earlier output
                like = self.reference(fn.names, raw["like"].id, raw["like"].span)
                size = f"{like}.shape[1:-1]"
            else:
                sizes = raw["size"].items if isinstance(raw["size"], p.TupleValue) else (raw["size"],) * rank
                size = f"({', '.join(self.value(v, True) for v in sizes)},)"
            amounts = f"centered({var}.shape[1:-1], {size}){'[0]' if rank == 1 else ''}"
        return f"layers.Cropping{rank}D({amounts})"

    def _conv(self, statement, args, rank: int) -> list[str]:
        names = {"stride": "strides", "dilation": "dilation_rate", "groups": "groups"}
        if statement.keyword == "sepconv":
            if rank == 3:
                raise self.fail(statement, "Keras has separable convolutions in 1 and 2 dims only")
            names = {"stride": "strides", "dilation": "dilation_rate", "depth_multiplier": "depth_multiplier"}
        # Keras takes only its own words (valid is its default), and under convention keras so does symcnn.
        if args.get("padding") in ("same", "causal") or "padding" not in self._literal_words:
            names["padding"] = "padding"
        kind = {"conv": "Conv{}D", "sepconv": "SeparableConv{}D", "convtranspose": "Conv{}DTranspose"}[
            statement.keyword
        ]
        return [f"layers.{kind.format(rank)}({args['filters']}, {args['kernel']}{self._options(args, names)})"]

    def _options(self, args, names: dict[str, str]) -> str:
        """Keras keyword arguments; a word (same, relu) is a string, a block parameter holding one is not."""

        def text(dsl: str) -> str:
            return f'"{self.word(args[dsl])}"' if dsl in self._literal_words else args[dsl]

        texts = [
            f"{keras}={text(dsl)}" for dsl, keras in names.items() if dsl in args and args[dsl] not in ("1", "None")
        ]
        if args.get("bias") == "False":
            texts.append("use_bias=False")
        if args.get("activation") not in (None, "None", "linear"):
            texts.append(f"activation={text('activation')}")
        return "".join(", " + text for text in texts)

    def _padding_text(self, value: p.Value, rank: int) -> str:
        sides = pairs(value, rank)
        if sides is None:
            return self.value(value, whole=True)
        return "(" + ", ".join(f"({self.expr(a)}, {self.expr(b)})" for a, b in sides) + ")"
