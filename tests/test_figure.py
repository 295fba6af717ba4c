"""`symcnn figure`: the drawing has a box per summary item and an arrow per join, and pdflatex builds it.

Random chains are written with a label on every layer and join, so the test
knows which layers each residual's main path holds without asking the code
under test; pdflatex runs are batched, one document for many pictures.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.exporters import figure
from symcnn.views.summary import Group, summary_items

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
ZOO = sorted((ROOT / "examples" / "zoo").glob("*.cnn"))
BLOCKS = ROOT / "docs" / "figure-blocks.cnn"  # the network of docs/figure-blocks.png
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def compile_tex(folder: Path, document: str, name: str = "doc") -> str:
    """pdflatex's log for `document`; fails the test on any error."""
    (folder / f"{name}.tex").write_text(document, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=folder,
        capture_output=True,
        timeout=300,
        check=False,
    )
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert not errors, errors
    assert (folder / f"{name}.pdf").exists()
    return log


def compile_fragments(folder: Path, fragments: list[str]) -> None:
    """Every fragment \\input into one article, a page each, as a paper would include them."""
    inputs = []
    for index, text in enumerate(fragments):
        (folder / f"fig{index}.tex").write_text(text, encoding="utf-8")
        inputs.append(rf"\noindent\resizebox{{\linewidth}}{{!}}{{\input{{fig{index}.tex}}}}\clearpage")
    preamble = [r"\documentclass{article}", r"\usepackage{tikz}", figure.LIBRARIES, r"\begin{document}"]
    compile_tex(folder, "\n".join(preamble + inputs + [r"\end{document}"]))


def drawn_items(tikz: str) -> list[str]:
    """The summary items the picture marks as drawn (boxes, frames, lanes), the input left out."""
    return [name for kind, name in re.findall(r"^% item (\S+) (\S+)$", tikz, re.MULTILINE) if kind != "input"]


def join_nodes(tikz: str) -> list[tuple[str, str]]:
    """Each join's (local) name and its TikZ node, in drawing order: local names repeat from block to block."""
    return re.findall(r"^% item (?:add|concat) (\S+)$.*?^\\node\[joint\] \((n\d+)\)", tikz, re.MULTILINE | re.DOTALL)


