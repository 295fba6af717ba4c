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
from ..layers import REGISTRY
from ..network import Network
from . import torch_parts
from .code import NOT_LAYERS, CodeWriter, Names, bodies_of, class_name, fresh, identifier, names_in, pairs, rendered

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

# Helpers copied into the generated module when it uses them, in this order.
PARTS = {
    "same_padding": torch_parts.SAME_PADDING,
    "GlobalPool": torch_parts.GLOBAL_POOL,
    "Crop": torch_parts.CROP,
    "Permute": torch_parts.PERMUTE,
    "Reshape": torch_parts.RESHAPE,
    "LazyLayerNorm": torch_parts.LAZY_LAYER_NORM,
    "LayerScale": torch_parts.LAYER_SCALE,
    "DropPath": torch_parts.DROP_PATH,
    "Rescale": torch_parts.RESCALE,
    **{f"SeparableConv{rank}d": torch_parts.SEPARABLE_CONV.replace("{rank}", str(rank)) for rank in (1, 2, 3)},
    "activation": torch_parts.ACTIVATION,
}
# Names the generated forward() uses itself: a kept tensor never takes one.
_FORWARD_NAMES = {"self", "x", "torch", "nn", "F", "layer"}


def render(program: p.Program, network: Network) -> str:
    """The Python source of a module defining the network's classes and `build()`."""
    return _Writer(program, network).module()


@dataclass
class _Class:
    """One generated class being written: its constructor and forward lines, indented as they nest."""

    name: str
    doc: str
    signature: list[str]
    init: list = field(default_factory=list)
    forward: list = field(default_factory=list)
    names: Names = field(default_factory=Names)
    variables: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=lambda: set(_FORWARD_NAMES))
    attributes: dict[str, int] = field(default_factory=dict)
    indent: str = ""

    def claim(self, label: str | None, prefix: str) -> tuple[str, bool]:
        return self.names.claim(label, prefix)

    def attribute(self, stem: str) -> str:
        """A module attribute that is no DSL name: condition1, ..."""
        self.attributes[stem] = self.attributes.get(stem, 0) + 1
        return f"{stem}{self.attributes[stem]}"

    def temporary(self, stem: str) -> str:
        return fresh(stem, self.locals)

    def add_init(self, line: str) -> None:
        self.init.append(self.indent + line)

    def add_forward(self, line: str) -> None:
        self.forward.append(self.indent + line)

    def keep(self, name: str, certain: bool) -> None:
        """Keep the output just made under its DSL name, should a later statement refer to it."""
        saved = self.names.keep(name, certain, "x", self.indent, self.locals)
        self.forward.append(saved)

    def source(self) -> str:
        lines = [f"class {self.name}(nn.Module):", f'    """{self.doc}"""', ""]
        lines.append(f"    def __init__({', '.join(['self', *self.signature])}):")
        lines += ["        super().__init__()", *("        " + line for line in self.init)]
        forward = rendered(self.forward)
        lines += ["", "    def forward(self, x):", *("        " + line for line in forward), "        return x"]
        return "\n".join(lines)


