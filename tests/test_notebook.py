"""Jupyter output of a derived network and of one layer: the renderers, and the repr methods."""

from pathlib import Path

import pytest

import symcnn
from symcnn.exporters import notebook
from symcnn.network import LayerRow

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed.cnn"


@pytest.fixture(scope="module")
def net():
    return symcnn.load(str(SEED), symbolic=["H", "W"])


def test_network_latex_is_a_mathjax_array(net):
    tex = notebook.network_latex(net)
    assert tex.startswith("$$\\begin{array}{lllrr}") and tex.endswith("\\end{array}$$")
    assert (
        r"\mathtt{conv4} & \text{Conv2D} & (\left\lfloor \frac{H - 23}{8} \right\rfloor, \left\lfloor \frac{W - 23}{8} \right\rfloor, 80)"
        in tex
    )
    assert "tabular" not in tex and "toprule" not in tex  # MathJax has neither


def test_network_markdown_and_html(net):
    assert r"| conv4 | Conv2D | $(\left\lfloor \frac{H - 23}{8} \right\rfloor" in notebook.network_markdown(net)
    html = notebook.network_html(net)
    assert "<td>(⌊(H − 23)/8⌋, ⌊(W − 23)/8⌋, 80)</td>" in html
    assert "<th>Layer</th>" in html and "Total params: 8000 × ⌊(H − 23)/8⌋ × ⌊(W − 23)/8⌋ + 48320" in html


def test_row_renderers(net):
    row = net.row("maxpool1")
    tex = notebook.row_latex(row)
    assert tex.startswith("$$\\begin{aligned}") and r"\tag" not in tex and r"\label" not in tex
    assert (
        r"H_{2} &= \left\lfloor \frac{N + 2P - F}{S} \right\rfloor + 1 = \left\lfloor \frac{H_{1} - 2}{2} \right\rfloor + 1"
        in tex
    )
    assert "| height $H_{2}$ |" in notebook.row_markdown(row)
    assert "<td>⌊(N + 2P − F)/S⌋ + 1</td><td>⌊(H_1 − 2)/2⌋ + 1</td>" in notebook.row_html(row)


def test_a_layer_without_equations(net):
    assert r"\text{output} &= (F_{8})" in notebook.row_latex(net.row("flatten1"))


def test_network_reprs_are_the_renderers(net):
    assert net._repr_latex_() == notebook.network_latex(net)
    assert net._repr_markdown_() == notebook.network_markdown(net)
    assert net._repr_html_() == notebook.network_html(net)


def test_row_reprs_are_the_renderers(net):
    row = net.row("conv1")
    assert isinstance(row, LayerRow)
    assert row._repr_latex_() == notebook.row_latex(row)
    assert row._repr_markdown_() == notebook.row_markdown(row)
    assert row._repr_html_() == notebook.row_html(row)
