"""Program -> Network: one pass over the statements, linear in depth.

Every computed quantity that is not already a number or a symbol gets a fresh
symbol (H_3 = floor((H_2 - 3)/2) + 1), so each layer's formulas stay small;
totals are built once with Add(*terms). Closed forms in the inputs are on
demand (symcnn.closedform). Blocks and repeats are expanded as they are met;
residual and concat paths start from the same input and must agree where
they join.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping

from sympy import Add, Basic, Eq, Ge, Mod, Or, Symbol

from . import program as p
from .closedform import DEFAULT_FORMULA_LIMIT, ClosedForms, decide_equal
from .errors import LayerArgumentError, NameLookupError, NeedsValueError, ShapeError, Span, SymcnnError, unknown
from .layers import FACTOR_ORDER, REGISTRY
from .layers.base import (
    AXIS_NAMES,
    WORD_FALSE,
    WORD_TRUE,
    Cost,
    LayerContext,
    Requirements,
    Shape,
    Step,
    Word,
    as_tuple,
    bind_arguments,
    spatial_layout,
)
from .network import Binding, Container, LayerRow, Network, Parameter
from .notation import Placeholder, textbook
from .parser import without_cycle_collection
from .receptive import FieldNode
from .values import MAGNITUDE_HINT, evaluate, out_of_range, truth

CONVENTIONS = ("torch", "keras")
CONVENTION_ALIASES = {"pytorch": "torch", "tf": "keras", "tensorflow": "keras"}
LAYOUT_WORDS = {"channels_last": True, "hwc": True, "nhwc": True, "channels_first": False, "chw": False, "nchw": False}
# Computed dims are named like H_3; user parameters may not take such names.
_RESERVED_NAME = re.compile(r"^[A-Z]_\d+$")
_RESERVED_WORDS = {"total", "true", "false"}
# What every command (summary in every format, explain, latex, what-if) derives and shows within
# 30 s on a 2-core machine, with a margin of three: benchmarks/bench_limits.py measures it (8 s CPU at 20,000).
MAX_LAYERS = 20_000
# Statements executed and repeat rounds: bounds the time of networks with few layers but much expansion.
MAX_WORK = 10 * MAX_LAYERS
# Bodies inside bodies (braces, block calls): derivation recurses once per level.
MAX_NESTING_DEPTH = 50
NO_COST = Cost()  # joins (add, concat) have no parameters and no MACs
_TOP_LEVEL_ONLY = (p.InputStatement, p.Convention, p.Symbolic, p.Defaults, p.Expect, p.Block)


def derive(
    program: p.Program,
    overrides: Mapping[str, p.Expr] | None = None,
    symbolic: Iterable[str] | str | None = None,
    formula_limit: int = DEFAULT_FORMULA_LIMIT,
    until: str | None = None,
) -> Network:
    """Derive every layer's shapes, parameters and MACs.

    `overrides` replace parameters' values (`--set`); `symbolic` names the
    parameters kept as symbols, or "all"; None takes the file's `symbolic`
    statements, less the parameters `overrides` give values. `until` names a layer to stop after:
    the network up to it, which `explain --layer` shows when a later layer is invalid.
    """
    with without_cycle_collection():
        return _Deriver(program, dict(overrides or {}), symbolic, formula_limit, until).run()


class _Reached(Exception):
    """The `until` layer is derived: the rest of the program is not."""


class _Scope:
    """Where names are made and looked up: the top level, a block instance, a branch."""

    def __init__(self, path: tuple[str, ...], env: dict[str, Basic], active_blocks: tuple[str, ...] = ()):
        self.path = path
        self.env = env
        self.active_blocks = active_blocks
        self.names: set[str] = set()
        self.counters: dict[str, int] = {}
        self.braced = False

    @property
    def top_level(self) -> bool:
        """Outside every block and brace: where parameters and settings belong."""
        return not self.path and not self.braced

    def in_braces(self) -> _Scope:
        """The same scope (names, counters, values) inside a repeat or a residual's main path."""
        inner = copy.copy(self)
        inner.braced = True
        return inner

    def qualified(self, name: str) -> str:
        return ".".join(self.path + (name,))

    def claim(self, label: str | None, prefix: str, span: Span) -> str:
        """A unique local name: the label, or prefix1, prefix2, ..."""
        if label is not None:
            if label in self.names or label in _RESERVED_WORDS:
                raise NameLookupError(f"name '{label}' is already used", span)
            name = label
        else:
            while True:
                self.counters[prefix] = self.counters.get(prefix, 0) + 1
                name = f"{prefix}{self.counters[prefix]}"
                if name not in self.names:
                    break
        self.names.add(name)
        return name

    def child(self, name: str, env: dict[str, Basic] | None = None, block: str | None = None) -> _Scope:
        blocks = self.active_blocks + ((block,) if block else ())
        return _Scope(self.path + (name,), dict(self.env if env is None else env), blocks)