class _Writer(CodeWriter):
    framework = "PyTorch"

    def __init__(self, program: p.Program, network: Network):
        super().__init__(program, network)
        self.classes: dict[str, str] = {}  # block name -> class source, in the order first used
        self.helpers: set[str] = set()
        self.class_names = {name: class_name(name) for name in self.blocks}
        self.channels_last = network.input.channels_last
        # Activations passed by name to blocks (act=hardswish), for the activation() helper.
        self.named_activations = sorted(
            {
                value.id
                for value in _block_argument_values(program.statements)
                if isinstance(value, p.Name) and value.id in MODULES
            }
        )

    # the module --------------------------------------------------------------

    def module(self) -> str:
        stem = Path(self.network.file).stem if not self.network.file.startswith("<") else "network"
        top_name = class_name(stem)
        while top_name in self.class_names.values() or top_name in PARTS:
            top_name += "Net"
        signature, prologue = self._signature(self.parameters, top_level=True)
        top = _Class(top_name, f"{stem} as symcnn describes it.", signature, init=prologue)
        top.variables |= {s.name for s in self.parameters}
        top.init.append(f"self.input_shape = {self._input_shape()}")
        statements = [s for s in self.program.statements if not isinstance(s, NOT_LAYERS)]
        self._body(statements, top, "x")
        parts = ['"""' + f"PyTorch model of {self.network.file}, written by symcnn export." + '"""', ""]
        helpers = [
            PARTS[name].replace("{choices}", self._activation_choices()) for name in PARTS if name in self.helpers
        ]
        functional = any("F." in source for source in [*helpers, *self.classes.values(), top.source()])
        parts += [
            "import torch",
            *(["import torch.nn.functional as F"] if functional else []),
            "from torch import nn",
            "",
        ]
        parts += helpers
        for source in self.classes.values():
            parts += ["", source, ""]
        parts += ["", top.source(), "", ""]
        names = [identifier(s.name) for s in self.parameters]
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

    def _activation_choices(self) -> str:
        def factory(word: str) -> str:
            module = MODULES[word]
            return module.removesuffix("()") if module.endswith("()") else f"lambda: {module}"

        return "{" + ", ".join(f'"{word}": {factory(word)}' for word in self.named_activations) + "}"

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
            signature += ["*", *map(identifier, free)]
        params = ", ".join(
            parameter.name + ("" if parameter.default is None else f"={self.argument(parameter.default, set())}")
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
                cls.add_init(f"{identifier(statement.name)} = {self.expr(statement.expr)}")
                cls.variables.add(statement.name)
            elif isinstance(statement, p.LayerStatement):
                attribute, certain = cls.claim(statement.label, self._prefix(statement, cls))
                module, call = self.layer(statement, cls)
                cls.add_init(f"self.{attribute} = {module}")
                cls.add_forward(f"{var} = {call.format(m=f'self.{attribute}', x=var)}")
                cls.keep(attribute, certain)
            elif isinstance(statement, p.Repeat):
                attribute = cls.attribute("repeat")
                item = self._sub_module(statement.body, cls, f"Repeat{attribute.removeprefix('repeat')}")
                cls.add_init(f"self.{attribute} = nn.ModuleList({item} for _ in range({self.expr(statement.count)}))")
                cls.add_forward(f"for layer in self.{attribute}:")
                cls.add_forward(f"    {var} = layer({var})")
                cls.names.doubtful = True  # the body's names count on from these, once per round
            elif isinstance(statement, p.Residual):
                saved = cls.temporary("identity")
                cls.add_forward(f"{saved} = {var}")
                self._body(statement.main, cls, var)
                if statement.shortcut is None:
                    shortcut = saved
                else:
                    attribute, _ = cls.claim(None, "shortcut")
                    cls.add_init(f"self.{attribute} = {self._sub_module(statement.shortcut, cls, attribute)}")
                    shortcut = f"self.{attribute}({saved})"
                self._join(statement.label, "add", f"{var} + {shortcut}", cls, var)
            elif isinstance(statement, p.Concat):
                calls = []
                for branch, bounds in zip(statement.branches, statement.slices or (None,) * len(statement.branches)):
                    attribute, _ = cls.claim(None, "branch")
                    taken = var if bounds is None else f"{var}[:, {self._channels(bounds, attribute, cls)}]"
                    if not branch:  # the identity: no module
                        calls.append(taken)
                        continue
                    cls.add_init(f"self.{attribute} = {self._sub_module(branch, cls, attribute)}")
                    calls.append(f"self.{attribute}({taken})")
                self._join(statement.label, "concat", f"torch.cat([{', '.join(calls)}], dim=1)", cls, var)
            elif isinstance(statement, p.Scale):  # squeeze-and-excitation: the input times its gate, broadcast
                attribute, _ = cls.claim(None, "gate")
                cls.add_init(f"self.{attribute} = {self._sub_module(statement.gate, cls, attribute)}")
                self._join(statement.label, "scale", f"{var} * self.{attribute}({var})", cls, var)
            elif isinstance(statement, p.Group):
                attribute, certain = cls.claim(statement.label, statement.label)
                module = self._sub_module(statement.body, cls, attribute, own_class=True)
                cls.add_init(f"self.{attribute} = {module}")
                cls.add_forward(f"{var} = self.{attribute}({var})")
                cls.keep(attribute, certain)
            elif isinstance(statement, p.If):
                self._if(statement, cls, var)
            elif isinstance(statement, p.From):
                cls.add_forward(f"{var} = {self.reference(cls.names, statement.name, statement.name_span)}")
            elif isinstance(statement, p.Skip):
                other = self.reference(cls.names, statement.name, statement.name_span)
                joined = f"{var} + {other}" if statement.join == "add" else f"torch.cat([{var}, {other}], dim=1)"
                self._join(statement.label, statement.join, joined, cls, var)

    def _channels(self, bounds, branch: str, cls: _Class) -> str:
        """A branch's slice of the channels; kept by __init__ where its bounds are the block's arguments."""
        start, stop = (self.value(bound, True) for bound in bounds)
        if not any(names_in(bound) & cls.variables for bound in bounds):
            return f"{start} : {stop}"
        cls.add_init(f"self.{branch}_channels = slice({start}, {stop})")
        return f"self.{branch}_channels"

    def _join(self, label: str | None, prefix: str, joined: str, cls: _Class, var: str) -> None:
        name, certain = cls.claim(label, prefix)
        cls.add_forward(f"{var} = {joined}")
        cls.keep(name, certain)

    def _if(self, statement: p.If, cls: _Class, var: str) -> None:
        """Decided when the model is built, from the block's arguments: a Python `if` in both methods."""
        flag = cls.attribute("condition")
        cls.add_init(f"self.{flag} = {self.expr(statement.condition)}")
        start = cls.names.branch_point()
        outcomes = []
        for header, body in ((f"if self.{flag}:", statement.then), ("else:", statement.otherwise)):
            if header == "else:" and not body:
                outcomes.append(start)
                break
            cls.names.counters = dict(start)
            cls.add_init(header)
            cls.add_forward(header)
            init, forward = len(cls.init), len(cls.forward)
            cls.indent += "    "
            self._body(body, cls, var)
            if len(cls.init) == init:
                cls.add_init("pass")
            if len(cls.forward) == forward:
                cls.add_forward("pass")
            cls.indent = cls.indent[:-4]
            outcomes.append(cls.names.branch_point())
        cls.names.after_alternatives(outcomes)

    def _sub_module(self, statements, owner: _Class, role: str, own_class: bool = False) -> str:
        """A shortcut, branch, gate, group or repeat body as one module: a block call, an nn.Sequential, or a
        new class (always, for a group, so that its layers keep their DSL names)."""
        layers = [s for s in statements if not isinstance(s, p.Assignment)]
        plain = all(isinstance(s, p.LayerStatement) and s.keyword in REGISTRY for s in statements)
        single = len(statements) == len(layers) == 1 and isinstance(layers[0], p.LayerStatement)
        if not own_class and single and layers[0].keyword in self.blocks:
            return self.layer(layers[0], owner)[0]
        if not own_class and plain:
            modules = [self.layer(s, owner) for s in statements]
            if all(call == CALL for _, call in modules):
                return f"nn.Sequential({', '.join(module for module, _ in modules)})"
        # Anything else becomes a class of its own, given the owner's values it reads.
        name = f"{owner.name}{class_name(role)}"
        free = sorted(self._reads(statements, set()) & owner.variables)
        cls = _Class(name, f"{role} of {owner.name}", ["*", *map(identifier, free)] if free else [])
        cls.variables |= set(free)
        cls.names.doubtful = role.startswith("Repeat")  # derive counts the body's names on from the caller's
        self._body(statements, cls, "x")
        self.classes[name] = cls.source()
        return f"{name}({', '.join(f'{identifier(n)}={identifier(n)}' for n in free)})"

    # layers --------------------------------------------------------------------

    def _prefix(self, statement: p.LayerStatement, cls: _Class) -> str:
        if statement.keyword in self.blocks:
            return statement.keyword
        if statement.keyword in REGISTRY:
            return REGISTRY[statement.keyword].prefix
        # A block parameter naming the layer type: derive names it by the type given, known at build only.
        cls.names.uncertain |= set(MODULES)
        return statement.keyword

    def layer(self, statement: p.LayerStatement, cls: _Class) -> tuple[str, str]:
        """The module expression and the forward call template ({m} the module, {x} the input)."""
        word = statement.keyword
        if word in self.blocks:
            block = self.blocks[word]
            name = self.block_class(block)
            arguments = [self.argument(v, cls.variables) for v in statement.arguments.positional]
            arguments += [
                f"{identifier(a.name)}={self.argument(a.value, cls.variables)}" for a in statement.arguments.keyword
            ]
            arguments += [f"{identifier(n)}={identifier(n)}" for n in self.free(block)]
            return f"{name}({', '.join(arguments)})", CALL
        if word not in REGISTRY:  # act, a block parameter holding an activation's name
            if statement.arguments.positional or statement.arguments.keyword:
                raise self.fail(statement, "a layer type given by a block parameter, with arguments")
            self.helpers.add("activation")
            return f"activation({identifier(word)})", CALL
        layouts = self.layouts.get(statement.span, set())
        if len(layouts) > 1:
            raise self.fail(statement, "the same statement runs on inputs of different ranks")
        # A statement that never ran with the file's values (in an `if` part not taken) runs at the last rank seen.
        axes = next(iter(layouts)) if layouts else getattr(self, "_axes", self.network.input.axes)
        self._axes = axes
        rank = len(axes) - 1 if "C" in axes and len(axes) > 1 else 0
        args = self._arguments(statement, cls.variables)
        self._cls = cls
        method = getattr(self, f"_{word}", None)
        if method is not None:
            return method(statement, args, rank, axes)
        if word in ("maxpool", "avgpool"):
            return self._pool(statement, args, rank)
        if word in ("globalavgpool", "globalmaxpool"):
            self.helpers.add("GlobalPool")
            reduce = "mean" if word == "globalavgpool" else "amax"
            keep = ", keepdims=True" if args.get("keepdims") == "True" else ""
            dims = ", ".join(str(dim) for dim in range(2, 2 + rank))
            return f'GlobalPool("{reduce}", ({dims},){keep})', CALL
        if word in ("adaptiveavgpool", "adaptivemaxpool"):
            kind = "Avg" if word == "adaptiveavgpool" else "Max"
            return f"nn.Adaptive{kind}Pool{rank}d({args['size']})", CALL
        if word in MODULES:
            return MODULES[word], CALL
        raise self.fail(statement, "this layer type has no PyTorch equivalent here")

    def _activation(self, statement, args) -> str:
        word = args.get("activation")
        if word and word not in FUNCTIONS and word != "None":
            raise self.fail(statement, "an activation= given by a block parameter", f"write '{word}' on its own line")
        return FUNCTIONS[word].format(CALL) if word and word != "None" else CALL

    def _padding(self, statement, args, rank: int, module: str, geometry: str = "") -> tuple[dict[str, str], str]:
        """PyTorch padding for the layer, or a forward call that pads first; and the call template.
        `geometry` is the attribute of the module that holds the kernel and stride (a separable conv's depthwise)."""
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
            return {}, "{m}(same_padding({x}, {m}" + geometry + fill + "))"
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
        return module, _compose(self._activation(statement, args), call)

    def _sepconv(self, statement, args, rank, axes):
        """keras.layers.SeparableConvND's parameters: the depthwise part has no bias, the 1x1 part has it."""
        self.helpers.add(f"SeparableConv{rank}d")
        padding, call = self._padding(statement, args, rank, "conv", ".depthwise")
        options = self._options(args, ("depth_multiplier", "stride", "dilation"), padding)
        module = f"SeparableConv{rank}d({args['filters']}, {args['kernel']}{options})"
        return module, _compose(self._activation(statement, args), call)

    def _convtranspose(self, statement, args, rank, axes):
        if self.keras:
            raise self.fail(statement, "Keras's transposed convolution sizes are not written yet")
        # The padding's and output_padding's default is 0, so a 1 must be written (the other options' default is 1).
        zeros = ("padding", "output_padding")
        zero_default = {name: args[name] for name in zeros if args.get(name) not in (None, "0", "valid")}
        options = self._options(args, ("stride", "groups", "dilation"), zero_default)
        module = f"nn.LazyConvTranspose{rank}d({args['filters']}, {args['kernel']}{options})"
        return module, self._activation(statement, args)

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
        self._same_layout(statement, axes, "a Keras dense layer on a channels-last map acts on the channels")
        options = ", bias=False" if args.get("bias") == "False" else ""
        return f"nn.LazyLinear({args['units']}{options})", self._activation(statement, args)

    def _same_layout(self, statement, axes: str, why: str) -> None:
        """The model holds a channels-last file's maps channels first: a layer that acts on the axes as laid
        out (the last one, or their order) would act on other axes."""
        if self.channels_last and len(axes) > 1:
            raise self.fail(statement, why, "flatten first, or write the file channels first")

    def _batchnorm(self, statement, args, rank, axes):
        affine = args.get("affine") != "False"
        if affine and "False" in (args.get("scale"), args.get("center")):
            raise self.fail(statement, "its batch norm has its scale and its shift together", "affine=false drops both")
        return f"nn.LazyBatchNorm{max(rank, 1)}d({'' if affine else 'affine=False'})", CALL

    def _layernorm(self, statement, args, rank, axes):
        self._same_layout(statement, axes, "layer norm acts on the last axes, which the model holds first")
        self.helpers.add("LazyLayerNorm")
        return f"LazyLayerNorm({args['dims'] if args.get('dims') not in (None, '1') else ''})", CALL

    def _layerscale(self, statement, args, rank, axes):
        self.helpers.add("LayerScale")
        if "C" not in axes:
            channel_dim = -1  # the last axis, as the DSL scales it
        else:
            channel_dim = 1 if self.channels_last else 1 + axes.index("C")
        return f"LayerScale({'' if channel_dim == 1 else f'channel_dim={channel_dim}'})", CALL

    def _rescale(self, statement, args, rank, axes):
        self.helpers.add("Rescale")
        offset = f", offset={args['offset']}" if "offset" in args else ""
        return f"Rescale({args['scale']}{offset})", CALL

    def _dropout(self, statement, args, rank, axes):
        return f"nn.Dropout({args.get('rate', '')})", CALL

    def _droppath(self, statement, args, rank, axes):
        self.helpers.add("DropPath")
        return f"DropPath({args['rate']})", CALL

    def _shuffle(self, statement, args, rank, axes):
        return f"nn.ChannelShuffle({args['groups']})", CALL

    def _flatten(self, statement, args, rank, axes):
        start = args.get("start", "1")
        if start == "1":
            return "nn.Flatten()", CALL
        self._same_layout(statement, axes, "flatten start= counts the dims as laid out, which the model reorders")
        return f"nn.Flatten(start_dim={start})", CALL

    def _permute(self, statement, args, rank, axes):
        self._same_layout(statement, axes, "permute orders the dims as laid out, which the model holds reordered")
        self.helpers.add("Permute")
        return f"Permute({args['dims']})", CALL

    def _reshape(self, statement, args, rank, axes):
        dims = self._raw["dims"]
        if self.channels_last and isinstance(dims, p.TupleValue) and len(dims.items) > 1:
            raise self.fail(statement, "reshape reads the dims as laid out, which the model holds reordered")
        self.helpers.add("Reshape")
        return f"Reshape({args['dims']})", CALL

    def _crop(self, statement, args, rank, axes):
        self.helpers.add("Crop")
        raw = self._raw
        if raw.get("like") is not None:  # U-Net's crop-and-copy: to the size of a named earlier output
            like = raw["like"]
            return "Crop()", "{m}({x}, " + self.reference(self._cls.names, like.id, like.span) + ")"
        if raw.get("size") is not None:
            sizes = raw["size"].items if isinstance(raw["size"], p.TupleValue) else (raw["size"],) * rank
            return f"Crop(size=({', '.join(self.value(v, True) for v in sizes)},))", CALL
        sides = pairs(raw["cropping"], rank)
        if sides is None:
            cropping = raw["cropping"]
            sides = [(v, v) for v in (cropping.items if isinstance(cropping, p.TupleValue) else (cropping,) * rank)]
        amounts = ", ".join(f"({self.value(a, True)}, {self.value(b, True)})" for a, b in sides)
        return f"Crop(({amounts},))", CALL

    def _opaque(self, statement, args, rank, axes):
        raise self.fail(
            statement,
            "an opaque layer stands for a module symcnn could not read",
            "export the module it stands for from its own code, or write it in the DSL",
        )

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


def _block_argument_values(statements):
    """The values given to block parameters anywhere: call arguments and parameter defaults."""
    for statement in statements:
        if isinstance(statement, p.Block):
            yield from (parameter.default for parameter in statement.parameters if parameter.default is not None)
        if isinstance(statement, p.LayerStatement):
            yield from statement.arguments.positional
            yield from (argument.value for argument in statement.arguments.keyword)
        for body in bodies_of(statement):
            yield from _block_argument_values(body)


def _compose(outer: str, inner: str) -> str:
    """Apply the activation template `outer` around the call template `inner`."""
    return outer.replace(CALL, inner, 1) if outer != CALL else inner
