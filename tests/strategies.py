"""Hypothesis strategies for random valid symcnn networks, with the parameters to keep symbolic.

The generator tracks the concrete shape at the parameters' default values, so every
layer it writes is valid there: a kernel never reaches past the padded input, groups
divide the channels, the two paths of a residual end in the same shape. It does not
compute parameter counts or MACs (that would re-type the formulas under test); the shape
it tracks only serves to keep the network valid and to write one `expect ... .shape` claim.

Parameter names are drawn from a pool that collides on purpose: with the legend's
placeholders (N, F, P, S, C_in, ...), with SymPy's own names (E, I, Q, O, S, N, pi,
beta, gamma, lambda, and the functions floor, ceiling, Min, Max that the JSON's formulas
call) and with the DSL's option aliases (d, g).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod

from hypothesis import strategies as st

COLLIDING_NAMES = (
    "N", "F", "P", "S", "C", "H", "W", "E", "I", "Q", "O", "beta", "gamma", "lambda", "pi",
    "C_in", "C_out", "d", "g", "alpha", "floor", "ceiling", "Min", "Max",
)  # fmt: skip
ORDINARY_NAMES = ("width", "depth", "size", "kernel_size", "pad", "step", "base", "filters", "units", "reach")
ACTIVATIONS = ("relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish", "elu", "softmax", "mish", "linear")
MAX_SIZE = 40  # spatial sizes stay small: the formulas, not the numbers, are under test


class Invalid(Exception):
    """The layer drawn would be invalid at the default values."""


@dataclass(frozen=True)
class State:
    """The tracked shape at the default values: channels and spatial sizes, or flat features (spatial == ())."""

    channels: int
    spatial: tuple[int, ...]

    @property
    def flat(self) -> bool:
        return not self.spatial

    def shape(self, channels_last: bool) -> tuple[int, ...]:
        if self.flat:
            return (self.channels,)
        return (*self.spatial, self.channels) if channels_last else (self.channels, *self.spatial)


@dataclass
class Parameter:
    name: str
    default: int | Fraction
    text: str  # the right-hand side as written
    real: bool = False
    base: str | None = None  # the parameter a dependent one is computed from


@dataclass
class Case:
    """One drawn network: its text, its parameters, and the ones to keep symbolic."""

    text: str
    parameters: dict[str, Parameter]
    symbolic: tuple[str, ...]
    convention: str
    claim_layer: str
    declared: bool = False  # the file says `symbolic ...` itself, instead of the commands' --symbolic

    @property
    def symbolic_option(self) -> str:
        return ",".join(self.symbolic)

    @property
    def symbolic_arguments(self) -> list[str]:
        """What a command that shows formulas is given: --symbolic, unless the file's statement says it."""
        return ["--symbolic", self.symbolic_option] if self.symbolic and not self.declared else []

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis prints a falsifying example
        printer.text(f"Case(symbolic={self.symbolic_option!r}, text=\n{self.text})")


