"""Every registered layer type owns the explain metadata of its formulas.

Each layer type declares its placeholders with their meanings
(`Layer.placeholders`); the legend collects them from the registry. These tests
derive every registered layer type, from its own `example` and from variants
that reach its other formulas, and fail when a formula uses a placeholder
that its layer type does not declare.
"""

from __future__ import annotations

import pytest

import symcnn
from symcnn.errors import SymcnnError
from symcnn.views.explanation import BIAS, explain, legend
from symcnn.layers import FACTOR_ORDER, PLACEHOLDERS, REGISTRY
from symcnn.notation import Placeholder

INPUTS = {1: "input 4, 20", 2: "input 4, 20, 18", 3: "input 4, 12, 10, 8"}
# Statements beyond each layer's own example, for the formulas it does not reach: by keyword, with input rank.
VARIANTS = {
    "conv": [
        (2, "conv 8, 3, stride=2, padding=1, dilation=2"),
        (2, "conv 8, 3, padding=((1, 0), (0, 1))"),
        (2, "conv 8, 3, groups=2, padding=same"),
        (1, "conv 8, 3, stride=2"),
        (3, "conv 8, 3, stride=2"),
    ],
    "convtranspose": [(2, "convtranspose 8, 3, stride=2, output_padding=1"), (2, "convtranspose 8, 3, padding=same")],
    "sepconv": [(2, "sepconv 8, 3, stride=2, depth_multiplier=2"), (1, "sepconv 8, 3")],
    "maxpool": [(2, "maxpool 3, stride=2, padding=1, ceil_mode=true"), (2, "maxpool 3, dilation=2"), (3, "maxpool 2")],
    "avgpool": [(2, "avgpool 3, stride=2, padding=same"), (1, "avgpool 2, ceil_mode=true")],
    "upsample": [(1, "upsample 3"), (2, "upsample size=(5, 6)")],
    "zeropad": [(1, "zeropad 2"), (3, "zeropad 1")],
    "dense": [(2, "dense 10, bias=false")],
    "layernorm": [(2, "layernorm 2")],
    "flatten": [(2, "flatten start=2"), (1, "flatten start=2")],
    "permute": [(1, "permute (2, 1)"), (3, "permute (2, 3, 4, 1)")],
    "layerscale": [(1, "layerscale"), (2, "flatten; layerscale")],
    "crop": [(2, "first: conv 4, 5\ncrop like=first")],
    "shuffle": [(3, "shuffle 4")],
}


def derivations():
    """(keyword, statement, input rank) for every registered layer type: its example, then the variants."""
    for keyword, layer in REGISTRY.items():
        yield keyword, layer.example, 2
        for rank, statement in VARIANTS.get(keyword, ()):
            yield keyword, statement, rank


def derive_all(statement: str, rank: int) -> list:
    """The statement derived under each convention that accepts it (at least one must)."""
    networks = []
    for convention in ("torch", "keras"):
        try:
            networks.append(symcnn.loads(f"convention {convention}\n{INPUTS[rank]}\n{statement}\n"))
        except SymcnnError:
            continue
    assert networks, f"no convention derives {statement!r}"
    return networks


def test_every_variant_names_a_registered_layer():
    assert set(VARIANTS) <= set(REGISTRY)


@pytest.mark.parametrize("keyword, statement, rank", list(derivations()))
def test_every_placeholder_a_layer_uses_is_declared_with_a_meaning(keyword, statement, rank):
    declared = REGISTRY[keyword].placeholders
    assert all(isinstance(p, Placeholder) and meaning for p, meaning in declared.items())
    for network in derive_all(statement, rank):
        explanations = explain(network)
        (row,) = [e.row for e in explanations if e.row.keyword == keyword]
        used = {s for e in explanations if e.row is row for s in e.placeholders if s != BIAS}
        assert used <= set(declared), f"{keyword} uses {used - set(declared)} without declaring them"
        assert all(isinstance(s, Placeholder) for s in used)
        # The legend lists every placeholder shown, and the results have none left in them.
        assert used <= {symbol for symbol, _ in legend(explanations)}
        results = (*row.output.dims, row.params, row.macs)
        assert not any(isinstance(s, Placeholder) for r in results for s in r.free_symbols)


def test_the_legend_order_keeps_each_layers_reading_order():
    for layer in REGISTRY.values():
        places = [FACTOR_ORDER.index(p) for p in layer.placeholders]
        assert places == sorted(places), layer.keyword
    assert set(PLACEHOLDERS) == {p for layer in REGISTRY.values() for p in layer.placeholders}