def local(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("_", r"\_")


def check_items_and_joins(network, depth=None) -> str:
    tikz = figure.render(network, depth=depth)
    items = summary_items(network, depth)
    assert sorted(drawn_items(tikz)) == sorted(local(item.name) for item in items)
    joins = [item for item in items if not isinstance(item, Group) and item.keyword in ("add", "concat")]
    nodes = join_nodes(tikz)
    assert [name for name, _ in nodes] == [local(item.name) for item in joins]
    for item, (_, node) in zip(joins, nodes):
        if item.joined is not None or item.keyword == "add":  # the path's arrow, and the shortcut's or NAME's
            assert len(re.findall(rf"\\draw\[flow\] .* -- \({node}\.west\);", tikz)) == 1
            assert len(re.findall(rf"\\draw\[skip\] .*\({node}\.(?:north|south)\);", tikz)) == 1
        else:  # one arrow from every branch
            arrows = re.findall(rf"\\draw\[flow\] .* -- \({node}\.west\);", tikz)
            # its branches: made by its statement since that statement's previous join, in a repeat
            after = max(
                (row.index for row in network.rows if row.span == item.span and row.index < item.index), default=0
            )
            branches = [
                c
                for c in network.containers
                if c.title == "Branch" and c.span == item.span and after <= c.start and c.end < item.index
            ]
            assert len(arrows) == len(branches) > 0
    return tikz


# Random chains ------------------------------------------------------------------------------------------


class Chain:
    """DSL text written with a label on everything, and the structure the figure should show, in those labels."""

    def __init__(self, draw):
        self.draw = draw
        self.count = 0
        self.pools = 0

    def label(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def body(self, channels: int, keep_channels: bool, nesting: int, lines: list, length: int):
        """Statements from `channels` channels; returns (channels at the end, expected elements)."""
        expected = []
        for _ in range(length):
            kinds = ["conv", "relu", "batchnorm"]
            if nesting < 2:
                kinds += ["residual", "projection", "concat"] if not keep_channels else ["residual"]
            if not keep_channels and nesting == 0 and self.pools < 2:
                kinds.append("maxpool")
            kind = self.draw(st.sampled_from(kinds))
            if kind == "conv":
                name = self.label("l")
                out = channels if keep_channels else self.draw(st.sampled_from([2, 4, 8, 16]))
                lines.append(f"{name}: conv {out}, 3, padding=1")
                channels = out
                expected.append(name)
            elif kind in ("relu", "batchnorm", "maxpool"):
                name = self.label("l")
                lines.append(f"{name}: {kind}" + (" 2" if kind == "maxpool" else ""))
                self.pools += kind == "maxpool"
                expected.append(name)
            elif kind == "residual":
                inner = []
                _, main = self.body(channels, True, nesting + 1, inner, self.draw(st.integers(1, 2)))
                name = self.label("r")
                lines.append(f"{name}: residual {{ " + "; ".join(inner) + " }")
                expected.append(("residual", name, tuple(main), None))
            elif kind == "projection":
                inner = []
                out, main = self.body(channels, False, nesting + 1, inner, self.draw(st.integers(1, 2)))
                shortcut = self.label("l")
                name = self.label("r")
                lines.append(
                    f"{name}: residual {{ " + "; ".join(inner) + f" }} shortcut {{ {shortcut}: conv {out}, 1 }}"
                )
                expected.append(("residual", name, tuple(main), (shortcut,)))
                channels = out
            else:
                branches, total = [], 0
                for _ in range(self.draw(st.integers(2, 3))):
                    inner = []
                    size = self.draw(st.integers(0, 2))
                    out, lane = self.body(channels, False, nesting + 1, inner, size) if size else (channels, [])
                    branches.append((inner, tuple(lane)))
                    total += out
                name = self.label("c")
                lines.append(
                    f"{name}: concat {{ " + " ".join("branch { " + "; ".join(b) + " }" for b, _ in branches) + " }"
                )
                expected.append(("concat", name, tuple(lane for _, lane in branches)))
                channels = total
        return channels, expected


@st.composite
def chains(draw):
    chain = Chain(draw)
    lines = ["H = 32", "W = 24", "input 3, H, W"]
    _, expected = chain.body(3, False, 0, lines, draw(st.integers(2, 6)))
    return "\n".join(lines) + "\n", tuple(expected)


def shown(elements) -> tuple:
    """The figure's elements in the form the generator expects: names, with residuals and concats spelled out."""
    result = []
    for element in elements:
        if isinstance(element, figure.Box):
            result.append(element.name)
        elif isinstance(element, figure.Residual):
            shortcut = None if element.shortcut is None else shown(element.shortcut.elements)
            result.append(("residual", element.join.name, shown(element.main), shortcut))
        elif isinstance(element, figure.Concat):
            lanes = tuple(
                ()
                if lane.box is None and lane.elements[0].item.container.start == lane.elements[0].item.container.end
                else shown(lane.elements)
                for lane in element.branches
            )
            result.append(("concat", element.join.name, lanes))
        elif isinstance(element, figure.Restart):
            result.append(("from", element.source, *shown([element.element])))
        else:
            result.append(("frame", element.box.name, shown(element.body)))
    return tuple(result)


@needs_tex
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chains(), min_size=4, max_size=4), st.sampled_from([(), ("H",), ("H", "W")]))
def test_random_chains_draw_their_structure_and_compile(tmp_path_factory, examples, symbolic):
    fragments = []
    for text, expected in examples:
        network = symcnn.loads(text, symbolic=symbolic)
        assert shown(figure.build(network).elements) == expected
        fragments.append(check_items_and_joins(network))
        check_items_and_joins(network, depth=1)
        if symbolic:  # a shape that depends on H is labelled with a formula in H
            for box in figure.build(network).boxes:
                if any(symbol.name == "H" for symbol in network.closed_form(box.item.output.dims[1]).free_symbols):
                    assert "H" in "".join(box.shape_lines)
    folder = tmp_path_factory.mktemp("random")
    compile_fragments(folder, fragments)
    compile_tex(folder, figure.render(network, standalone=True), "standalone")