@dataclass
class Builder:
    """Writes statements while tracking the shape; `draw` is hypothesis's."""

    draw: object
    convention: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    blocks: list[str] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    block_count: int = 0

    @property
    def torch(self) -> bool:
        return self.convention == "torch"

    # -- values: a literal or a (possibly shared) parameter ------------------------------------

    def value(self, value: int, chance: float = 0.35) -> str:
        """`value` as text: usually the literal, sometimes a parameter with that default."""
        if self.draw(st.integers(0, 99)) >= chance * 100:
            return str(value)
        same = [p.name for p in self.parameters.values() if p.default == value and not p.real]
        if same and self.draw(st.booleans()):
            return self.draw(st.sampled_from(same))
        bases = [p for p in self.parameters.values() if not p.real and p.base is None and 0 < p.default < value]
        name = self.new_name()
        if name is None:
            return str(value)
        if bases and self.draw(st.integers(0, 3)) == 0:  # a dependent parameter, W = H - 8 style
            base = self.draw(st.sampled_from(bases))
            if value % base.default == 0 and self.draw(st.booleans()):
                text = f"{value // base.default} * {base.name}"
            else:
                text = f"{base.name} + {value - base.default}"
            self.parameters[name] = Parameter(name, value, text, base=base.name)
        else:
            self.parameters[name] = Parameter(name, value, str(value))
        return name

    def count(self, value: int) -> str:
        """A channel count; sometimes through a width multiplier, `2 * value * alpha` with alpha = 0.5."""
        if self.draw(st.integers(0, 7)):
            return self.value(value)
        multipliers = [p.name for p in self.parameters.values() if p.real and p.default == Fraction(1, 2)]
        multiplier = multipliers[0] if multipliers else self.real_parameter(Fraction(1, 2))
        return f"{2 * value} * {multiplier}"

    def new_name(self) -> str | None:
        free = [n for n in COLLIDING_NAMES + ORDINARY_NAMES if n not in self.parameters]
        return self.draw(st.sampled_from(free)) if free else None

    def real_parameter(self, default: Fraction) -> str:
        name = self.new_name()
        if name is None:
            return decimal(default)
        self.parameters[name] = Parameter(name, default, decimal(default), real=True)
        return name

    def label(self, prefix: str) -> str:
        name = f"{prefix}{len(self.labels) + 1}x"  # never an automatic name such as conv1
        self.labels.add(name)
        return name

    # -- layers ------------------------------------------------------------------------------------

    def layer(self, state: State, preserving: bool = False) -> tuple[str, State]:
        """One layer statement valid on `state` and the state after it. `preserving` keeps the spatial sizes."""
        if state.flat:
            kinds = ["dense", "dense", "batchnorm", "layernorm", "activation", "dropout", "rescale"]
        elif preserving:
            kinds = ["same_conv", "same_conv", "batchnorm", "activation", "layernorm", "same_pool", "dropout"]
            kinds += ["layerscale", "droppath", "rescale"]
        else:
            kinds = ["conv", "conv", "conv", "pool", "pool", "convtranspose", "sepconv", "batchnorm", "layernorm"]
            kinds += ["activation", "dropout", "zeropad", "upsample", "adaptive", "same_conv"]
        for _ in range(4):
            kind = self.draw(st.sampled_from(kinds))
            try:
                return getattr(self, f"_{kind}")(state)
            except Invalid:
                continue
        return "relu", state

    def _activation(self, state):
        return self.draw(st.sampled_from(ACTIVATIONS)), state

    def _dropout(self, state):
        rate = self.draw(st.sampled_from([Fraction(1, 10), Fraction(1, 4), Fraction(1, 2)]))
        if self.draw(st.integers(0, 3)) == 0:
            return f"dropout {self.real_parameter(rate)}", state
        return f"dropout {decimal(rate)}", state

    def _rescale(self, state):
        numbers = [Fraction(1, 255), Fraction(2), Fraction(17, 100), Fraction(-1, 2), Fraction(0)]
        scale, offset = (self.draw(st.sampled_from(numbers)) for _ in range(2))
        scale = self.real_parameter(scale) if self.draw(st.integers(0, 3)) == 0 else decimal(scale)
        return f"rescale {scale}" + (f", offset={decimal(offset)}" if offset else ""), state

    def _batchnorm(self, state):
        kept = ["", "", " affine=false"] + ([] if self.torch else [" scale=false", " center=false"])  # Keras's own
        return "batchnorm" + self.draw(st.sampled_from(kept)), state

    def _layerscale(self, state):
        return "layerscale", state

    def _droppath(self, state):
        return f"droppath {decimal(self.draw(st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(1, 2)])))}", state

    def _layernorm(self, state):
        dims = self.draw(st.integers(1, len(state.spatial) + 1))
        return ("layernorm" if dims == 1 else f"layernorm dims={dims}"), state

    def _dense(self, state):
        units = self.draw(st.integers(1, 20))
        options = self._bias_activation()
        return f"dense {self.value(units)}{options}", State(units, ())

    def _bias_activation(self) -> str:
        options = ""
        if self.draw(st.integers(0, 3)) == 0:
            options += f", bias={self.draw(st.sampled_from(['true', 'false']))}"
        if self.draw(st.integers(0, 3)) == 0:
            options += f", activation={self.draw(st.sampled_from(ACTIVATIONS))}"
        return options

    def _filters_groups(self, state) -> tuple[int, int]:
        divisors = [g for g in range(1, state.channels + 1) if state.channels % g == 0]
        groups = self.draw(st.sampled_from(divisors)) if self.draw(st.integers(0, 3)) == 0 else 1
        filters = groups * self.draw(st.integers(1, max(1, 12 // groups)))
        return filters, groups

    def _conv(self, state):
        rank = len(state.spatial)
        filters, groups = self._filters_groups(state)
        stride = self.draw(st.sampled_from([1, 1, 2, 3]))
        dilation = self.draw(st.sampled_from([1, 1, 1, 2]))
        if not self.torch and stride > 1:
            dilation = 1  # Keras refuses strides and dilation together
        padding_kind = self.draw(
            st.sampled_from(["number", "number", "valid", "same"] if self.torch else ["valid", "same"])
        )
        if padding_kind == "same" and self.torch and stride != 1:
            padding_kind = "number"
        pad = self.draw(st.integers(0, 2)) if padding_kind == "number" else 0
        reach = min(state.spatial) + 2 * pad - 1  # d(k - 1) may be at most this
        if padding_kind == "same":
            reach = 6
        kernel = self.draw(st.integers(1, max(1, min(5, reach // dilation + 1))))
        if dilation * (kernel - 1) > reach:
            raise Invalid
        if padding_kind == "same":
            out = tuple(n if self.torch else -(-n // stride) for n in state.spatial)
        else:
            out = tuple((n + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1 for n in state.spatial)
        text = f"conv {self.count(filters)}, {self.value(kernel)}"
        non_square = rank > 1 and self.draw(st.integers(0, 4)) == 0 and padding_kind != "same"
        if non_square:  # one kernel size per dim: the first dim's kernel is 1
            text = f"conv {self.value(filters)}, ({', '.join(['1'] + [self.value(kernel)] * (rank - 1))})"
            out = ((state.spatial[0] + 2 * pad - 1) // stride + 1,) + out[1:]
        if stride != 1 or (padding_kind != "same" and self.draw(st.booleans())):
            # With padding=same PyTorch needs stride 1; a symbolic stride there could not be checked.
            text += f", {self.draw(st.sampled_from(['stride', 's']))}={self.value(stride)}"
        if padding_kind == "number" and (pad or self.draw(st.booleans())):
            text += f", padding={self.value(pad)}"
        elif padding_kind != "number":
            text += f", padding={padding_kind}"
        if dilation != 1:
            text += f", dilation={self.value(dilation)}"
        if groups != 1:
            text += f", groups={self.value(groups)}"
        return text + self._bias_activation(), State(filters, out)

    def _same_conv(self, state):
        """A convolution that keeps the spatial sizes: odd kernel, padding (k - 1)/2, stride 1."""
        filters, groups = self._filters_groups(state)
        kernel = self.draw(st.sampled_from([1, 3, 3, 5]))
        if self.torch and self.draw(st.booleans()):
            kernel_text = self.value(kernel)
            padding = f"({kernel_text} - 1) // 2" if self.draw(st.booleans()) else self.value((kernel - 1) // 2)
        else:
            kernel_text, padding = self.value(kernel), "same"
        text = f"conv {self.count(filters)}, {kernel_text}, padding={padding}"
        if groups != 1:
            text += f", groups={self.value(groups)}"
        return text + self._bias_activation(), State(filters, state.spatial)

    def _sepconv(self, state):
        filters = self.draw(st.integers(1, 12))
        kernel = self.draw(st.integers(1, min(3, min(state.spatial))))
        multiplier = self.draw(st.sampled_from([1, 1, 2]))
        out = tuple(n - kernel + 1 for n in state.spatial)
        text = f"sepconv {self.value(filters)}, {self.value(kernel)}"
        if multiplier != 1:
            text += f", depth_multiplier={self.value(multiplier)}"
        return text, State(filters, out)

    def _convtranspose(self, state):
        filters = self.draw(st.integers(1, 12))
        kernel = self.draw(st.integers(1, 4))
        stride = self.draw(st.sampled_from([1, 2]))
        if self.torch:
            extra = self.draw(st.integers(0, stride - 1))
            pad = self.draw(st.integers(0, 1))
            out = tuple((n - 1) * stride - 2 * pad + kernel - 1 + extra + 1 for n in state.spatial)
            text = f"convtranspose {self.value(filters)}, {self.value(kernel)}, stride={self.value(stride)}"
            text += f", padding={self.value(pad)}" + (f", output_padding={self.value(extra)}" if extra else "")
        else:
            same = self.draw(st.booleans())
            out = tuple(n * stride + (0 if same else max(kernel - stride, 0)) for n in state.spatial)
            text = f"convtranspose {self.value(filters)}, {self.value(kernel)}, stride={self.value(stride)}"
            text += ", padding=same" if same else ""
        if min(out) < 1 or max(out) > MAX_SIZE:
            raise Invalid
        return text, State(filters, out)

    def _pool(self, state):
        kind = self.draw(st.sampled_from(["maxpool", "avgpool"]))
        smallest = min(state.spatial)
        if self.torch:
            size = self.draw(st.integers(1, min(4, smallest + 2)))
            stride = self.draw(st.sampled_from([None, 1, 2]))
            step = size if stride is None else stride
            pad = self.draw(st.integers(0, size // 2))
            dilation = self.draw(st.sampled_from([1, 1, 2])) if kind == "maxpool" else 1
            ceil_mode = self.draw(st.integers(0, 3)) == 0
            if kind == "avgpool" and len(state.spatial) == 3 and size > smallest:
                raise Invalid  # AvgPool3d needs the input at least as large as the kernel
            out = tuple(torch_pool_size(n, size, step, pad, dilation, ceil_mode) for n in state.spatial)
            text = f"{kind} {self.value(size)}"
            text += "" if stride is None else f", stride={self.value(stride)}"
            text += f", padding={self.value(pad)}" if pad else ""
            text += f", dilation={self.value(dilation)}" if dilation != 1 else ""
            text += ", ceil_mode=true" if ceil_mode else ""
        else:
            same = self.draw(st.booleans())
            size = self.draw(st.integers(1, min(4, smallest if not same else 4)))
            out = tuple(-(-n // size) if same else (n - size) // size + 1 for n in state.spatial)
            text = f"{kind} {self.value(size)}" + (", padding=same" if same else "")
        if min(out) < 1:
            raise Invalid
        return text, State(state.channels, out)

    def _same_pool(self, state):
        if self.torch:
            return "maxpool 3, stride=1, padding=1", state
        return "maxpool 3, stride=1, padding=same", state

    def _zeropad(self, state):
        pad = self.draw(st.integers(0, 2))
        if len(state.spatial) > 1 and self.draw(st.booleans()):
            pairs = ", ".join(f"({self.value(pad)}, 1)" for _ in state.spatial)
            return f"zeropad ({pairs})", State(state.channels, tuple(n + pad + 1 for n in state.spatial))
        return f"zeropad {self.value(pad)}", State(state.channels, tuple(n + 2 * pad for n in state.spatial))

    def _upsample(self, state):
        scale = self.draw(st.integers(1, 3))
        if max(state.spatial) * scale > MAX_SIZE:
            raise Invalid
        return f"upsample {self.value(scale)}", State(state.channels, tuple(n * scale for n in state.spatial))

    def _adaptive(self, state):
        kind = self.draw(st.sampled_from(["adaptiveavgpool", "adaptivemaxpool"]))
        size = self.draw(st.integers(1, min(state.spatial)))
        return f"{kind} {self.value(size)}", State(state.channels, (size,) * len(state.spatial))

    # -- statements: layers, blocks, repeat, residual, concat ----------------------------------------

    def statements(self, state: State, count: int, depth: int = 0) -> tuple[list[str], State]:
        lines = []
        for _ in range(count):
            line, state = self.statement(state, depth)
            lines.append(line)
        return lines, state

    def statement(self, state: State, depth: int) -> tuple[str, State]:
        kinds = ["layer"] * 6
        if not state.flat:
            kinds += ["global", "flatten"]
            if depth < 2:
                kinds += ["repeat", "residual", "concat", "block", "scale"]
            if depth == 0:  # a group's label must not repeat
                kinds.append("group")
        kind = self.draw(st.sampled_from(kinds))
        if kind == "flatten":
            return "flatten", State(state.channels * prod(state.spatial), ())
        if kind == "global":
            pool = self.draw(st.sampled_from(["globalavgpool", "globalmaxpool"]))
            if self.draw(st.booleans()):
                return f"{pool} keepdims=true", State(state.channels, (1,) * len(state.spatial))
            return pool, State(state.channels, ())
        if kind == "layer":
            line, after = self.layer(state)
            if depth == 0 and self.draw(st.integers(0, 4)) == 0:
                line = f"{self.label('l')}: {line}"
            return line, after
        return getattr(self, f"_{kind}")(state, depth)

    def _repeat(self, state, depth):
        times = self.draw(st.integers(1, 3))
        lines, after = self.statements(state, self.draw(st.integers(1, 2)), depth + 1)
        if after != state:  # only a shape-keeping body can run more than once
            times = 1
        return f"repeat {times} {{ {'; '.join(lines)} }}", after

    def _residual(self, state, depth):
        """The main path keeps the sizes or halves them (a strided 3x3 conv first); a 1x1 shortcut matches it."""
        body, current, stride = [], state, 1
        if self.draw(st.integers(0, 2)) == 0:
            stride = 2
            filters = self.draw(st.integers(1, 12))
            padding = self.value(1) if self.torch else "same"
            body.append(f"conv {self.value(filters)}, 3, stride={self.value(2)}, padding={padding}")
            current = State(filters, tuple(-(-n // 2) for n in state.spatial))
        for _ in range(self.draw(st.integers(0 if body else 1, 2))):
            line, current = self.layer(current, preserving=True)
            body.append(line)
        shortcut = ""
        if current != state or self.draw(st.integers(0, 3)) == 0:
            stride_text = f", stride={self.value(stride)}" if stride != 1 else ""
            shortcut = f" shortcut {{ conv {self.value(current.channels)}, 1{stride_text}, bias=false; batchnorm }}"
        label = f"{self.label('res')}: " if depth == 0 and self.draw(st.booleans()) else ""
        return f"{label}residual {{\n  " + "\n  ".join(body) + f"\n}}{shortcut}", current

    def _concat(self, state, depth):
        branches, channels = [], 0
        for _ in range(self.draw(st.integers(1, 3))):
            body, current = [], state
            for _ in range(self.draw(st.integers(0, 2))):  # zero layers: an identity branch
                line, current = self.layer(current, preserving=True)
                body.append(line)
            branches.append(f"  branch {{ {'; '.join(body)} }}")
            channels += current.channels
        label = f"{self.label('cat')}: " if depth == 0 and self.draw(st.booleans()) else ""
        return f"{label}concat {{\n" + "\n".join(branches) + "\n}", State(channels, state.spatial)

    def _scale(self, state, depth):
        """Squeeze-and-excitation: a gate of (C, 1, ...) from a pool with keepdims, two 1x1 convs."""
        squeeze = self.draw(st.integers(1, 8))
        channels = self.value(state.channels)
        gate = f"globalavgpool keepdims=true; conv {self.value(squeeze)}, 1; relu; conv {channels}, 1; sigmoid"
        label = f"{self.label('se')}: " if depth == 0 and self.draw(st.booleans()) else ""
        return f"{label}scale {{ {gate} }}", state

    def _group(self, state, depth):
        lines, after = self.statements(state, self.draw(st.integers(1, 2)), depth + 1)
        return f"{self.label('stage')}: {{\n  " + "\n  ".join(lines) + "\n}", after

    def _block(self, state, depth):
        """A block whose first convolution's filters and kernel are the block's parameters (c, k)."""
        self.block_count += 1
        name = f"unit{self.block_count}"
        filters = self.draw(st.integers(1, 12))
        kernel = self.draw(st.sampled_from([1, 3]))
        padding = "k // 2" if self.torch else "same"
        body = [f"conv c, k, padding={padding}, bias=false", "batchnorm"]
        current = State(filters, state.spatial)
        for _ in range(self.draw(st.integers(0, 2))):
            line, current = self.layer(current, preserving=True)
            body.append(line)
        default = self.draw(st.sampled_from([kernel, 3]))
        self.blocks.append(f"block {name}(c, k={default}) {{\n  " + "\n  ".join(body) + "\n}")
        arguments = f"{self.value(filters)}" + ("" if kernel == default else f", k={self.value(kernel)}")
        uses = [f"{name} {arguments}"]
        if self.draw(st.booleans()):
            # A second use with the same arguments is valid: the body keeps the sizes, and its first
            # convolution makes the channels what they were the first time.
            label = f"{self.label('use')}: " if depth == 0 else ""  # a repeated label would clash
            uses.append(f"{label}{name} {arguments}")
        return "\n".join(uses), current


def torch_pool_size(n: int, size: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (aten/src/ATen/native/Pool.h, pooling_output_shape)."""
    numerator = n + 2 * pad - dilation * (size - 1) - 1
    if not ceil_mode:
        return numerator // stride + 1
    out = -(-numerator // stride) + 1
    if (out - 1) * stride >= n + pad:  # the last window must start inside the input or the left padding
        out -= 1
    return out


def decimal(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value)}"


@st.composite
def cases(draw, max_statements: int = 6) -> Case:
    """A random network valid at its defaults, with a random set of its parameters to keep symbolic."""
    convention = draw(st.sampled_from(["torch", "keras"]))
    builder = Builder(draw, convention)
    rank = draw(st.sampled_from([0, 1, 2, 2, 2, 3]))
    channels = draw(st.integers(1, 8))
    if rank == 0:
        state = State(draw(st.integers(1, 40)), ())
        input_dims = [builder.value(state.channels, 0.6)]
    else:
        limit = {1: MAX_SIZE, 2: 24, 3: 10}[rank]
        first = draw(st.integers(3, limit))
        square = draw(st.booleans())
        sizes = tuple([first] * rank if square else [first] + [draw(st.integers(3, limit)) for _ in range(rank - 1)])
        state = State(channels, sizes)
        spatial = [builder.value(sizes[0], 0.7)]
        for n in sizes[1:]:  # a square input names its size once and uses it twice, as N, N
            spatial.append(spatial[0] if square and draw(st.booleans()) else builder.value(n, 0.7))
        channel = builder.value(channels, 0.4)
        channels_last = convention == "keras"
        input_dims = spatial + [channel] if channels_last else [channel] + spatial
    layout = ""
    if rank and draw(st.integers(0, 3)) == 0:
        layout = ", layout=channels_last" if convention == "keras" else ", layout=channels_first"
    lines, state = builder.statements(state, draw(st.integers(0, max_statements)))
    last, after = builder.layer(state)  # a labelled last layer, for one `expect` claim on its shape
    claim_layer = builder.label("last")
    lines.append(f"{claim_layer}: {last}")
    state = after
    head = []
    if convention == "keras" or draw(st.booleans()):
        head.append(f"convention {convention}")
    if draw(st.integers(0, 4)) == 0:
        head.append("defaults bias=false")
    parameters = builder.parameters
    text = [f"{p.name} = {p.text}" for p in parameters.values()]
    text += head + builder.blocks + [f"input {', '.join(input_dims)}{layout}"] + lines
    shape = state.shape(channels_last=convention == "keras")
    text.append(f"expect {claim_layer}.shape == ({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})")
    names = list(parameters)
    if names and draw(st.integers(0, 9)) == 0:
        symbolic = ("all",)
    else:
        symbolic = tuple(draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=5))) if names else ()
    declared = symbolic not in ((), ("all",)) and draw(st.integers(0, 3)) == 0
    if declared:
        text.insert(len(parameters), f"symbolic {', '.join(symbolic)}")
    return Case("\n".join(text) + "\n", parameters, symbolic, convention, claim_layer, declared)
