"""The network as a runnable PyTorch module: `symcnn export FILE --to torch`.

A pure function of the parsed program (its blocks become classes, its
parameters `build()`'s keyword arguments) and the derived Network (which
checked every layer, and tells each statement's input rank).

The generated layers are PyTorch's lazy ones (LazyConv2d, LazyLinear,
LazyBatchNorm2d): they infer their input size on the first forward pass, so
the code never restates a shape formula, and `build()` runs that pass once on
a zero tensor, after which they are plain Conv2d, Linear and BatchNorm2d.
The model takes channels-first tensors whatever the file's layout.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import program as p
from ..errors import Span, SymcnnError
from ..layers import REGISTRY
from ..network import Network

# Activations as modules (the layer keyword) and as functions (the activation= option), dim 1 being the channels.
MODULES = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "leakyrelu": "nn.LeakyReLU()",
    "elu": "nn.ELU()",
    "selu": "nn.SELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "swish": "nn.SiLU()",
    "hardswish": "nn.Hardswish()",
    "sigmoid": "nn.Sigmoid()",
    "hardsigmoid": "nn.Hardsigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
    "logsoftmax": "nn.LogSoftmax(dim=1)",
    "softplus": "nn.Softplus()",
    "mish": "nn.Mish()",
    "linear": "nn.Identity()",
    "flatten": "nn.Flatten()",
}
FUNCTIONS = {
    "relu": "F.relu({})",
    "relu6": "F.relu6({})",
    "leakyrelu": "F.leaky_relu({})",
    "elu": "F.elu({})",
    "selu": "F.selu({})",
    "gelu": "F.gelu({})",
    "silu": "F.silu({})",
    "swish": "F.silu({})",
    "hardswish": "F.hardswish({})",
    "sigmoid": "torch.sigmoid({})",
    "hardsigmoid": "F.hardsigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "F.softmax({}, dim=1)",
    "logsoftmax": "F.log_softmax({}, dim=1)",
    "softplus": "F.softplus({})",
    "mish": "F.mish({})",
    "linear": "{}",
}
_REAL = re.compile(r"\d\.\d|(?<!/)/(?!/)")  # a decimal point, or true division
CALL = "{m}({x})"  # a forward call template: the module, the input
_PREC = {"+": 1, "-": 1, "*": 2, "//": 2, "/": 2}

SAME_PADDING = '''
def same_padding(x, layer, value=0.0):
    """Keras's padding='same' for `layer`: ceil(N/S) outputs, the odd pixel padded after."""
    rank = x.dim() - 2

    def per_dim(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank

    geometry = zip(x.shape[2:], per_dim(layer.kernel_size), per_dim(layer.stride), per_dim(getattr(layer, "dilation", 1)))
    pads = []
    for n, k, s, d in reversed(list(geometry)):  # F.pad lists the last dim first
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)
'''

GLOBAL_POOL = '''
class GlobalPool(nn.Module):
    """Keras's GlobalAveragePooling / GlobalMaxPooling: one value per channel."""

    def __init__(self, reduce, keepdims=False):
        super().__init__()
        self.reduce, self.keepdims = reduce, keepdims

    def forward(self, x):
        dims = tuple(range(2, x.dim()))
        return getattr(x, self.reduce)(dims, keepdim=self.keepdims)