# The zoo and the notes' network ------------------------------------------------------------------------


MAX_ROWS_IN_A_ROW = 250


@needs_tex
def test_zoo_and_seed_draw_every_item_and_compile(tmp_path):
    """Items and joins at every depth; the full pictures as fragments in one paper, the shallow ones standalone."""
    fragments = []
    for path in [SEED, BLOCKS, *ZOO]:
        network = symcnn.load(str(path))
        full = check_items_and_joins(network)
        for depth in (1, 2, 3):
            shallow = check_items_and_joins(network, depth)
        # TeX cannot measure a picture much wider than 5 m: DenseNet's 369 boxes in a row are drawn at depth 3.
        fragments.append(full if len(network.rows) <= MAX_ROWS_IN_A_ROW else shallow)
        compile_tex(tmp_path, figure.render(network, depth=1, standalone=True), path.stem)
    compile_fragments(tmp_path, fragments)


def test_resnet_blocks_hold_their_own_layers():
    """Every BasicBlock's residual: its two convolutions and norms on the main path, the projection below."""
    network = symcnn.load(str(ROOT / "examples" / "zoo" / "resnet18.cnn"))
    stage = next(e for e in figure.build(network).elements if isinstance(e, figure.Frame) and e.box.name == "layer2")
    down, same = (block.body for block in stage.body)
    main = ("conv1", "batchnorm1", "relu1", "conv2", "batchnorm2")
    assert shown(down) == (("residual", "add1", main, ("conv1", "batchnorm1")), "relu2")
    assert shown(same) == (("residual", "add1", main, None), "relu2")


def test_a_repeated_residual_does_not_take_the_layer_before_it():
    text = "input 4, 8, 8\nrepeat 2 { residual { relu; conv 4, 3, padding=1 }; relu }\n"
    elements = shown(figure.build(symcnn.loads(text)).elements)
    assert elements == (
        ("residual", "add1", ("relu1", "conv1"), None),
        "relu2",
        ("residual", "add2", ("relu3", "conv2"), None),
        "relu4",
    )


def test_a_residual_holds_the_residuals_repeated_inside_it():
    text = "input 4, 8, 8\nresidual { repeat 2 { residual { conv 4, 3, padding=1 } }; relu }\n"
    inner = [("residual", f"add{n}", (f"conv{n}",), None) for n in (1, 2)]
    assert shown(figure.build(symcnn.loads(text)).elements) == (("residual", "add3", (*inner, "relu1"), None),)


def test_a_repeated_concat_joins_only_its_own_branches():
    text = "input 4, 8, 8\nrepeat 2 { concat { branch { conv 2, 1 } branch { relu } } }\n"
    network = symcnn.loads(text)
    check_items_and_joins(network)
    assert shown(figure.build(network).elements) == (
        ("concat", "concat1", (("conv1",), ("relu1",))),
        ("concat", "concat2", (("conv1",), ("relu1",))),
    )


CROP_AND_COPY = """input 1, 140, 140
enc1: { conv 64, 3; relu; conv 64, 3; relu }
maxpool 2
conv 128, 3
up: convtranspose 64, 2, stride=2
from enc1
crop like=up
concat up
"""


def box_node(tikz: str, name: str) -> str:
    """The TikZ node of the box drawn for the item `name`."""
    found = re.search(
        rf"^% item \S+ {name}\n(?:(?!% item).)*?^\\node\[box[^\n]*\((n\d+)\)", tikz, re.MULTILINE | re.DOTALL
    )
    return found.group(1)


