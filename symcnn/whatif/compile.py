"""A derived network compiled once into straight-line numpy code, then run on whole arrays.

Compiling walks the let-bindings in order, then the validity checks and the
requested quantities, and turns every SymPy node into one numpy operation;
equal subexpressions become one operation. Running evaluates all points of a
chunk at once: there is no SymPy call per point.

Exactness. A value is a fraction num/den of integer arrays with den > 0; in the
usual all-integer network den is the constant 1 and the code is plain integer
arithmetic with floor division. Every operation also carries a bound on |num|
over the whole sweep, derived from the inputs' bounds. Where the bound would
pass int64 the operation runs on Python integers (object arrays) instead, so a
count of any size stays exact and never touches a float.

Validity. A point is checked as the derivation would check it: the network's
conditions (output dims at least 1, channels divisible by groups), and what the
derivation checks only for concrete values, namely that every dim is a positive
integer and nothing is divided by zero. Every check names its layer, and checks
are ranked in layer order, so the smallest failing rank is the first failing layer.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sympy import Add, And, Basic, Ge, Integer, Max, Min, Mod, Mul, Or, Pow, Symbol
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom

from ..intdiv import CeilDiv, FloorDiv
from ..layers.base import AXIS_NAMES

INT64_MAX = 2**63 - 1
TOTAL = "total"  # the owner of checks on totals

_COMPARE = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass(frozen=True)
class Check:
    """One thing a point must satisfy, and the layer that requires it."""

    layer: str
    rule: str


@dataclass(frozen=True)
class Input:
    """An input's values on one chunk: integer numerators over a common positive denominator.

    `bound` is the largest |num| over the whole sweep, not only this chunk, so
    that every chunk chooses the same integer width.
    """

    num: np.ndarray | int
    den: int
    bound: int


class _Value:
    """num/den with bounds on |num| and on den (den >= 1 always)."""

    __slots__ = ("num", "den", "bound", "den_bound")

    def __init__(self, num, den=1, bound=0, den_bound=1):
        self.num, self.den, self.bound, self.den_bound = num, den, bound, den_bound

    @property
    def whole(self) -> bool:
        return isinstance(self.den, int) and self.den == 1


# Integer arithmetic on arrays that stays exact -------------------------------------


def _fit(x, bound: int):
    """`x` in an integer type that holds `bound`: int64 where it fits, Python ints beyond."""
    if isinstance(x, np.generic):  # a numpy scalar would overflow silently where a Python int grows
        return x.item()
    if bound > INT64_MAX and isinstance(x, np.ndarray) and x.dtype != object:
        return x.astype(object)
    return x


def _fold(items, bound: int, combine):
    """Sum or product of arrays of several shapes: same shapes first, then smallest first.

    With one axis per swept parameter, most terms depend on one or two axes;
    combining those first keeps the full-size operations few.
    """
    groups: dict[tuple, object] = {}
    for x in items:
        x = _fit(x, bound)
        shape = np.shape(x)
        groups[shape] = x if shape not in groups else combine(groups[shape], x)
    ordered = sorted(groups.values(), key=np.size)
    result = ordered[0]
    for x in ordered[1:]:
        result = combine(result, x)
    return result


def _sum(items, bound: int):
    return _fold(items, bound, operator.add)


def _product(items, bound: int):
    return _fold(items, bound, operator.mul)


def _times(value: _Value, factor, factor_bound: int):
    """value.num * factor, exactly."""
    bound = value.bound * factor_bound
    if isinstance(factor, int) and factor == 1:
        return value.num, value.bound
    return _product([value.num, factor], max(bound, value.bound, factor_bound)), bound


def _over_common_denominator(values: Sequence[_Value]):
    """The values' numerators over one denominator: ([(num, bound)], den, den_bound)."""
    if all(v.whole for v in values):
        return [(v.num, v.bound) for v in values], 1, 1
    if all(isinstance(v.den, int) for v in values):
        common = math.lcm(*(v.den for v in values))
        return [_times(v, common // v.den, common // v.den) for v in values], common, common
    den_bound = math.prod(v.den_bound for v in values)
    scaled = []
    for i, v in enumerate(values):
        others = [w.den for j, w in enumerate(values) if j != i]
        other_bound = den_bound // v.den_bound
        scaled.append(_times(v, _product(others, other_bound), other_bound))
    return scaled, _product([v.den for v in values], den_bound), den_bound


def _divisor_guard(divisor, fail):
    """`divisor` with zeros replaced by 1; the points where it was zero fail."""
    if isinstance(divisor, int) and divisor != 0:
        return divisor
    zero = np.equal(divisor, 0)
    if np.any(zero):
        fail(zero)
        divisor = np.where(zero, 1, divisor)
    return divisor


# One function per operation kind: (operand values, extra, fail) -> _Value --------------


def _run_const(args, value, fail):
    return value


def _run_add(args, extra, fail):
    nums, den, den_bound = _over_common_denominator(args)
    bound = sum(b for _, b in nums)
    return _Value(_sum([n for n, _ in nums], bound), den, bound, den_bound)


def _run_mul(args, extra, fail):
    bound = math.prod(v.bound for v in args)
    # The width must hold every partial product, whichever order they are formed in (a zero factor bounds only the last).
    num = _product([v.num for v in args], math.prod(max(v.bound, 1) for v in args))
    if all(v.whole for v in args):
        return _Value(num, 1, bound, 1)
    den_bound = math.prod(v.den_bound for v in args)
    return _Value(num, _product([v.den for v in args], den_bound), bound, den_bound)


def _run_pow(args, exponent, fail):
    (base,) = args
    k = abs(exponent)
    num, bound = _fit(base.num, base.bound**k) ** k, base.bound**k
    den, den_bound = _fit(base.den, base.den_bound**k) ** k, base.den_bound**k
    if exponent >= 0:
        return _Value(num, den, bound, den_bound)
    num = _divisor_guard(num, fail)
    sign = np.where(np.less(num, 0), -1, 1) if isinstance(num, np.ndarray) else (-1 if num < 0 else 1)
    return _Value(den * sign, num * sign, den_bound, bound)


def _division_operands(args):
    a, b = args
    x, x_bound = _times(a, b.den, b.den_bound)
    y, y_bound = _times(_Value(b.num, 1, b.bound), a.den, a.den_bound)
    return x, x_bound, y, y_bound


def _run_floordiv(args, extra, fail):
    x, x_bound, y, _ = _division_operands(args)
    return _Value(x // _divisor_guard(y, fail), 1, x_bound)


def _run_ceildiv(args, extra, fail):
    x, x_bound, y, _ = _division_operands(args)
    return _Value(-((-x) // _divisor_guard(y, fail)), 1, x_bound)


def _run_mod(args, extra, fail):
    a, b = args
    x, _, y, y_bound = _division_operands(args)
    den_bound = a.den_bound * b.den_bound
    return _Value(x % _divisor_guard(y, fail), _product([a.den, b.den], den_bound), y_bound, den_bound)


def _run_extreme(args, pick, fail):
    nums, den, den_bound = _over_common_denominator(args)
    result, bound = nums[0]
    for num, num_bound in nums[1:]:
        bound = max(bound, num_bound)
        result = pick(_fit(result, bound), _fit(num, bound))
    return _Value(result, den, bound, den_bound)


def _run_compare(args, op, fail):
    (a, a_bound), (b, b_bound) = _over_common_denominator(args)[0]
    bound = max(a_bound, b_bound)
    return _Value(_COMPARE[op](_fit(a, bound), _fit(b, bound)))


def _run_connective(args, combine, fail):
    """`and` or `or` of truth values: a gate's symbolic size is 1 or the main path's."""
    return _Value(functools.reduce(combine, (value.num for value in args)))


def _run_exact(args, extra, fail):
    """A checkpoint where the value must be an integer: points where it is not fail."""
    (value,) = args
    fail(np.not_equal(value.num % value.den, 0))
    return _Value(value.num // value.den, 1, value.bound)


_RUN = {
    "const": _run_const,
    "add": _run_add,
    "mul": _run_mul,
    "pow": _run_pow,
    "floordiv": _run_floordiv,
    "ceildiv": _run_ceildiv,
    "mod": _run_mod,
    "min": _run_extreme,
    "max": _run_extreme,
    "compare": _run_compare,
    "connective": _run_connective,
    "exact": _run_exact,
}


# Compiling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Op:
    kind: str
    operands: tuple[int, ...]
    extra: object = None
    check: int | None = None  # the check this operation's failures count against


class _Compiler:
    def __init__(self, inputs: Sequence[Symbol], layer_rank: Mapping[str, int]):
        self.ops: list[_Op] = []
        self.integral: list[bool | None] = []  # None: a truth value
        self.memo: dict[Basic, int] = {}
        self.symbols: dict[Symbol, int] = {}
        self.checks: list[tuple[tuple[int, int, int], Check]] = []  # (rank key, check)
        self.predicates: dict[int, list[int]] = {}  # op -> checks that fail where it is false
        self.layer_rank = layer_rank
        self.layer = "input"
        for symbol in inputs:
            self.symbols[symbol] = self._emit(_Op("input", (), symbol), bool(symbol.is_integer))

    def _emit(self, op: _Op, integral: bool | None) -> int:
        self.ops.append(op)
        self.integral.append(integral)
        return len(self.ops) - 1

    def check(self, rule: str, phase: int) -> int:
        """A new check owned by the current layer; `phase` orders checks within a layer."""
        # The totals, and any owner that is not a row, rank after every layer.
        key = (self.layer_rank.get(self.layer, len(self.layer_rank)), phase, len(self.checks))
        self.checks.append((key, Check(self.layer, rule)))
        return len(self.checks) - 1

    def require(self, predicate: Basic, rule: str, phase: int) -> None:
        self.predicates.setdefault(self.expr(predicate), []).append(self.check(rule, phase))

    def exact(self, node: int, rule: str) -> int:
        """`node`, checked to be an integer where that is not known in advance."""
        if self.integral[node]:
            return node
        return self._emit(_Op("exact", (node,), check=self.check(rule, 0)), True)

    def expr(self, e: Basic) -> int:
        if e in self.memo:
            return self.memo[e]
        node = self._build(e)
        self.memo[e] = node
        return node

    def _build(self, e: Basic) -> int:
        if isinstance(e, BooleanAtom):
            return self._emit(_Op("const", (), _Value(bool(e))), None)
        if e.is_Rational:
            p, q = int(e.p), int(e.q)
            return self._emit(_Op("const", (), _Value(p, q, abs(p), q)), q == 1)
        if isinstance(e, Symbol):
            if e not in self.symbols:
                raise ValueError(f"'{e}' has no value: vary it, or give it one")
            return self.symbols[e]
        if isinstance(e, Relational):
            return self._emit(_Op("compare", (self.expr(e.lhs), self.expr(e.rhs)), e.rel_op), None)
        if isinstance(e, (And, Or)):
            combine = np.logical_and if isinstance(e, And) else np.logical_or
            return self._emit(_Op("connective", tuple(self.expr(arg) for arg in e.args), combine), None)
        if isinstance(e, Pow) and e.exp.is_Integer:
            base = self.expr(e.base)
            guard = self.check("division by zero", 0) if e.exp < 0 else None
            return self._emit(_Op("pow", (base,), int(e.exp), guard), self.integral[base] and e.exp >= 0)
        operands = tuple(self.expr(arg) for arg in e.args)
        integral = all(self.integral[i] for i in operands)
        if isinstance(e, Add):
            return self._emit(_Op("add", operands), integral)
        if isinstance(e, Mul):
            return self._emit(_Op("mul", operands), integral)
        if isinstance(e, (Min, Max)):
            return self._emit(
                _Op("min" if isinstance(e, Min) else "max", operands, np.minimum if isinstance(e, Min) else np.maximum),
                integral,
            )
        kinds = {FloorDiv: ("floordiv", True), CeilDiv: ("ceildiv", True), Mod: ("mod", integral)}
        if type(e) in kinds:
            kind, result_integral = kinds[type(e)]
            divisor = e.args[1]
            guard = None if divisor.is_Number and divisor != 0 else self.check("division by zero", 0)
            return self._emit(_Op(kind, operands, check=guard), result_integral)
        raise TypeError(f"cannot compile {type(e).__name__}: {e}")


class Program:
    """Compiled code for a network's validity and some quantities of it."""

    def __init__(self, compiler: _Compiler, outputs: dict[str, int]):
        self.ops = compiler.ops
        self.outputs = outputs
        order = sorted(range(len(compiler.checks)), key=lambda i: compiler.checks[i][0])
        self.checks = tuple(compiler.checks[i][1] for i in order)
        self._rank = {token: rank for rank, token in enumerate(order)}
        self._predicates = compiler.predicates
        # Each intermediate array is dropped after its last use: a full-size sweep keeps few alive.
        last_use = {}
        for index, op in enumerate(self.ops):
            for operand in op.operands:
                last_use[operand] = index
        for node in outputs.values():
            last_use[node] = len(self.ops)
        for index in range(len(self.ops)):
            last_use.setdefault(index, index)  # read only by its checks, right after it is computed
        self._frees: dict[int, list[int]] = {}
        for node, index in last_use.items():
            self._frees.setdefault(index, []).append(node)

    @property
    def valid_rank(self) -> int:
        """The failure rank of a valid point (one past the last check)."""
        return len(self.checks)

    def evaluate(self, inputs: Mapping[Symbol, Input], shape: tuple[int, ...]):
        """(outputs, first failing check rank per point) for one chunk of the given `shape`.

        Outputs are integer arrays (or bool arrays for truth values) broadcastable to `shape`.
        """
        values: list[_Value | None] = [None] * len(self.ops)
        failures: dict[int, object] = {}
        for index, op in enumerate(self.ops):
            if op.kind == "input":
                given = inputs[op.extra]
                values[index] = _Value(given.num, given.den, given.bound, given.den)
            else:
                fail = (
                    (lambda mask, check=op.check: failures.__setitem__(check, mask)) if op.check is not None else None
                )
                values[index] = _RUN[op.kind]([values[i] for i in op.operands], op.extra, fail)
            for check in self._predicates.get(index, ()):
                failures[check] = np.logical_not(values[index].num)
            for node in self._frees.get(index, ()):
                values[node] = None
        outputs = {name: values[node].num for name, node in self.outputs.items()}
        return outputs, self._first_failure(failures, shape)

    def _first_failure(self, failures: Mapping[int, object], shape) -> np.ndarray:
        """The smallest failing rank per point; masks of one shape are merged at that shape."""
        none = self.valid_rank
        groups: dict[tuple, np.ndarray] = {}
        for check, mask in sorted(failures.items(), key=lambda item: -self._rank[item[0]]):
            if not np.any(mask):
                continue
            key = np.shape(mask)
            groups[key] = np.where(mask, self._rank[check], groups.get(key, none))
        first = np.full(shape, none, dtype=np.int32)
        for ranks in groups.values():
            np.minimum(first, ranks, out=first)
        return first


def compile_network(network, quantities: Mapping[str, Basic], inputs: Sequence[Symbol]) -> Program:
    """Compile the network's validity checks and `quantities` (name -> expression) once.

    `inputs` are the symbols whose values vary; every other symbol must be a binding.
    """
    c = _Compiler(inputs, {"input": 0, **{row.name: row.index for row in network.rows}})
    varied = set(inputs)
    for dim in network.input.dims:
        if not dim.is_Number and dim not in varied:  # e.g. 'input 3, 224 * rho, ...': checked only when concrete
            _require_positive_integer(c, dim)
    # Dims must be positive integers; the other bindings (receptive fields) are not checked by the derivation either.
    dims = {dim: axis for row in network.rows for axis, dim in zip(row.output.axes, row.output.dims) if dim.is_Symbol}
    covered = {condition.predicate.lhs for condition in network.conditions if _at_least_one(condition.predicate)}
    roots = [*quantities.values(), *(condition.predicate for condition in network.conditions), *dims]
    for binding in network.bindings_for(roots):
        c.layer = binding.layer
        if binding.symbol not in dims:
            c.symbols[binding.symbol] = c.expr(binding.expr)
            continue
        what = f"output {AXIS_NAMES.get(dims[binding.symbol], 'dim')}"
        c.symbols[binding.symbol] = c.exact(c.expr(binding.expr), f"{what} must be an integer")
        if binding.expr not in covered:
            c.require(Ge(binding.symbol, 1), f"{what} must be at least 1", 0)
    # A condition only speaks of dims bound before its layer; its rank, not this order, decides what fails first.
    for condition in network.conditions:
        c.layer = condition.layer
        c.require(condition.predicate, condition.rule, 1)
    c.layer = TOTAL
    outputs = {}
    for name, expr in quantities.items():
        node = c.expr(expr)
        outputs[name] = node if c.integral[node] is None else c.exact(node, f"{name} must be an integer")
    return Program(c, outputs)


def _require_positive_integer(c: _Compiler, expr: Basic) -> None:
    """An input dim given as an expression must come out a positive integer."""
    c.memo[expr] = c.exact(c.expr(expr), f"input dim {expr} must be an integer")
    c.require(Ge(expr, 1), f"input dim {expr} must be at least 1", 0)


def _at_least_one(predicate) -> bool:
    return isinstance(predicate, Ge) and predicate.rhs == Integer(1)
