"""Receptive fields, after Araujo et al., "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019), with dilation.

Per spatial axis, relative to the input: size r, effective stride S and effective
padding P. A window of kernel k, stride s, dilation d and left padding p maps
(r, S, P) to (r + d(k - 1)S, sS, P + pS). Where paths join, the largest field is kept.

Fields are computed only when asked for: derivation records a `FieldNode` per
layer, and its value is worked out on first use. In a deep symbolic network
the formulas grow with depth, and most summaries never show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Integer, Max, count_ops


@dataclass(frozen=True)
class Window:
    kernel: Basic
    stride: Basic
    dilation: Basic
    pad_left: Basic


@dataclass(frozen=True)
class Receptive:
    size: tuple[Basic, ...]
    stride: tuple[Basic, ...]
    padding: tuple[Basic, ...]

    @classmethod
    def of_input(cls, rank: int) -> Receptive:
        one, zero = (Integer(1),) * rank, (Integer(0),) * rank
        return cls(one, one, zero)

    def through(self, windows: tuple[Window, ...]) -> Receptive:
        size, stride, padding = [], [], []
        for r, jump, start, w in zip(self.size, self.stride, self.padding, windows):
            size.append(r + w.dilation * (w.kernel - 1) * jump)
            stride.append(jump * w.stride)
            padding.append(start + w.pad_left * jump)
        return Receptive(tuple(size), tuple(stride), tuple(padding))

    @staticmethod
    def widest(fields: list[Receptive | None]) -> Receptive | None:
        """The field where paths join: the largest size and padding; the first path's stride."""
        if any(f is None for f in fields):
            return None
        first = fields[0]
        if len(fields) == 1:
            return first
        return Receptive(
            tuple(Max(*sizes) for sizes in zip(*(f.size for f in fields))),
            first.stride,
            tuple(Max(*pads) for pads in zip(*(f.padding for f in fields))),
        )


class FieldNode:
    """The receptive field after one layer: its inputs' fields through the layer's windows.

    `windows` is a tuple of Window per axis, () for a layer that keeps the field,
    or None where it is no longer tracked (after a dense layer over flattened features).
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
        longest = max(count_ops(component) for component in field.size + field.stride + field.padding)
        return TOO_LONG if longest > self.limit else field


# A field whose formulas are longer than the formula limit: shown as such, never built further.
TOO_LONG = Receptive((), (), ())