class _Deriver:
    def __init__(self, program: p.Program, overrides, symbolic, formula_limit: int, until: str | None = None):
        self.program = program
        self.until = until
        self.overrides = overrides
        self.given_symbolic = () if symbolic is None or symbolic == "all" else symbolic  # --symbolic's names
        if symbolic is None:  # the file's own choice, where --set does not give a value instead
            symbolic = program.declared_symbolic(overrides)
        self.symbolic = symbolic
        self.formula_limit = formula_limit
        self.parameters: dict[str, Parameter] = {}
        self.symbol_values: dict[Symbol, Basic] = {}  # each symbolic parameter's value
        self.convention = "torch"
        self.defaults: dict[str, p.KeywordArgument] = {}
        self.blocks: dict[str, p.Block] = {}
        self.shape: Shape | None = None
        self.input: Shape | None = None
        self.field: FieldNode | None = None
        self.rows: list[LayerRow] = []
        self.containers: list[Container | None] = []
        self.bindings: list[Binding] = []
        self.requirements = Requirements()
        self.closed_forms = ClosedForms(self.bindings, formula_limit)
        self.claims: list[p.Expect] = []
        self.work = 0
        self.nesting = 0
        self.handlers: dict[type, Callable] = {
            p.Assignment: self.assignment,
            p.Convention: self.convention_statement,
            p.Symbolic: lambda statement, scope: None,  # read before the parameters are (__init__)
            p.Defaults: self.defaults_statement,
            p.InputStatement: self.input_statement,
            p.LayerStatement: self.layer,
            p.Expect: lambda statement, scope: self.claims.append(statement),
            p.Block: self.block_definition,
            p.Repeat: self.repeat,
            p.Residual: self.residual,
            p.Concat: self.concat,
            p.Scale: self.scale,
            p.Group: self.group,
            p.If: self.if_statement,
            p.From: self.from_statement,
            p.Skip: self.skip,
        }
        # Every layer's and container's output by qualified name, for `from`, `add NAME`, `crop like=NAME`.
        self.tensors: dict[str, tuple[Shape, FieldNode]] = {}
        # (the output a `from` named, the scope it is in): for the next row or container made in that scope
        self.source: tuple[str, tuple[str, ...]] | None = None

    def run(self) -> Network:
        try:
            self.body(self.program.statements, _Scope((), {}))
        except _Reached:
            return self._network(stopped=True)
        self._check_names_used()
        if self.input is None:
            raise SymcnnError(
                "the file has no 'input' line",
                Span(self.program.file, 1, 1),
                "start the network with e.g. 'input 39, 31, 1'",
            )
        return self._network()

    def _network(self, stopped: bool = False) -> Network:
        claims = self.claims
        if stopped:  # only those about layers derived: the totals are not the network's yet
            derived = {row.name for row in self.rows} | {container.name for container in self.containers}
            claims = [claim for claim in claims if claim.subject in derived]
        network = Network(
            self.program.file,
            self.program.lines,
            self.convention,
            self.input,
            self.parameters,
            self.bindings,
            self.rows,
            self.requirements.conditions,
            claims,
            self.shape,  # the current tensor: the last layer's output, or the one a trailing `from` names
            self.containers,
            self.formula_limit,
        )
        for claim in network.claims:  # a claim about an unknown layer or quantity is an input error now
            network.quantity(claim.subject, claim.quantity, claim.span)
        return network

    def body(self, statements: Iterable[p.Statement], scope: _Scope) -> None:
        self.nesting += 1
        for statement in statements:
            if self.nesting > MAX_NESTING_DEPTH:
                raise SymcnnError(
                    f"blocks, repeats and branches nested more than {MAX_NESTING_DEPTH} levels deep",
                    statement.span,
                    "nest less: real networks need a few levels; is a block calling a chain of others?",
                )
            if not scope.top_level and isinstance(statement, _TOP_LEVEL_ONLY):
                raise SymcnnError(f"'{_statement_word(statement)}' is only allowed at the top level", statement.span)
            self._spend(statement.span)
            self.handlers[type(statement)](statement, scope)
        self.nesting -= 1

    def _spend(self, span: Span, units: int = 1) -> None:
        """Count work, so that expansion stays bounded in time even where it makes no layers."""
        self.work += units
        if self.work > MAX_WORK:
            raise SymcnnError(
                f"the network takes more than {MAX_WORK:,} steps to expand",
                span,
                "is a repeat count too large, or are repeats nested too deeply?",
            )

    # settings and parameters ------------------------------------------------

    def assignment(self, statement: p.Assignment, scope: _Scope) -> None:
        name = statement.name
        if _RESERVED_NAME.match(name) or name in _RESERVED_WORDS:
            raise NameLookupError(
                f"'{name}' is a reserved name", statement.span, "names like H_3 name layer outputs; pick another"
            )
        if not scope.top_level:  # a local value inside a block
            scope.env[name] = evaluate(statement.expr, scope.env)
            return
        if name in self.parameters:
            raise NameLookupError(
                f"parameter '{name}' is already defined on line {self.parameters[name].span.line}", statement.span
            )
        expr = self.overrides.get(name, statement.expr)
        default = evaluate(expr, scope.env)
        value = default
        if self._is_symbolic(name):
            # Assumptions follow the value, also for a default in earlier symbols (W = H - 8).
            concrete = default.xreplace(self.symbol_values)
            value = _symbol_for(name, concrete, _written_as_fraction(statement.expr))
            self.symbol_values[value] = concrete
        self.parameters[name] = Parameter(name, default, value, statement.span)
        scope.env[name] = value

    def _is_symbolic(self, name: str) -> bool:
        return self.symbolic == "all" or name in self.symbolic

    def _check_names_used(self) -> None:
        for statement in (s for s in self.program.statements if isinstance(s, p.Symbolic)):
            for name, span in zip(statement.names, statement.name_spans):
                if name not in self.parameters:
                    raise unknown("parameter", name, self.parameters, span)
        for what, names in (("--set", self.overrides), ("--symbolic", self.given_symbolic)):
            for name in names:
                if name not in self.parameters:
                    raise unknown(f"{what} parameter", name, self.parameters, Span(what, 1, 1))

    def convention_statement(self, statement: p.Convention, scope: _Scope) -> None:
        name = CONVENTION_ALIASES.get(statement.name, statement.name)
        if name not in CONVENTIONS:
            raise unknown("convention", statement.name, CONVENTIONS, statement.span)
        if self.input is not None:
            raise SymcnnError("'convention' must come before 'input'", statement.span)
        self.convention = name

    def defaults_statement(self, statement: p.Defaults, scope: _Scope) -> None:
        known = {option.name for layer in REGISTRY.values() for option in layer.options}
        for argument in statement.keyword:
            if argument.name not in known:
                raise unknown("option", argument.name, known, argument.span, LayerArgumentError)
            self.defaults[argument.name] = argument

    def block_definition(self, statement: p.Block, scope: _Scope) -> None:
        if statement.name in REGISTRY or statement.name in self.blocks:
            raise NameLookupError(f"'{statement.name}' is already a layer type or block", statement.span)
        self.blocks[statement.name] = statement

    # input and layers ---------------------------------------------------------

    def input_statement(self, statement: p.InputStatement, scope: _Scope) -> None:
        if self.input is not None:
            raise SymcnnError("a network has one 'input' line", statement.span)
        dims = []
        for value in statement.arguments.positional:
            dim = evaluate(value, scope.env)
            if dim.is_Number and not (dim.is_Integer and dim >= 1):
                raise ShapeError(f"input dims must be positive integers, got {dim}", value.span)
            dims.append(dim)
        channels_last = self.convention == "keras"
        for argument in statement.arguments.keyword:
            if argument.name != "layout":
                raise unknown("input option", argument.name, ["layout"], argument.span, LayerArgumentError)
            word = argument.value.id if isinstance(argument.value, p.Name) else ""
            if word not in LAYOUT_WORDS:
                raise unknown("layout", word or "?", LAYOUT_WORDS, argument.span, LayerArgumentError)
            channels_last = LAYOUT_WORDS[word]
        if not 1 <= len(dims) <= 4:
            raise ShapeError(
                f"input takes 1 to 4 dims (features, or 1-3 spatial dims plus channels), got {len(dims)}",
                statement.span,
                "e.g. 'input 39, 31, 1' for height, width, channels",
            )
        axes = "F" if len(dims) == 1 else spatial_layout(len(dims) - 1, channels_last)
        self.shape = self.input = Shape(axes, tuple(dims))
        self.field = FieldNode((), rank=self.shape.rank, limit=self.formula_limit)

    def _require_input(self, span: Span) -> None:
        if self.shape is None:
            raise SymcnnError("layers must come after the 'input' line", span, "add e.g. 'input 39, 31, 1' first")

    def layer(self, statement: p.LayerStatement, scope: _Scope) -> None:
        self._require_input(statement.span)
        if isinstance(scope.env.get(statement.keyword), Word):  # a block parameter naming a layer type: act
            statement = dataclasses.replace(statement, keyword=scope.env[statement.keyword].text)
        if statement.keyword in self.blocks:
            return self.block_call(self.blocks[statement.keyword], statement, scope)
        layer = REGISTRY.get(statement.keyword)
        if layer is None:
            raise unknown(
                "layer type",
                statement.keyword,
                set(REGISTRY) | set(self.blocks),
                statement.keyword_span,
                LayerArgumentError,
            )
        name = scope.qualified(scope.claim(statement.label, layer.prefix, statement.span))
        args = bind_arguments(layer, statement, self.defaults, scope.env)
        ctx = LayerContext(
            name, statement, args, self.convention, self.requirements, lambda t, span: self._tensor(t, span, scope)[0]
        )
        self._require_option_bounds(ctx, layer)
        inp = self.shape
        try:
            produced = layer.output(ctx, inp)
            for step in produced.steps:
                size = step.result
                at_least_one = size >= 1 if size.is_Number else Ge(size, 1, evaluate=False)
                ctx.require(
                    at_least_one,
                    f"output {step.quantity} must be at least 1",
                    lambda step=step: _step_numbers(step, self.parameters),
                )
        except ShapeError as error:
            error.hint = error.hint or self._layout_hint()
            raise
        out = self._bind(name, produced.shape, statement.span)
        if produced.windows != ():
            self.field = FieldNode((self.field,), produced.windows)
        self._add_row(
            name,
            statement.keyword,
            layer.title(inp, self.convention == "torch"),
            statement.span,
            scope,
            inp,
            out,
            produced.steps,
            layer.cost(ctx, inp, out),
            str(args.get("activation") or "") or None,
        )

    def _require_option_bounds(self, ctx: LayerContext, layer) -> None:
        """What bind_arguments checks of numbers, kept as conditions for symbolic values:
        counts and sizes are at least their minimum, and whole (32·alpha must come out whole)."""
        for option in layer.options:
            if option.kind not in ("count", "sizes", "padding"):
                continue
            minimum = 0 if option.kind == "padding" else option.minimum
            given = ctx.args.get(option.name)
            for value in as_tuple(given):
                if not isinstance(value, Basic) or value.is_Number:
                    continue
                ctx.require(Ge(value, minimum), f"'{option.name}' must be at least {minimum}", textbook(value))
                if value.is_integer is None:
                    ctx.require(Eq(Mod(value, 1), 0), f"'{option.name}' must be a whole number", textbook(value))

    def _count_row(self, span: Span) -> None:
        """Layers, joins and containers are the rows every view shows: together they are bounded."""
        if len(self.rows) + len(self.containers) >= MAX_LAYERS:
            raise SymcnnError(
                f"more than {MAX_LAYERS:,} layers, blocks and branches", span, "is a repeat count too large?"
            )

    def _add_row(
        self, name, keyword, title, span, scope, inp, out, steps=(), cost=NO_COST, activation=None, joined=None
    ) -> None:
        self._count_row(span)
        self.rows.append(
            LayerRow(
                len(self.rows) + 1,
                name,
                keyword,
                title,
                span,
                inp,
                out,
                steps,
                cost,
                activation,
                scope.path,
                self.field,
                self._claim_source(scope),
                joined,
            )
        )
        self.shape = out
        self.tensors[name] = (out, self.field)
        if name == self.until:
            raise _Reached

    def _layout_hint(self) -> str | None:
        """A likely cause of a shape error: channels-last dims read as channels first."""
        dims = self.input.dims
        if self.input.channels_last or len(dims) < 3 or not (dims[-1].is_Number and dims[-1] <= 4):
            return None
        return f"the input is read as channels first, {self.input.axes} = {tuple(dims)}; for channels last add 'layout=hwc'"

    def _bind(self, layer: str, shape: Shape, span: Span) -> Shape:
        """Name each dim that is not atomic by a fresh symbol bound to its formula."""
        for axis, dim in zip(shape.axes, shape.dims):
            if out_of_range(dim):  # sizes bounded like values: counts stay exact and printable
                raise ShapeError(
                    f"{layer}: the output {AXIS_NAMES[axis]} {textbook(dim)} is too large", span, MAGNITUDE_HINT
                )
        return Shape(
            shape.axes,
            tuple(
                self._symbol(f"{axis}_{len(self.rows) + 1}", dim, layer) for axis, dim in zip(shape.axes, shape.dims)
            ),
        )

    def _symbol(self, name: str, expr: Basic, layer: str) -> Basic:
        if expr.is_Atom:
            return expr
        symbol = Symbol(name, integer=True, positive=True)
        self.bindings.append(Binding(symbol, expr, layer))
        return symbol

    # blocks, repeats and branches ---------------------------------------------

    def block_call(self, block: p.Block, statement: p.LayerStatement, scope: _Scope) -> None:
        if block.name in scope.active_blocks:
            raise SymcnnError(f"block '{block.name}' uses itself", statement.span, "blocks cannot be recursive")
        # Lexical scope: the block sees the file's parameters and its own arguments, never its caller's locals.
        env = self._file_parameters()
        env.update(self._block_arguments(block, statement, scope))
        name = scope.claim(statement.label, block.name, statement.span)
        self._container(
            name, block.name, scope, statement.span, lambda: self.body(block.body, scope.child(name, env, block.name))
        )

    def _file_parameters(self) -> dict[str, Basic]:
        return {name: parameter.value for name, parameter in self.parameters.items()}

    def _block_arguments(self, block: p.Block, statement: p.LayerStatement, scope: _Scope) -> dict[str, Basic]:
        parameters = {parameter.name: parameter for parameter in block.parameters}
        arguments = statement.arguments
        if len(arguments.positional) > len(block.parameters):
            raise LayerArgumentError(
                f"block '{block.name}' takes {len(block.parameters)} argument(s)",
                arguments.positional[len(block.parameters)].span,
            )
        given = {parameter.name: value for parameter, value in zip(block.parameters, arguments.positional)}
        for argument in arguments.keyword:
            if argument.name not in parameters:
                raise unknown(f"{block.name} argument", argument.name, parameters, argument.span, LayerArgumentError)
            if argument.name in given:
                raise LayerArgumentError(f"'{argument.name}' is given twice", argument.span)
            given[argument.name] = argument.value
        values = {}
        for parameter in block.parameters:
            if parameter.name in given:
                values[parameter.name] = _argument(given[parameter.name], scope.env)
            elif parameter.default is not None:
                values[parameter.name] = _argument(parameter.default, {**self._file_parameters(), **values})
            else:
                raise LayerArgumentError(f"block '{block.name}' needs '{parameter.name}'", statement.span)
        return values

    def _container(self, name: str, title: str, scope: _Scope, span: Span, run: Callable[[], None]) -> None:
        """Run `run` and record the rows it adds as one named container (listed before its children)."""
        self._count_row(span)
        slot, start, inp = len(self.containers), len(self.rows), self.shape
        source = self._claim_source(scope)
        self.containers.append(None)
        try:
            run()
        finally:  # also where derivation stops at the `until` layer
            self.containers[slot] = Container(
                scope.qualified(name),
                title,
                scope.path,
                span,
                start,
                len(self.rows),
                inp,
                self.shape,
                self.field,
                source,
            )
            self.tensors[scope.qualified(name)] = (self.shape, self.field)

    def repeat(self, statement: p.Repeat, scope: _Scope) -> None:
        count = evaluate(statement.count, scope.env)
        if not count.is_Integer or count < 0:
            raise (NeedsValueError if count.free_symbols else LayerArgumentError)(
                f"repeat needs a whole number of times, got {textbook(count)}",
                statement.count.span,
                "do not make a repeat count symbolic",
            )
        if count > MAX_WORK:  # refused at once: it could not finish within the work budget
            self._spend(statement.span, int(count))
        for _ in range(int(count)):
            self._spend(statement.span)
            self.body(statement.body, scope.in_braces())

    def residual(self, statement: p.Residual, scope: _Scope) -> None:
        self._require_input(statement.span)
        start_shape, start_field = self.shape, self.field
        self.body(statement.main, scope.in_braces())
        paths = {"main path": (self.shape, self.field), "shortcut": (start_shape, start_field)}
        if statement.shortcut is not None:
            self.shape, self.field = start_shape, start_field
            name = scope.claim(None, "shortcut", statement.span)
            self._container(
                name, "Shortcut", scope, statement.span, lambda: self.body(statement.shortcut, scope.child(name))
            )
            paths["shortcut"] = (self.shape, self.field)
        name = scope.qualified(scope.claim(statement.label, "add", statement.span))
        self._agree(name, statement.span, {label: shape for label, (shape, _) in paths.items()}, same_channels=True)
        main_shape = paths["main path"][0]
        self.field = FieldNode(tuple(field for _, field in paths.values()))
        self._add_row(name, "add", "Add", statement.span, scope, main_shape, main_shape)

    def concat(self, statement: p.Concat, scope: _Scope) -> None:
        self._require_input(statement.span)
        start_shape, start_field = self.shape, self.field
        if "C" not in start_shape.axes:
            raise ShapeError("concat needs an input with channels", statement.span)
        ends = {}
        for branch, bounds in zip(statement.branches, statement.slices or (None,) * len(statement.branches)):
            self.shape, self.field = start_shape, start_field
            if bounds is not None:
                self.shape = self._slice(start_shape, bounds, scope, statement.span)
            name = scope.claim(None, "branch", statement.span)
            self._container(name, "Branch", scope, statement.span, lambda: self.body(branch, scope.child(name)))
            ends[name] = (self.shape, self.field)
        name = scope.qualified(scope.claim(statement.label, "concat", statement.span))
        shapes = {label: shape for label, (shape, _) in ends.items()}
        self._agree(name, statement.span, shapes, same_channels=False)
        first = next(iter(shapes.values()))
        if "C" not in first.axes:
            raise ShapeError(f"{name}: the branches end without a channel axis ({first.axes})", statement.span)
        joined = first.with_spatial(first.spatial, Add(*(shape.channels for shape in shapes.values())))
        self.field = FieldNode(tuple(field for _, field in ends.values()))
        self._add_row(
            name, "concat", "Concatenate", statement.span, scope, first, self._bind(name, joined, statement.span)
        )

    def _slice(self, shape: Shape, bounds: tuple[p.Value, p.Value], scope: _Scope, span: Span) -> Shape:
        """The channels start..stop of `shape`, as torch's x[:, start:stop] (a ShuffleNet v2 split)."""
        start, stop = (evaluate(bound, scope.env) for bound in bounds)
        numbers = lambda: f"slice ({textbook(start)}, {textbook(stop)}) of {textbook(shape.channels)} channels"
        for value, bound in zip((start, stop), bounds):
            if value.is_Number and not value.is_Integer:
                raise ShapeError(f"a slice bound must be whole, got {value}", bound.span, "use // to round down")
        self.requirements.require("slice", span, _at_least(start, 0), "a slice starts at 0 or later", numbers)
        self.requirements.require("slice", span, _at_least(stop - start, 1), "a slice takes a channel or more", numbers)
        self.requirements.require(
            "slice", span, _at_least(shape.channels - stop, 0), "a slice ends within the channels", numbers
        )
        return shape.with_spatial(shape.spatial, stop - start)

    def scale(self, statement: p.Scale, scope: _Scope) -> None:
        """input × gate(input), the gate broadcast over the input: torch's `x * gate`, keras.layers.Multiply."""
        self._require_input(statement.span)
        start_shape, start_field = self.shape, self.field
        name = scope.claim(None, "gate", statement.span)
        self._container(name, "Gate", scope, statement.span, lambda: self.body(statement.gate, scope.child(name)))
        gate_shape, gate_field = self.shape, self.field
        join = scope.qualified(scope.claim(statement.label, "scale", statement.span))
        self._broadcasts(join, statement.span, start_shape, gate_shape)
        # A gate broadcast over a spatial dim (squeeze-and-excitation's 1 x 1) makes every output see everything the
        # gate saw, wherever the output is: no window sliding with it describes that, so there is no field.
        spread = any(g == 1 and m != 1 for m, g in zip(start_shape.spatial, gate_shape.spatial))
        self.field = FieldNode((start_field, gate_field), None if spread else ())
        self._add_row(join, "scale", "Mul", statement.span, scope, start_shape, start_shape)

    def _broadcasts(self, name: str, span: Span, main: Shape, gate: Shape) -> None:
        """Each gate dim is 1 or the main path's, in the same layout: the product keeps the main path's shape."""

        def described() -> str:
            return f"main path {textbook(tuple(main.dims))}, gate {textbook(tuple(gate.dims))}"

        hint = "end the gate in size 1 where it broadcasts, e.g. 'globalavgpool keepdims=true' before its convs"
        if main.axes != gate.axes:
            raise ShapeError(f"{name}: the gate does not broadcast over the main path: {described()}", span, hint)
        for axis, m, g in zip(main.axes, main.dims, gate.dims):
            if g != 1:
                same = self._equal(m, g)
                self.requirements.require(
                    name,
                    span,
                    same if g.is_Number or same is True else Or(Eq(g, 1), same),  # a symbolic gate size may be 1
                    f"the gate's {AXIS_NAMES[axis]} must be 1 or the main path's",
                    described,
                    hint,
                )

    def group(self, statement: p.Group, scope: _Scope) -> None:
        self._require_input(statement.span)
        name = scope.claim(statement.label, statement.label, statement.span)
        self._container(name, "Group", scope, statement.span, lambda: self.body(statement.body, scope.child(name)))

    def if_statement(self, statement: p.If, scope: _Scope) -> None:
        chosen = statement.then if truth(statement.condition, scope.env) else statement.otherwise
        self.body(chosen, scope.in_braces())

    def _tensor(self, name: str, span: Span, scope: _Scope) -> tuple[Shape, FieldNode]:
        """A named earlier output, looked up from the innermost enclosing block or group outwards."""
        return self.tensors[self._qualified_tensor(name, span, scope)]

    def _qualified_tensor(self, name: str, span: Span, scope: _Scope) -> str:
        for depth in range(len(scope.path), -1, -1):
            qualified = ".".join(scope.path[:depth] + (name,))
            if qualified in self.tensors:
                return qualified
        known = {key.removeprefix(".".join(scope.path) + ".") for key in self.tensors}
        raise unknown("earlier layer", name, known, span)

    def from_statement(self, statement: p.From, scope: _Scope) -> None:
        self._require_input(statement.span)
        qualified = self._qualified_tensor(statement.name, statement.name_span, scope)
        self.source = (qualified, scope.path)
        self.shape, self.field = self.tensors[qualified]

    def _claim_source(self, scope: _Scope) -> str | None:
        """The output a `from` in this scope named, for the first row or container made after it in the scope."""
        pending, self.source = self.source, None
        return pending[0] if pending is not None and pending[1] == scope.path else None

    def skip(self, statement: p.Skip, scope: _Scope) -> None:
        """The current tensor added to, or concatenated with, a named earlier one (U-Net, FPN, DenseNet)."""
        self._require_input(statement.span)
        joined = self._qualified_tensor(statement.name, statement.name_span, scope)
        other, other_field = self.tensors[joined]
        here = self.shape
        name = scope.qualified(scope.claim(statement.label, statement.join, statement.span))
        shapes = {"this path": here, statement.name: other}
        if statement.join == "concat" and "C" not in here.axes:
            raise ShapeError(f"{name}: concat needs an input with channels", statement.span)
        self._agree(name, statement.span, shapes, same_channels=statement.join == "add")
        out = here
        if statement.join == "concat":  # torch.cat((x, NAME), dim=1): this path's channels first
            out = self._bind(name, here.with_spatial(here.spatial, here.channels + other.channels), statement.span)
        self.field = FieldNode((self.field, other_field))
        title = "Add" if statement.join == "add" else "Concatenate"
        self._add_row(name, statement.join, title, statement.span, scope, here, out, joined=joined)

    def _agree(self, name: str, span: Span, shapes: dict[str, Shape], same_channels: bool) -> None:
        """Paths that join must have the same axes and sizes (channels too, for an add)."""

        def described() -> str:  # printed only for an error: printing every join costs seconds at depth
            return ", ".join(
                f"{label} {textbook(tuple(s.dims)) if len(s.dims) > 1 else f'({textbook(s.dims[0])},)'}"
                for label, s in shapes.items()
            )

        layouts = {shape.axes for shape in shapes.values()}
        if len(layouts) > 1:
            raise ShapeError(f"{name}: the paths have different layouts: {described()}", span)
        for index, axis in enumerate(next(iter(layouts))):
            if axis == "C" and not same_channels:
                continue
            first, *others = [shape.dims[index] for shape in shapes.values()]
            for other in others:
                self.requirements.require(
                    name, span, self._equal(first, other), f"the paths must have the same {AXIS_NAMES[axis]}", described
                )

    def _equal(self, a: Basic, b: Basic):
        """True, False, or Eq(a, b) when the symbols decide it."""
        if a == b:
            return True
        if a.is_Number and b.is_Number:
            return False
        closed_a, closed_b = self.closed_forms.of(a), self.closed_forms.of(b)
        verdict = None if closed_a is None or closed_b is None else decide_equal(closed_a, closed_b)
        return Eq(a, b) if verdict is None else verdict