def test_a_path_from_a_named_output_is_reached_by_an_arrow_from_it():
    """U-Net's copy: the crop starts from enc1, not from the up-conv before it, and the concat joins the up-conv."""
    network = symcnn.loads(CROP_AND_COPY)
    tikz = check_items_and_joins(network)
    frame = ("frame", "enc1", ("conv1", "relu1", "conv2", "relu2"))
    assert shown(figure.build(network).elements) == (
        frame,
        "maxpool1",
        "conv1",
        "up",
        ("from", "enc1", "crop1"),
        "concat1",
    )
    crop, up = box_node(tikz, "crop1"), box_node(tikz, "up")
    assert not re.search(rf"\\draw\[flow\] .* -- \({crop}\.west\);", tikz)
    assert len(re.findall(rf"\\draw\[skip\] \(n\d+\.north\) \|- \(n\d+\) \|- \({crop}\.west\);", tikz)) == 1
    assert not re.search(rf"\\draw\[flow\] \({up}\S*\) -- \({crop}", tikz)
    for depth in (1, 2):  # enc1 drawn collapsed: the arrow starts at its box
        check_items_and_joins(network, depth)


def test_a_from_before_a_residual_a_concat_or_a_group_feeds_all_of_it():
    text = "input 4, 8, 8\na: conv 4, 3, padding=1\nrelu\nfrom a\nresidual { conv 4, 3, padding=1 }\nfrom a\n"
    text += "concat { branch { conv 2, 1 } branch { relu } }\nfrom a\nb: { relu }\n"
    text += "concat { branch { relu } branch { from a; conv 2, 1 } }\n"  # this branch alone reads a
    network = symcnn.loads(text)
    check_items_and_joins(network)
    assert shown(figure.build(network).elements) == (
        "a",
        "relu1",
        ("from", "a", ("residual", "add1", ("conv1",), None)),
        ("from", "a", ("concat", "concat1", (("conv1",), ("relu1",)))),
        ("from", "a", ("frame", "b", ("relu1",))),
        ("concat", "concat2", (("relu1",), (("from", "a", "conv1"),))),
    )


def test_the_notes_network_is_labelled_with_its_formulas():
    tikz = figure.render(symcnn.load(str(SEED), symbolic=["H", "W"]))
    floor = r"\left\lfloor \frac{H - 23}{8} \right\rfloor"  # the notes' final height, as test_latex checks it
    assert floor in tikz and r"\left\lfloor \frac{W - 23}{8} \right\rfloor" in tikz
    assert r"{$36\times$\\$28\times$\\$20$}" in figure.render(symcnn.load(str(SEED)))  # the notes' conv1


def test_boxes_grow_with_the_log_of_size_within_bounds():
    network = symcnn.load(str(ROOT / "examples" / "zoo" / "resnet18.cnn"))
    boxes = {box.name: box for box in figure.build(network, depth=1).boxes}
    assert boxes["conv1"].height > boxes["layer1"].height > boxes["layer4"].height >= figure.MIN_HEIGHT
    assert boxes["layer4"].width > boxes["layer1"].width
    assert all(figure.MIN_WIDTH <= box.width <= figure.MAX_WIDTH for box in boxes.values())


@needs_tex
def test_the_command_writes_a_pdf(symcnn_cli, tmp_path):
    out = tmp_path / "fig.pdf"
    code, _, err = symcnn_cli("figure", ROOT / "examples" / "zoo" / "resnet18.cnn", "-o", out)
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF")


@needs_tex
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_the_command_converts_the_pdf(symcnn_cli, tmp_path, suffix, magic):
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    out = tmp_path / f"fig{suffix}"
    code, _, err = symcnn_cli("figure", SEED, "-o", out, "--dpi", "40")
    assert code == 0, err
    assert out.read_bytes().startswith(magic)


def test_the_command_prints_tikz_and_refuses_unknown_formats(symcnn_cli, tmp_path):
    code, out, _ = symcnn_cli("figure", SEED, "--standalone")
    assert code == 0 and out.startswith(r"\documentclass") and r"\begin{tikzpicture}" in out
    code, _, err = symcnn_cli("figure", SEED, "-o", tmp_path / "fig.jpg")
    assert code == 2 and "'.jpg'" in err and "hint:" in err


def test_a_missing_pdflatex_is_a_clear_error(symcnn_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = symcnn_cli("figure", SEED, "-o", tmp_path / "fig.pdf")
    assert code == 2 and "pdflatex is not installed" in err and "apt-get install" in err
