"""Receptive fields, after Araujo et al., "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019), with dilation, extended to transposed convolutions
and upsampling.

Per spatial axis, the field of output position x is the interval [lo(x), hi(x)] of the
input pixels that can reach it, on an input unbounded at both ends (so padding counts, as
in Araujo). A network reports per axis its size, the largest hi(x) - lo(x) + 1 over all
positions; its stride (the jump), the input pixels between adjacent outputs, a fraction
after upsampling; and its padding P, where lo(0) = -P.

An axis is `Linear` while every output position sees the same size, shifted by the jump:
lo(x) = xJ - P. A window of kernel k, stride s, dilation d and left padding p maps
(r, J, P) to (r + d(k - 1)J, sJ, P + pJ); formulas may hold symbols. A transposed
convolution or an upsampling layer reads input positions that depend on x through a
floor, so sizes differ by position, periodically: the axis becomes `Periodic`, a table of
lo and hi over one period, its `Spread` (the taps) made of numbers. Where paths join, the
field is the union of theirs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from sympy import Basic, Integer, Max, Min, Rational, count_ops

# The longest period kept, and the most taps per position over it: each layer after the field became
# periodic costs a step per position and tap (repeated fractional upsampling multiplies the period).
MAX_PERIOD = 1024


@dataclass(frozen=True)
class Window:
    """Output position x reads x·stride - pad_left + t·dilation for t < kernel: the same at every x."""

    kernel: Basic
    stride: Basic
    dilation: Basic
    pad_left: Basic

    def as_spread(self) -> Spread | None:
        """The same taps as a Spread, where they are numbers."""
        values = (self.kernel, self.stride, self.dilation, self.pad_left)
        if not _numbers(*values):
            return None
        k, s, d, p = (int(value) for value in values)
        if k > MAX_PERIOD:
            return None
        return Spread(1, s, (tuple(t * d - p for t in range(k)),))


@dataclass(frozen=True)
class Spread:
    """Output position x = q·period + m reads input positions q·shift + t for t in taps[m].

    A transposed convolution of stride s has period s and shift 1; an upsampling by p/q has period p, shift q.
    An empty taps[m] is a position no input reaches (a transposed convolution whose stride and dilation
    share a factor), which has no field.
    """

    period: int
    shift: int
    taps: tuple[tuple[int, ...], ...]


def _numbers(*values) -> bool:
    return all(isinstance(value, int) or (isinstance(value, Basic) and value.is_Integer) for value in values)


def transposed_spread(kernel, stride, dilation, padding) -> Window | Spread | None:
    """torch.nn.ConvTransposeNd along one axis: output o gets input i through tap t where o = i·s - p + t·d.

    At stride 1 it is a window (the kernel flipped); otherwise the taps must be numbers, or the field is undefined.
    """
    if stride == 1:
        return Window(kernel, 1, dilation, dilation * (kernel - 1) - padding)
    if not _numbers(kernel, stride, dilation, padding):
        return None
    k, s, d, p = (int(value) for value in (kernel, stride, dilation, padding))
    if s > MAX_PERIOD or k > MAX_PERIOD:
        return None
    taps = tuple(tuple((m + p - t * d) // s for t in range(k) if (m + p - t * d) % s == 0) for m in range(s))
    return Spread(s, 1, taps)


def upsample_spread(scale, mode: str) -> Spread | None:
    """Upsampling by a numeric `scale` along one axis, as torch.nn.functional.interpolate computes it.

    nearest: output x copies input floor(x/scale). linear (and bilinear, trilinear): it interpolates between
    floor(c) and floor(c) + 1 for c = (x + 1/2)/scale - 1/2 (align_corners=False), only floor(c) where c is
    whole (the other weight is 0); bicubic: floor(c) - 1 to floor(c) + 2, or floor(c) alone where c is whole.
    """
    if not (isinstance(scale, Basic) and scale.is_Rational and scale > 0):
        return None
    p, q = int(scale.p), int(scale.q)  # x reads around x·q/p; the pattern repeats every p outputs, q inputs
    if p > MAX_PERIOD:
        return None
    taps = []
    for m in range(p):
        if mode == "nearest":
            taps.append((m * q // p,))
            continue
        numerator, denominator = (2 * m + 1) * q - p, 2 * p  # c = numerator / denominator
        below = numerator // denominator
        if numerator % denominator == 0:
            taps.append((below,))
        else:
            reach = (-1, 0, 1, 2) if mode == "bicubic" else (0, 1)
            taps.append(tuple(below + t for t in reach))
    return Spread(p, q, tuple(taps))


@dataclass(frozen=True)
class Linear:
    """Every position's field has size r; position x's starts at xJ - P."""

    size: Basic
    jump: Basic
    padding: Basic

    def bounds(self, x: int):
        start = x * self.jump - self.padding
        return start, start + self.size - 1

    def through(self, window: Window | Spread) -> Linear | Periodic | None:
        if isinstance(window, Window):
            w, jump = window, self.jump
            return Linear(
                self.size + w.dilation * (w.kernel - 1) * jump, jump * w.stride, self.padding + w.pad_left * jump
            )
        periodic = self.as_periodic()
        return periodic.through(window) if periodic is not None else None

    def as_periodic(self) -> Periodic | None:
        if not (isinstance(self.jump, Basic) and self.jump.is_Rational):
            return None  # a symbolic jump: the positions a floor picks are not known
        return Periodic(self.jump, (-self.padding,), (self.size - 1 - self.padding,))

    def formulas(self) -> tuple[Basic, ...]:
        return self.size, self.jump, self.padding


@dataclass(frozen=True)
class Periodic:
    """Position x = qL + m sees lo[m] + qLJ to hi[m] + qLJ, L = len(lo); None where it sees nothing."""

    jump: Rational
    lo: tuple[Basic | None, ...]
    hi: tuple[Basic | None, ...]

    @property
    def period(self) -> int:
        return len(self.lo)

    def bounds(self, x: int):
        cycles, m = divmod(x, self.period)
        if self.lo[m] is None:
            return None
        shift = cycles * self.period * self.jump
        return self.lo[m] + shift, self.hi[m] + shift

    @cached_property
    def size(self) -> Basic:
        return Max(*(hi - lo + 1 for lo, hi in zip(self.lo, self.hi) if lo is not None), Integer(0))

    @property
    def padding(self) -> Basic | None:
        return -self.lo[0] if self.lo[0] is not None else None

    def through(self, window: Window | Spread) -> Linear | Periodic | None:
        spread = window.as_spread() if isinstance(window, Window) else window
        if spread is None:
            return None
        # The output repeats once the positions it reads have moved by a whole period of this one.
        repeats = self.period // math.gcd(self.period, spread.shift)
        period = spread.period * repeats
        if period > MAX_PERIOD or period * max(map(len, spread.taps)) > MAX_PERIOD * 64:
            return None
        spans = []
        for x in range(period):
            cycles, m = divmod(x, spread.period)
            spans.append([self.bounds(cycles * spread.shift + t) for t in spread.taps[m]])
        return _hulls(self.jump * spread.shift / spread.period, spans)

    def simplest(self) -> Linear | Periodic | None:
        """The shortest period that repeats the table; Linear where that is 1."""
        for period in range(1, self.period + 1):
            if self.period % period or not (period * self.jump).is_Integer:
                continue
            if all(self.bounds(x + period) == _shifted(self.bounds(x), period * self.jump) for x in range(self.period)):
                break
        if period > 1 or self.lo[0] is None:  # (a period of 1 with nothing seen: no position sees any input)
            return Periodic(self.jump, self.lo[:period], self.hi[:period])
        return Linear(self.hi[0] - self.lo[0] + 1, self.jump, -self.lo[0])

    def formulas(self) -> tuple[Basic, ...]:
        return (self.jump,) + tuple(bound for bound in self.lo + self.hi if bound is not None)


def _shifted(span, by):
    return None if span is None else (span[0] + by, span[1] + by)


def _union(axes: tuple[Linear | Periodic, ...]) -> Linear | Periodic | None:
    """One axis of the union of the paths' fields; undefined where the paths' jumps differ
    (their fields drift apart without bound on an unbounded input)."""
    first = axes[0]
    if any(axis.jump != first.jump for axis in axes):
        return None
    if all(isinstance(axis, Linear) for axis in axes):
        paddings = [axis.padding for axis in axes]
        if all(padding == paddings[0] for padding in paddings):
            return Linear(Max(*(axis.size for axis in axes)), first.jump, paddings[0])
        # Misaligned paths (a crop on one): from the leftmost start to the rightmost end.
        padding = Max(*paddings)
        return Linear(Max(*(axis.size - axis.padding for axis in axes)) + padding, first.jump, padding)
    tables = [axis.as_periodic() if isinstance(axis, Linear) else axis for axis in axes]
    if any(table is None for table in tables):
        return None
    period = math.lcm(*(table.period for table in tables))
    if period > MAX_PERIOD:
        return None
    return _hulls(first.jump, [[table.bounds(x) for table in tables] for x in range(period)])


def _hulls(jump, spans_per_position) -> Linear | Periodic:
    """The field whose position x sees from the first to the last of the spans listed for it (None: nothing)."""
    lo, hi = [], []
    for spans in spans_per_position:
        seen = [span for span in spans if span is not None]
        lo.append(Min(*(span[0] for span in seen)) if seen else None)
        hi.append(Max(*(span[1] for span in seen)) if seen else None)
    return Periodic(jump, tuple(lo), tuple(hi)).simplest()


@dataclass(frozen=True)
class Receptive:
    """The receptive field of a layer's output: one Linear or Periodic per spatial axis."""

    axes: tuple[Linear | Periodic, ...]

    @classmethod
    def of_input(cls, rank: int) -> Receptive:
        return cls((Linear(Integer(1), Integer(1), Integer(0)),) * rank)

    @property
    def size(self) -> tuple[Basic, ...]:
        """Per axis, the most input pixels (from first to last) that one output position can see."""
        return tuple(axis.size for axis in self.axes)

    @property
    def stride(self) -> tuple[Basic, ...]:
        """Per axis, the jump: input pixels between adjacent output positions (a fraction after upsampling)."""
        return tuple(axis.jump for axis in self.axes)

    @property
    def padding(self) -> tuple[Basic | None, ...]:
        """Per axis, P where output position 0 sees from input pixel -P (None if it sees no input)."""
        return tuple(axis.padding for axis in self.axes)

    def bounds(self, position: tuple[int, ...]):
        """Per axis, the first and last input pixel that output `position` can see, or None for none."""
        return tuple(axis.bounds(x) for axis, x in zip(self.axes, position))

    def formulas(self) -> tuple[Basic, ...]:
        return tuple(formula for axis in self.axes for formula in axis.formulas())

    def through(self, windows: tuple[Window | Spread | None, ...]) -> Receptive | None:
        axes = []
        for axis, window in zip(self.axes, windows):
            axis = axis.through(window) if window is not None else None
            if axis is None:
                return None
            axes.append(axis)
        return Receptive(tuple(axes))

    @staticmethod
    def widest(fields: list[Receptive | None]) -> Receptive | None:
        """The field where paths join: the union of theirs."""
        if any(f is None for f in fields):
            return None
        if len(fields) == 1:
            return fields[0]
        axes = tuple(_union(per_path) for per_path in zip(*(f.axes for f in fields)))
        return None if any(axis is None for axis in axes) else Receptive(axes)


