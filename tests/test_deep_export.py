"""Exports of a 1,000-layer network: no RecursionError, and seconds, not minutes."""

import time

import pytest

import symcnn
from symcnn.exporters import EXPORTERS, explain, latex, markdown

DEPTH = 1_000
LIMIT_S = 60  # generous: a shared CI machine; benchmarks/bench_export.py has the real figures


def chain(depth: int) -> str:
    lines = ["H = 2048", "W = 2048", "input 8, H, W"]
    lines += ["maxpool 2" if i % (depth // 4) == 0 else "conv 8, 3, padding=1" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("symbolic", [(), ("H", "W")], ids=["concrete", "symbolic"])
def test_every_export_of_a_deep_network(symbolic):
    network = symcnn.loads(chain(DEPTH), symbolic=symbolic)
    start = time.perf_counter()
    outputs = {
        "json": EXPORTERS["json"](network),
        "markdown": EXPORTERS["markdown"](network),
        "explain": explain.render(network),
        "explain markdown": markdown.render_explanation(network),
        "latex": latex.render(network, standalone=True),
    }
    assert time.perf_counter() - start < LIMIT_S
    assert outputs["explain"].count("\nconv") == DEPTH - 4
    # Per-layer equations stay short however deep the layer is.
    last = outputs["latex"].split(r"\paragraph{\texttt{conv996}}")[1].split(r"\end{align*}")[0]
    assert max(len(line) for line in last.splitlines()) < 400
