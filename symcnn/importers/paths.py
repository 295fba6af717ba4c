"""A model's graph as statements in execution order: nested joins where the DSL can nest them, names elsewhere.

The graph has one source; a join's paths start at its immediate dominator
(the last node every path to it passes). A join (an add, a concat, a product
with a gate) is written nested, as `residual`, `concat { }` or `scale`, when
its paths are its own: every node between the dominator and the join is used
there only, no node is on two of its paths, and the paths run one after the
other just before the join, in the order the nested statement lists them (a
residual's two in either order). Anything else is written as the model runs
it, with names: an output a later statement reaches back to is labelled, and
reached by `from NAME`, `add NAME`, `concat NAME`, or, for a layer with a
second input (U-Net's crop to another tensor's size), `like=NAME`. So the
statements list the layers in the model's execution order, and a U-Net's
encoder outputs, used across the decoder, are named skips.
"""

from __future__ import annotations

from collections.abc import Callable

from .writer import Concat, From, Op, Residual, Scale, Skip, common_scopes, label_for, ops_in_order

SHARED = "its output is used by more than one path that the DSL cannot join"


class Paths:
    def __init__(
        self,
        nodes: list,
        source,
        inputs: Callable,
        convert: Callable,
        fail: Callable,
        join_kind: Callable,
        name: Callable,
        stems: set[str] = frozenset(),
        rowless: Callable = lambda node: False,
        in_order: bool = True,
    ):
        """`nodes` in execution order; `inputs(node)` its distinct inputs, the one it continues from first;
        `convert(node)` its statement, a list of them or None (a no-op), calling back `residual`, `concat` and
        `scale` for joins and `reference` for a second input; `fail(node, why)` raises; `join_kind(node)` is
        "add", "concat" or "scale" for a join, None for a layer; `name(node)` the name of the module it is the
        output of, for a label; `stems` the names that automatic names start with (a block's); `rowless(node)`
        whether a node makes no row wherever it is written (a branch's channel slice); `in_order` whether
        `nodes` is the order the model runs them, which the statements then keep (a Keras model's layer list
        is the order its layers were made in)."""
        self.inputs, self.convert, self.fail, self.join_kind, self.name = inputs, convert, fail, join_kind, name
        self.source, self.stems, self.rowless, self.in_order = source, set(stems), rowless, in_order
        self.nodes = nodes
        self.position = {node: index for index, node in enumerate(nodes)}
        self.users: dict = {node: [] for node in nodes}
        self.idom, self.depth = {source: None}, {source: 0}
        self.emitted: set = set()
        self.written: dict = {}  # node -> the statement whose output it is, for a name to reach it by
        self.aliases: dict = {}  # a no-op's node -> the node whose output it passes on
        self.labels: set[str] = set()
        self.current = self.writing = source
        self.level = 0  # how deep the walk is in nested paths
        self._regions: dict = {}
        self._nests: dict = {}
        for node in nodes:
            if node is source:
                continue
            parents = inputs(node)
            if not parents:
                fail(node, "it has no tensor input (a constant or a parameter read directly)")
            for parent in parents:
                self.users.setdefault(parent, []).append(node)
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

    # the walk -------------------------------------------------------------------

    def walk(self, end) -> list:
        """The whole model to its output `end`, in execution order: an output nothing uses is written too (the
        model computes it), and the model's output is reached by name if it is not the last."""
        statements = self.chain(self.source, end, everything=True)
        if self._output(end) is not self.current:
            statements.append(From(self.reference(end)))
        return statements

    def chain(self, start, end, everything: bool = False) -> list:
        """The statements from `start`'s output to `end`'s, in execution order (`everything`: all nodes after start)."""
        region = [n for n in self.nodes if n is not start] if everything else self._between(start, end)
        nested_at = {}  # the first node of a nested join's paths -> the outermost such join
        for node in region:
            if self.nests(node):
                first = self._region(node)[0] if self._region(node) else node
                if first not in nested_at or self.position[node] > self.position[nested_at[first]]:
                    nested_at[first] = node
        saved, self.current = self.current, self._output(start)
        self.level += 1
        statements, written = [], set()
        for node in region:
            if node in written:
                continue
            node = nested_at.get(node, node)
            written |= {node, *(self._region(node) if self.nests(node) else ())}
            statements += self._write(node)
        if not everything:
            self.current = saved
        self.level -= 1
        return statements

    def _write(self, node) -> list:
        """The node's statements, after `from NAME` when it does not continue from the current output."""
        if node in self.emitted:
            self.fail(node, SHARED)
        self.emitted.add(node)
        self.writing, primary = node, self._primary(node)
        made = self.convert(node)
        made = [] if made is None else made if isinstance(made, list) else [made]
        if self.level == 1 and any(_is_slice(statement) for statement in made):  # joins check their own paths
            self.fail(node, "it takes a slice of the channels (x.chunk, x.split) other than as a concat's branch")
        if not made:  # a no-op passes its input on; a `from` is still due if that is not the current output
            self.aliases[node] = self._output(primary)
            return []
        if self._output(primary) is not self.current:
            made.insert(0, From(self.reference(primary), common_scopes(made[0])))
        self.written[node], self.current = made[-1], node
        return made

    def _primary(self, node):
        """The input a node continues from: a nested join's fork, the current output if an add has it, else the first."""
        if self.nests(node):
            return self.idom[node]
        parents = self.inputs(node)
        if self.join_kind(node) == "add" and self.current in map(self._output, parents):
            return next(p for p in parents if self._output(p) is self.current)
        return parents[0]

    def _output(self, node):
        while node in self.aliases:
            node = self.aliases[node]
        return node

    def reference(self, node) -> str:
        """The label of `node`'s output, given to the statement that makes it on first use."""
        target = self._output(node)
        if target is self.source:
            self.fail(self.writing, "it reaches back to the model's input, which the DSL has no name for")
        if target not in self.written:  # inside a nested join: never, as a nested join's paths are its own
            self.fail(self.writing, SHARED)
        statement = self.written[target]
        if statement.label is None:
            statement.label = label_for(self.name(target), self.labels, self.stems)
            self.labels.add(statement.label)
        return statement.label

    # regions ----------------------------------------------------------------------

    def _between(self, start, end) -> list:
        """The nodes on paths from `start` (excluded) to `end` (included), in execution order."""
        if end is start:
            return []
        low, ancestors, stack = self.position[start], {end}, [end]
        while stack:
            for parent in self.inputs(stack.pop()):
                if parent is not start and parent not in ancestors and self.position[parent] > low:
                    ancestors.add(parent)
                    stack.append(parent)
        reached, ordered = {start}, []
        for node in sorted(ancestors, key=self.position.__getitem__):
            if any(parent in reached for parent in self.inputs(node)):
                reached.add(node)
                ordered.append(node)
        return ordered

    def _region(self, join) -> list:
        """The nodes between a join's fork and the join."""
        if join not in self._regions:
            self._regions[join] = self._between(self.idom[join], join)[:-1]
        return self._regions[join]

    def nests(self, node) -> bool:
        """Whether a join's paths are its own and run in the order the nested statement lists them."""
        if node not in self._nests:
            self._nests[node] = self._own_paths(node)
        return self._nests[node]

    def _own_paths(self, join) -> bool:
        kind, parts = self.join_kind(join), self.inputs(join)
        if kind is None or len(parts) < 2:
            return False
        fork, region = self.idom[join], self._region(join)
        inside = set(region)
        end = self.position[join]
        if self.in_order and [self.position[n] for n in region] != list(range(end - len(region), end)):
            return False  # something else runs in between: nesting would move it
        if any(user is not join and user not in inside for node in region for user in self.users[node]):
            return False  # an output between fork and join is also used after the join
        paths = [[] if part is fork else self._between(fork, part) for part in parts]
        if sum(map(len, paths)) != len(region):
            return False  # a node on two paths
        if not self.in_order:
            return True
        orders = [paths, paths[::-1]] if kind == "add" else [paths]
        ran = [n for n in region if not self.rowless(n)]
        return any([n for path in order for n in path if not self.rowless(n)] == ran for order in orders)

    # joins ------------------------------------------------------------------------

    def residual(self, node, summands: list, scopes, shape):
        """An add of two paths from the join's dominator: the longer is the main path, the other the shortcut."""
        if not self.nests(node):
            other = next(s for s in summands if self._output(s) is not self._output(self._primary(node)))
            return Skip("add", self.reference(other), scopes, shape)
        fork = self.idom[node]
        paths = sorted(([] if item is fork else self.chain(fork, item) for item in summands), key=len, reverse=True)
        if not paths[0]:
            self.fail(node, "it adds its input to itself")
        self._refuse_slices(node, paths)
        return Residual(paths[0], paths[1] or None, scopes, shape)

    def concat(self, node, parts: list, scopes, shape):
        """Branches from the join's dominator; a branch that starts with a channel slice takes only those."""
        if len(set(parts)) != len(parts):
            self.fail(node, "it concatenates one tensor twice")
        if not self.nests(node):
            if len(parts) != 2:
                self.fail(node, "it concatenates more than two tensors that the DSL cannot write as branches")
            return Skip("concat", self.reference(parts[1]), scopes, shape)
        fork = self.idom[node]
        branches = [[] if item is fork else self.chain(fork, item) for item in parts]
        slices = [branch.pop(0).positional[0][1] if branch and _is_slice(branch[0]) else None for branch in branches]
        self._refuse_slices(node, branches)
        return Concat(branches, scopes, shape, slices if any(slices) else [])

    def scale(self, node, factors: list, scopes, shape) -> Scale:
        """The dominator times a gate computed from it."""
        fork = self.idom[node]
        gates = [item for item in factors if item is not fork]
        if len(gates) != 1 or not self.nests(node):
            self.fail(node, "it multiplies two tensors, and neither is a gate computed from the other alone")
        gate = self.chain(fork, gates[0])
        self._refuse_slices(node, [gate])
        return Scale(gate, scopes, shape)

    def _refuse_slices(self, node, paths: list[list]) -> None:
        """A channel slice the DSL writes only as a concat branch's start (`branch slice=`)."""
        if any(_is_slice(op) for path in paths for op in ops_in_order(path)):
            self.fail(node, "it joins a slice of the channels (x.chunk, x.split) other than as a concat's branch")


def _is_slice(statement) -> bool:
    return isinstance(statement, Op) and statement.keyword == "slice"
