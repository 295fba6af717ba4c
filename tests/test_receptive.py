"""Receptive fields are worked out once per node, however many paths reach it.

DenseNet's concats and chained residual blocks reach an early layer by a number
of paths that grows exponentially with depth; the first query of the last
layer's field must still visit each FieldNode exactly once. Counting the
visits, rather than timing them, cannot flake on a loaded machine (one test
times DenseNet-121 too, in CPU time, with a wide margin). The values themselves
are checked against PyTorch in test_receptive_torch.py; here the fields from one
query at the end must equal those built up row by row.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

import symcnn
from symcnn.receptive import FieldNode

ZOO = Path(__file__).resolve().parent.parent / "examples" / "zoo"

RESIDUAL_CHAIN = "input 8, 64, 64\n" + "residual { conv 8, 3, padding=1; relu; conv 8, 3, padding=1 }\n" * 22


LOOKUPS = 4


class Revisited(AssertionError):
    pass


@pytest.fixture
def visits(monkeypatch):
    """Counts, per node, how often its parents are looked up: a fixed few times, to order it and
    to compute it. More than LOOKUPS is a node visited once per path, and fails at once (before
    memoising per node, DenseNet-121's last field needed more lookups than finish in minutes)."""
    counts: Counter[int] = Counter()

    def parents(node):
        counts[id(node)] += 1
        if counts[id(node)] > LOOKUPS:
            raise Revisited(f"a node's parents were looked up {counts[id(node)]} times")
        return node.__dict__["parents"]

    def set_parents(node, value):
        node.__dict__["parents"] = value

    monkeypatch.setattr(FieldNode, "parents", property(parents, set_parents), raising=False)
    return counts


def reachable(node: FieldNode) -> set[int]:
    seen, pending = set(), [node]
    while pending:
        node = pending.pop()
        if id(node) not in seen:
            seen.add(id(node))
            pending.extend(node.__dict__["parents"])
    return seen


@pytest.mark.parametrize(
    "load",
    [lambda: symcnn.load(str(ZOO / "densenet121.cnn")), lambda: symcnn.loads(RESIDUAL_CHAIN)],
    ids=["densenet121", "22 residual blocks"],
)
def test_first_query_visits_each_node_once(load, visits):
    network = load()
    # The last row with a spatial field (DenseNet ends in a dense layer, whose field is not tracked).
    last = [row for row in network.rows if row.keyword not in ("dense", "flatten")][-1]
    field = last.receptive
    assert field is not None and field.size
    assert set(visits) == reachable(last.field)
    assert len(visits) > 50
    # The same fields as when every row is queried in order, each from its memoised parents.
    visits.clear()
    in_order = load()
    assert [row.receptive for row in in_order.rows] == [row.receptive for row in network.rows]


def test_densenet121_last_field_takes_under_a_second():
    network = symcnn.load(str(ZOO / "densenet121.cnn"))
    last = [row for row in network.rows if row.keyword not in ("dense", "flatten")][-1]
    start = time.process_time()
    field = last.receptive
    assert time.process_time() - start < 1.0
    assert field is not None and field.size
