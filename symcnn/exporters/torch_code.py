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

from dataclasses import dataclass, field
from pathlib import Path

from .. import program as p
from ..network import Network
from .code import NOT_LAYERS, CodeWriter, class_name, pairs

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
CALL = "{m}({x})"  # a forward call template: the module, the input

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


class _Writer(CodeWriter):
    framework = "PyTorch"

    def __init__(self, program: p.Program, network: Network):
        super().__init__(program, network)
        self.classes: dict[str, str] = {}  # block name -> class source, in the order first used
        self.helpers: set[str] = set()
        self.class_names = {name: class_name(name) for name in self.blocks}

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
        statements = [s for s in self.program.statements if not isinstance(s, NOT_LAYERS)]
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
        args = self._arguments(statement, cls.variables)
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
        if args["padding"] == "causal":  # Keras's Conv1D: d(F - 1) before the input, none after
            kernel, dilation = (self._raw.get(name) for name in ("kernel", "dilation"))
            kernel = kernel.items[0] if isinstance(kernel, p.TupleValue) else kernel
            dilation = dilation.items[0] if isinstance(dilation, p.TupleValue) else dilation
            before = f"({self.expr(dilation)}) * ({self.expr(kernel)} - 1)" if dilation else f"{self.expr(kernel)} - 1"
            return {}, "{m}(F.pad({x}, (" + before + ", 0)))"
        sides = pairs(padding, rank)
        if sides is None:
            return {"padding": args["padding"]}, CALL
        if all(self.expr(a) == self.expr(b) for a, b in sides):
            return {"padding": "(" + ", ".join(self.expr(a) for a, _ in sides) + ")"}, CALL
        amounts = ", ".join(f"{self.expr(a)}, {self.expr(b)}" for a, b in reversed(sides))
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
        # A pool's stride defaults to its kernel in PyTorch, so a stride of 1 must be written.
        stride = {"stride": args["stride"]} if args.get("stride") not in (None, "None") else {}
        options = self._options(args, ("dilation", "ceil_mode"), stride | padding)
        kind = "Max" if statement.keyword == "maxpool" else "Avg"
        return f"nn.{kind}Pool{rank}d({args['size']}{options})", call

    def _dense(self, statement, args, rank, axes):
        if self.keras and len(axes) > 1:  # one axis (features, or the channels a global pool leaves) is flat
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
        sides = pairs(self._raw["padding"], rank)
        if sides is None:
            return f"nn.ZeroPad{rank}d({args['padding']})", CALL
        amounts = ", ".join(f"{self.expr(a)}, {self.expr(b)}" for a, b in reversed(sides))
        return f"nn.ZeroPad{rank}d(({amounts}))", CALL

    def _options(self, args, names, extra: dict[str, str]) -> str:
        texts = [f"{name}={args[name]}" for name in names if name in args and args[name] not in ("1", "False", "None")]
        texts += [f"{name}={text}" for name, text in extra.items()]
        if args.get("bias") == "False":
            texts.append("bias=False")
        return "".join(", " + text for text in texts)


_NOT_LAYERS = (p.Assignment, p.InputStatement, p.Convention, p.Defaults, p.Expect, p.Block)


def _compose(outer: str, inner: str) -> str:
    """Apply the activation template `outer` around the call template `inner`."""
    return outer.replace(CALL, inner, 1) if outer != CALL else inner
