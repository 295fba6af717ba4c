"""A model's graph as nested paths: chains of layers, forks that rejoin in an add or a concat.

The graph has one source; a join's paths start at its immediate dominator
(the last node every path to it passes). Walking back from the output, a
layer's predecessor is its one input and a join's is its dominator, so each
join's paths are chains again. A product of a tensor with a gate computed
from it is a `scale`. A node that two paths both need makes the graph something
the DSL cannot write: that is reported, never guessed (DenseNet's reuse of every
earlier feature map is rewritten as a chain of concats before it gets here).
"""

from __future__ import annotations

from collections.abc import Callable

from .writer import Concat, Op, Residual, Scale, ops_in_order

SHARED = "its output is used by more than one path that the DSL cannot join"


class Paths:
    def __init__(self, nodes: list, source, inputs: Callable, convert: Callable, fail: Callable):
        """`nodes` in topological order; `inputs(node)` its distinct inputs; `convert(node)` its
        statement (or None for a no-op), calling back `residual` and `concat` for joins; `fail(node, why)` raises."""
        self.inputs, self.convert, self.fail = inputs, convert, fail
        self.idom, self.depth = {source: None}, {source: 0}
        self.emitted: set = set()
        for node in nodes:
            if node is source:
                continue
            parents = inputs(node)
            if not parents:
                fail(node, "it has no tensor input (a constant or a parameter read directly)")
            dominator = parents[0]
            for other in parents[1:]:
                dominator = self._common(dominator, other)
            self.idom[node] = dominator
            self.depth[node] = self.depth[dominator] + 1

    def _common(self, a, b):
        while a is not b:
            if self.depth[a] >= self.depth[b]:
                a = self.idom[a]
            else:
                b = self.idom[b]
        return a

    def chain(self, start, end) -> list:
        """The statements from `start`'s output to `end`'s."""
        nodes, current = [], end
        while current is not start:
            nodes.append(current)
            parents = self.inputs(current)
            current = parents[0] if len(parents) == 1 else self.idom[current]
        statements = []
        for node in reversed(nodes):
            if node in self.emitted:
                self.fail(node, SHARED)
            self.emitted.add(node)
            statement = self.convert(node)
            if statement is not None:
                statements.append(statement)
        return statements

    def residual(self, node, summands: list, scopes, shape) -> Residual:
        """An add of two paths from the join's dominator: the longer is the main path, the other the shortcut."""
        fork = self.idom[node]
        paths = sorted(([] if item is fork else self.chain(fork, item) for item in summands), key=len, reverse=True)
        if not paths[0]:
            self.fail(node, "it adds its input to itself")
        self._refuse_slices(node, paths)
        return Residual(paths[0], paths[1] or None, scopes, shape)

    def concat(self, node, parts: list, scopes, shape) -> Concat:
        """Branches from the join's dominator; a branch that starts with a channel slice takes only those."""
        fork = self.idom[node]
        if len(set(parts)) != len(parts):
            self.fail(node, "it concatenates one tensor twice")
        branches = [[] if item is fork else self.chain(fork, item) for item in parts]
        slices = [branch.pop(0).positional[0][1] if branch and _is_slice(branch[0]) else None for branch in branches]
        self._refuse_slices(node, branches)
        return Concat(branches, scopes, shape, slices if any(slices) else [])

    def scale(self, node, factors: list, scopes, shape) -> Scale:
        """The dominator times a gate computed from it."""
        fork = self.idom[node]
        gates = [item for item in factors if item is not fork]
        if len(gates) != 1:
            self.fail(node, "it multiplies two tensors, and neither is the other's input (a gate)")
        gate = self.chain(fork, gates[0])
        self._refuse_slices(node, [gate])
        return Scale(gate, scopes, shape)

    def _refuse_slices(self, node, paths: list[list]) -> None:
        """A channel slice the DSL writes only as a concat branch's start (`branch slice=`)."""
        if any(_is_slice(op) for path in paths for op in ops_in_order(path)):
            self.fail(node, "it joins a slice of the channels (x.chunk, x.split) other than as a concat's branch")


def _is_slice(statement) -> bool:
    return isinstance(statement, Op) and statement.keyword == "slice"