def _at_least(value: Basic, bound: int):
    return value >= bound if value.is_Number else Ge(value, bound, evaluate=False)


def _argument(value: p.Value, env: Mapping[str, object]):
    """A block argument: a number, a tuple of them, true or false, or a word (same, relu) passed on."""
    match value:
        case p.TupleValue(items=items):
            return tuple(_argument(item, env) for item in items)
        case p.Name(id=name) if name not in env:
            return name == WORD_TRUE if name in (WORD_TRUE, WORD_FALSE) else Word(name)
        case p.Name(id=name) if not isinstance(env[name], Basic):
            return env[name]
    return evaluate(value, env)


def _statement_word(statement: p.Statement) -> str:
    return {
        p.InputStatement: "input",
        p.Convention: "convention",
        p.Symbolic: "symbolic",
        p.Defaults: "defaults",
        p.Expect: "expect",
        p.Block: "block",
    }[type(statement)]


def _step_numbers(step: Step, taken) -> str:
    """The step's formula with its values, each placeholder whose name a parameter has `taken` marked (S′)."""
    step = step.renamed({p: p.marked() for p in step.values if isinstance(p, Placeholder) and p.name in taken})
    values = ", ".join(f"{textbook(symbol)} = {textbook(value)}" for symbol, value in step.values.items())
    return f"{textbook(step.formula, order=FACTOR_ORDER)} = {textbook(step.result)} with {values}"


def _written_as_fraction(expr: p.Expr) -> bool:
    """Whether a value is written as a fraction (alpha = 1.0, or 3/4), even if it is whole."""
    match expr:
        case p.Number(text=text):
            return "." in text
        case p.BinaryOp(op=op, left=left, right=right):
            return op == "/" or _written_as_fraction(left) or _written_as_fraction(right)
        case p.Negate(operand=operand):
            return _written_as_fraction(operand)
    return False


def _symbol_for(name: str, default: Basic, fractional: bool = False) -> Symbol:
    """A symbol whose assumptions follow the parameter's value: sizes are positive integers,
    multipliers written as fractions (alpha = 1.0) positive reals."""
    if default.is_Integer and not fractional:
        if default > 0:
            return Symbol(name, integer=True, positive=True)
        if default == 0:
            return Symbol(name, integer=True, nonnegative=True)
        return Symbol(name, integer=True)
    if default.is_positive:
        return Symbol(name, positive=True)
    return Symbol(name, real=True)