'''


def render(program: p.Program, network: Network) -> str:
    """The Python source of a module defining the network's classes and `build()`."""
    return _Writer(program, network).module()


def class_name(name: str) -> str:
    """snake_case or file stem -> CamelCase."""
    words = re.split(r"[^A-Za-z0-9]+|_", name)
    camel = "".join(word[:1].upper() + word[1:] for word in words if word)
    return camel if camel and camel[0].isalpha() else "Net" + camel


@dataclass
class _Class:
    """One generated class being written: its constructor and forward lines."""

    name: str
    doc: str
    signature: list[str]
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    temporaries: int = 0

    def claim(self, label: str | None, prefix: str) -> str:
        """The DSL's own naming: the label, or prefix1, prefix2, ... (symcnn.derive's _Scope.claim)."""
        if label is not None:
            self.names.add(label)
            return label
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            name = f"{prefix}{self.counters[prefix]}"
            if name not in self.names:
                self.names.add(name)
                return name

    def temporary(self, stem: str) -> str:
        self.temporaries += 1
        return stem if self.temporaries == 1 else f"{stem}{self.temporaries}"

    def source(self) -> str:
        lines = [f"class {self.name}(nn.Module):", f'    """{self.doc}"""', ""]
        lines.append(f"    def __init__({', '.join(['self', *self.signature])}):")
        lines += ["        super().__init__()", *("        " + line for line in self.init)]
        lines += ["", "    def forward(self, x):", *("        " + line for line in self.forward), "        return x"]
        return "\n".join(lines)


class _Writer:
    def __init__(self, program: p.Program, network: Network):
        self.program = program
        self.network = network
        self.keras = network.convention == "keras"
        self.blocks = {s.name: s for s in program.statements if isinstance(s, p.Block)}
        self.parameters = [s for s in program.statements if isinstance(s, p.Assignment)]
        self.defaults = self._defaults()
        # Each statement's input layouts, from the rows it produced (a block's body may run at several).
        self.layouts: dict[Span, set[str]] = {}
        self.row_names: dict[Span, str] = {}
        for row in network.rows:
            self.layouts.setdefault(row.span, set()).add(row.input.axes)
            self.row_names.setdefault(row.span, row.name)
        # Channel counts like 32 * alpha are written int(...) where a value may be a float.
        self.real = any(_REAL.search(line.split("#")[0]) for line in program.lines)
        self.classes: dict[str, str] = {}  # block name -> class source, in the order first used
        self.helpers: set[str] = set()
        self.free_names: dict[str, list[str]] = {}
        self.class_names = {name: class_name(name) for name in self.blocks}

    def _defaults(self) -> dict[str, p.Value]:
        defaults: dict[str, p.Value] = {}
        seen_layer = False
        for statement in self.program.statements:
            if isinstance(statement, p.Defaults):
                if seen_layer:
                    raise SymcnnError(
                        "cannot be written in PyTorch: 'defaults' after layers",
                        statement.span,
                        "move the defaults line above the layers",
                    )
                defaults.update({argument.name: argument.value for argument in statement.keyword})
            seen_layer = seen_layer or isinstance(statement, (p.LayerStatement, p.Residual, p.Concat, p.Repeat))
        return defaults

    # the module --------------------------------------------------------------

    def module(self) -> str:
        stem = Path(self.network.file).stem if not self.network.file.startswith("<") else "network"
        top_name = class_name(stem)
        while top_name in self.class_names.values() or top_name == "GlobalPool":
            top_name += "Net"
        signature, prologue = self._signature(self.parameters, top_level=True)
        top = _Class(top_name, f"{stem} as symcnn describes it.", signature, init=prologue)
        top.variables |= {s.name for s in self.parameters}
        top.init.append(f"self.input_shape = {self._input_shape()}")
        statements = [s for s in self.program.statements if not isinstance(s, _NOT_LAYERS)]
        self._body(statements, top, "x")
        parts = ['"""' + f"PyTorch model of {self.network.file}, written by symcnn export." + '"""', ""]
        functional = "same_padding" in self.helpers or any(
            "F." in source for source in [*self.classes.values(), top.source()]
        )
        parts += [
            "import torch",
            *(["import torch.nn.functional as F"] if functional else []),
            "from torch import nn",
            "",
        ]
        if "same_padding" in self.helpers:
            parts.append(SAME_PADDING)
        if "GlobalPool" in self.helpers:
            parts.append(GLOBAL_POOL)
        for source in self.classes.values():
            parts += ["", source, ""]
        parts += ["", top.source(), "", ""]
        names = [s.name for s in self.parameters]
        build_signature = ", ".join(["*", *signature]) if signature else ""
        call = ", ".join(f"{name}={name}" for name in names)
        parts.append(
            f"def build({build_signature}):\n"
            f'    """The model with its lazy layers sized by one pass of a zero tensor; '
            f'other parameter values give other variants."""\n'
            f"    model = {top_name}({call})\n"
            f"    model.eval()\n"
            f"    with torch.no_grad():\n"
            f"        model(torch.zeros(1, *model.input_shape))\n"
            f"    return model.train()\n"
        )
        return "\n".join(parts).replace("\n\n\n\n", "\n\n\n").strip() + "\n"

    def _input_shape(self) -> str:
        statement = next(s for s in self.program.statements if isinstance(s, p.InputStatement))
        dims = [self.expr(value) for value in statement.arguments.positional]
        if len(dims) > 1 and self.network.input.channels_last:
            dims = dims[-1:] + dims[:-1]
        return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    def _signature(self, items, top_level: bool) -> tuple[list[str], list[str]]:
        """Constructor arguments with their defaults; defaults that refer to other names are set in the body."""
        signature, prologue = [], []
        for item in items:
            name = item.name
            default = item.expr if top_level else item.default
            if default is None:
                signature.append(name)
            elif isinstance(default, p.Number) or (
                isinstance(default, p.Negate) and isinstance(default.operand, p.Number)
            ):
                signature.append(f"{name}={self.expr(default)}")
            else:
                signature.append(f"{name}=None")
                prologue.append(f"{name} = {self.expr(default)} if {name} is None else {name}")
        return signature, prologue

    # blocks --------------------------------------------------------------------

    def block_class(self, block: p.Block) -> str:
        """The class for `block`, written on first use; its name."""
        name = self.class_names[block.name]
        if block.name in self.classes:
            return name
        self.classes[block.name] = ""  # reserve the place: the classes it uses come first
        signature, prologue = self._signature(block.parameters, top_level=False)
        free = self.free(block)
        if free:
            signature += ["*", *free]
        params = ", ".join(
            parameter.name + ("" if parameter.default is None else f"={self.expr(parameter.default)}")
            for parameter in block.parameters
        )
        cls = _Class(name, f"block {block.name}({params})", signature, init=prologue)
        cls.variables |= {parameter.name for parameter in block.parameters} | set(free)
        self._body(block.body, cls, "x")
        del self.classes[block.name]
        self.classes[block.name] = cls.source()
        return name

    def free(self, block: p.Block) -> list[str]:
        """Names a block's body reads from its caller (the DSL's blocks see the caller's values)."""
        if block.name not in self.free_names:
            self.free_names[block.name] = []  # a recursive block is rejected by derive before this
            bound = {parameter.name for parameter in block.parameters}
            self.free_names[block.name] = sorted(self._reads(block.body, bound) - bound)
        return self.free_names[block.name]

    def _reads(self, statements, bound: set[str]) -> set[str]:
        reads: set[str] = set()
        bound = set(bound)
        for statement in statements:
            match statement:
                case p.Assignment(name=name, expr=expr):
                    reads |= _names(expr) - bound
                    bound.add(name)
                case p.LayerStatement(keyword=word, arguments=arguments):
                    values = [*arguments.positional, *(a.value for a in arguments.keyword)]
                    layer = REGISTRY.get(word)
                    words = {w for option in layer.options for w in option.words} if layer else set()
                    reads |= {n for v in values for n in _names(v)} - bound - (words | {"true", "false"})
                    if word in self.blocks:
                        reads |= set(self.free(self.blocks[word])) - bound
                case p.Repeat(count=count, body=body):
                    reads |= (_names(count) - bound) | self._reads(body, bound)
                case p.Residual(main=main, shortcut=shortcut):
                    reads |= self._reads(main, bound) | self._reads(shortcut or (), bound)
                case p.Concat(branches=branches):
                    for branch in branches:
                        reads |= self._reads(branch, bound)
        return reads

    # bodies ----------------------------------------------------------------------

    def _body(self, statements, cls: _Class, var: str) -> None:
        for statement in statements:
            if isinstance(statement, p.Assignment):  # a local value in a block
                cls.init.append(f"{statement.name} = {self.expr(statement.expr)}")
                cls.variables.add(statement.name)
            elif isinstance(statement, p.LayerStatement):
                if statement.span not in self.layouts and statement.keyword not in self.blocks:
                    continue  # never runs (e.g. in a repeat 0)
                attribute = cls.claim(statement.label, self._prefix(statement))
                module, call = self.layer(statement, cls)
                cls.init.append(f"self.{attribute} = {module}")
                cls.forward.append(f"{var} = {call.format(m=f'self.{attribute}', x=var)}")
            elif isinstance(statement, p.Repeat):
                attribute = cls.claim(None, "repeat")
                item = self._sub_module(statement.body, cls, f"Repeat{cls.counters['repeat']}")
                cls.init.append(
                    f"self.{attribute} = nn.ModuleList({item} for _ in range({self.expr(statement.count)}))"
                )
                cls.forward += [f"for layer in self.{attribute}:", f"    {var} = layer({var})"]
            elif isinstance(statement, p.Residual):
                saved = cls.temporary("identity")
                cls.forward.append(f"{saved} = {var}")
                self._body(statement.main, cls, var)
                if statement.shortcut is None:
                    shortcut = saved
                else:
                    attribute = cls.claim(None, "shortcut")
                    cls.init.append(f"self.{attribute} = {self._sub_module(statement.shortcut, cls, attribute)}")
                    shortcut = f"self.{attribute}({saved})"
                cls.claim(statement.label, "add")
                cls.forward.append(f"{var} = {var} + {shortcut}")
            elif isinstance(statement, p.Concat):
                calls = []
                for branch in statement.branches:
                    attribute = cls.claim(None, "branch")
                    cls.init.append(f"self.{attribute} = {self._sub_module(branch, cls, attribute)}")
                    calls.append(f"self.{attribute}({var})")
                cls.claim(statement.label, "concat")
                cls.forward.append(f"{var} = torch.cat([{', '.join(calls)}], dim=1)")

    def _prefix(self, statement: p.LayerStatement) -> str:
        return statement.keyword if statement.keyword in self.blocks else REGISTRY[statement.keyword].prefix

    def _sub_module(self, statements, owner: _Class, role: str) -> str:
        """A shortcut, branch or repeat body as one module: a block call, an nn.Sequential, or a new class."""
        layers = [s for s in statements if not isinstance(s, p.Assignment)]
        if len(statements) == 1 and isinstance(layers[0], p.LayerStatement) and layers[0].keyword in self.blocks:
            return self.layer(layers[0], owner)[0]
        if all(isinstance(s, p.LayerStatement) and s.keyword not in self.blocks for s in statements):
            modules = [self.layer(s, owner) for s in statements if s.span in self.layouts]
            if all(call == CALL for _, call in modules):
                return f"nn.Sequential({', '.join(module for module, _ in modules)})"
        # Anything else becomes a class of its own, given the owner's values it reads.
        name = f"{owner.name}{class_name(role)}"
        free = sorted(self._reads(statements, set()) & owner.variables)
        cls = _Class(name, f"{role} of {owner.name}", ["*", *free] if free else [])
        cls.variables |= set(free)
        self._body(statements, cls, "x")
        self.classes[name] = cls.source()
        return f"{name}({', '.join(f'{n}={n}' for n in free)})"

    # layers --------------------------------------------------------------------

    def layer(self, statement: p.LayerStatement, cls: _Class) -> tuple[str, str]:
        """The module expression and the forward call template ({} the module, {} the input)."""
        if statement.keyword in self.blocks:
            block = self.blocks[statement.keyword]
            name = self.block_class(block)
            arguments = [self.expr(v) for v in statement.arguments.positional]
            arguments += [f"{a.name}={self.expr(a.value)}" for a in statement.arguments.keyword]
            arguments += [f"{n}={n}" for n in self.free(block)]
            return f"{name}({', '.join(arguments)})", CALL
        layouts = self.layouts.get(statement.span, set())
        if len(layouts) != 1:
            raise self.fail(statement, "the same statement runs on inputs of different ranks")
        axes = next(iter(layouts))
        rank = len(axes) - 1 if "C" in axes and len(axes) > 1 else 0
        args = self._arguments(statement, cls)
        word = statement.keyword
        method = getattr(self, f"_{word}", None)
        if method is not None:
            return method(statement, args, rank, axes)
        if word in ("maxpool", "avgpool"):
            return self._pool(statement, args, rank)
        if word in ("globalavgpool", "globalmaxpool"):
            self.helpers.add("GlobalPool")
            reduce = "mean" if word == "globalavgpool" else "amax"
            keep = ", keepdims=True" if args.get("keepdims") == "True" else ""
            return f'GlobalPool("{reduce}"{keep})', CALL
        if word in ("adaptiveavgpool", "adaptivemaxpool"):
            kind = "Avg" if word == "adaptiveavgpool" else "Max"
            return f"nn.Adaptive{kind}Pool{rank}d({args['size']})", CALL
        if word in MODULES:
            return MODULES[word], CALL
        raise self.fail(statement, "this layer type has no PyTorch equivalent here")

    def _arguments(self, statement: p.LayerStatement, cls: _Class) -> dict[str, str]:
        """Option name -> Python text, for the options the statement or the file's defaults give."""
        layer = REGISTRY[statement.keyword]
        by_name = {name: option for option in layer.options for name in (option.name, *option.aliases)}
        given: dict[str, p.Value] = {}
        for option, value in zip([o for o in layer.options if o.positional], statement.arguments.positional):
            given[option.name] = value
        for argument in statement.arguments.keyword:
            given[by_name[argument.name].name] = argument.value
        for name, value in self.defaults.items():
            if name in by_name and by_name[name].name not in given:
                given[by_name[name].name] = value
        texts = {}
        for name, value in given.items():
            option = by_name[name]
            if (
                isinstance(value, p.Name)
                and value.id in option.words + ("true", "false")
                and value.id not in cls.variables
            ):
                texts[name] = {"true": "True", "false": "False"}.get(value.id, value.id)
            else:
                texts[name] = self.value(value, whole=option.kind in ("count", "sizes", "padding"))
        self._raw = given
        return texts

    def _activation(self, args) -> str:
        word = args.get("activation")
        return FUNCTIONS[word].format(CALL) if word and word != "None" else CALL

    def _padding(self, statement, args, rank: int, module: str) -> tuple[dict[str, str], str]:
        """PyTorch padding for the layer, or a forward call that pads first; and the call template."""
        padding = self._raw.get("padding")
        if padding is None or args.get("padding") == "valid":
            return {}, CALL
        if args["padding"] == "same":
            stride = self._raw.get("stride")
            unit_stride = stride is None or (isinstance(stride, p.Number) and stride.value == 1)
            if module == "conv" and (not self.keras or unit_stride):  # PyTorch pools have no "same"
                return {"padding": '"same"'}, CALL
            self.helpers.add("same_padding")
            fill = ", value=float('-inf')" if module == "maxpool" else ""
            return {}, "{m}(same_padding({x}, {m}" + fill + "))"
        pairs = _pairs(padding, rank)
        if pairs is None:
            return {"padding": args["padding"]}, CALL
        if all(self.expr(a) == self.expr(b) for a, b in pairs):
            return {"padding": "(" + ", ".join(self.expr(a) for a, _ in pairs) + ")"}, CALL
        amounts = ", ".join(f"{self.expr(a)}, {self.expr(b)}" for a, b in reversed(pairs))
        return {}, "{m}(F.pad({x}, (" + amounts + ")))"

    def _conv(self, statement, args, rank, axes):
        padding, call = self._padding(statement, args, rank, "conv")
        options = self._options(args, ("stride", "dilation", "groups"), padding)
        module = f"nn.LazyConv{rank}d({args['filters']}, {args['kernel']}{options})"
        return module, _compose(self._activation(args), call)

    def _convtranspose(self, statement, args, rank, axes):
        if self.keras:
            raise self.fail(statement, "Keras's transposed convolution sizes are not written yet")
        options = self._options(args, ("stride", "padding", "output_padding", "groups", "dilation"), {})
        module = f"nn.LazyConvTranspose{rank}d({args['filters']}, {args['kernel']}{options})"
        return module, self._activation(args)

    def _pool(self, statement, args, rank):
        if self.keras and statement.keyword == "avgpool" and args.get("padding") == "same":
            raise self.fail(statement, "Keras averages 'same'-padded windows over the valid pixels only")
        padding, call = self._padding(statement, args, rank, statement.keyword)
        options = self._options(args, ("stride", "dilation", "ceil_mode"), padding)
        kind = "Max" if statement.keyword == "maxpool" else "Avg"
        return f"nn.{kind}Pool{rank}d({args['size']}{options})", call

    def _dense(self, statement, args, rank, axes):
        if self.keras and axes != "F":
            raise self.fail(
                statement, "a Keras dense layer on a channels-last map acts on the channels", "flatten first"
            )
        options = ", bias=False" if args.get("bias") == "False" else ""
        return f"nn.LazyLinear({args['units']}{options})", self._activation(args)

    def _batchnorm(self, statement, args, rank, axes):
        return f"nn.LazyBatchNorm{max(rank, 1)}d()", CALL

    def _dropout(self, statement, args, rank, axes):
        return f"nn.Dropout({args.get('rate', '')})", CALL

    def _upsample(self, statement, args, rank, axes):
        options = [f"scale_factor={args['scale']}" if "scale" in args else f"size={args['size']}"]
        if "mode" in args:
            options.append(f'mode="{args["mode"]}"')
        return f"nn.Upsample({', '.join(options)})", CALL

    def _zeropad(self, statement, args, rank, axes):
        pairs = _pairs(self._raw["padding"], rank)
        if pairs is None:
            return f"nn.ZeroPad{rank}d({args['padding']})", CALL
        amounts = ", ".join(f"{self.expr(a)}, {self.expr(b)}" for a, b in reversed(pairs))
        return f"nn.ZeroPad{rank}d(({amounts}))", CALL

    def _options(self, args, names, extra: dict[str, str]) -> str:
        texts = [f"{name}={args[name]}" for name in names if name in args and args[name] not in ("1", "False", "None")]
        texts += [f"{name}={text}" for name, text in extra.items()]
        if args.get("bias") == "False":
            texts.append("bias=False")
        return "".join(", " + text for text in texts)

    # values --------------------------------------------------------------------

    def value(self, value: p.Value, whole: bool = False) -> str:
        if isinstance(value, p.TupleValue):
            items = [self.value(item, whole) for item in value.items]
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        text = self.expr(value)
        return f"int({text})" if whole and self.real and not isinstance(value, p.Number) else text

    def expr(self, expr: p.Expr, outer: int = 0) -> str:
        match expr:
            case p.Number(value=value, text=text):
                return text.replace("_", "") if isinstance(value, int) else str(float(value))
            case p.Name(id=name):
                return name + "_" if keyword.iskeyword(name) else name
            case p.Negate(operand=operand):
                return f"-{self.expr(operand, 3)}"
            case p.BinaryOp(op=op, left=left, right=right):
                text = f"{self.expr(left, _PREC[op])} {op} {self.expr(right, _PREC[op] + 1)}"
                return f"({text})" if _PREC[op] < outer else text
        raise TypeError(expr)

    def fail(self, statement: p.LayerStatement, why: str, hint: str | None = None) -> SymcnnError:
        name = self.row_names.get(statement.span, statement.keyword)
        return SymcnnError(f"{name}: cannot be written in PyTorch: {why}", statement.span, hint)


_NOT_LAYERS = (p.Assignment, p.InputStatement, p.Convention, p.Defaults, p.Expect, p.Block)


def _compose(outer: str, inner: str) -> str:
    """Apply the activation template `outer` around the call template `inner`."""
    return outer.replace(CALL, inner, 1) if outer != CALL else inner


def _pairs(value: p.Value, rank: int):
    """A padding tuple with (left, right) pairs as one pair per dim; None for a scalar or plain per-dim tuple."""
    if not isinstance(value, p.TupleValue) or not any(isinstance(item, p.TupleValue) for item in value.items):
        return None
    return [tuple(item.items) if isinstance(item, p.TupleValue) else (item, item) for item in value.items]


def _names(value) -> set[str]:
    match value:
        case p.Name(id=name):
            return {name}
        case p.BinaryOp(left=left, right=right):
            return _names(left) | _names(right)
        case p.Negate(operand=operand):
            return _names(operand)
        case p.TupleValue(items=items):
            return {n for item in items for n in _names(item)}
    return set()