class FieldNode:
    """The receptive field after one layer: its inputs' fields through the layer's windows.

    `windows` is a tuple of Window or Spread per axis (an entry None where it is undefined),
    () for a layer that keeps the field, or None where every output sees the whole input or
    the field is no longer tracked (after a dense layer over flattened features).
    """

    def __init__(self, parents: tuple[FieldNode, ...], windows=(), rank: int = 0, limit: int | None = None):
        self.parents = parents
        self.windows = windows
        self.rank = rank
        # Formulas past the network's formula limit are not built: in a deep symbolic network they
        # grow with depth, and everything after them would too.
        self.limit = limit if limit is not None else parents[0].limit
        self._value: Receptive | None = None
        self._done = False

    @property
    def value(self) -> Receptive | None:
        # Iterative, not recursive: a chain is as long as the network is deep. Depth-first in
        # post-order, each node expanded once however many paths reach it (in DenseNet, millions),
        # so the first query is linear in the number of nodes.
        order, expanded, pending = [], set(), [(self, False)]
        while pending:
            node, parents_done = pending.pop()
            if parents_done:
                order.append(node)
            elif not node._done and id(node) not in expanded:
                expanded.add(id(node))
                pending.append((node, True))
                pending.extend((parent, False) for parent in node.parents)
        for node in order:
            node._value = node._compute()
            node._done = True
        return self._value

    def _compute(self) -> Receptive | None:
        if not self.parents:
            return Receptive.of_input(self.rank) if self.rank else None
        fields = [parent._value for parent in self.parents]
        if any(field is TOO_LONG for field in fields):
            return TOO_LONG
        field = Receptive.widest(fields)
        if field is None or self.windows is None:
            return None
        if self.windows:
            field = field.through(self.windows)
            if field is None:
                return None
        longest = max((count_ops(formula) for formula in field.formulas()), default=0)
        return TOO_LONG if longest > self.limit else field


# A field whose formulas are longer than the formula limit: shown as such, never built further.
TOO_LONG = Receptive(())
