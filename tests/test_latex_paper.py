"""`symcnn latex` in a paper: three networks \\input into one two-column article build without an error,
a duplicate label or an overfull box; and each option does what it says.

The page this build renders is docs/paper-page1.png: `SYMCNN_UPDATE_DOCS=1 pytest tests/test_latex_paper.py`
writes it again.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / ("symcnn.exe" if os.name == "nt" else "symcnn")
NETWORKS = (  # (file, --symbolic), as the issue asks: ResNet-50 in R, MobileNet in alpha, the notes' network in H, W
    ("examples/zoo/resnet50.cnn", "R"),
    ("examples/zoo/mobilenet_v1.cnn", "alpha"),
    ("examples/seed.cnn", "H,W"),
)
OVERFULL_LIMIT = 5.0  # pt
PAPER = r"""\documentclass[twocolumn]{article}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{tabularx}
\allowdisplaybreaks
\raggedbottom
\begin{document}
\section*{Three networks, by symcnn latex}
Table~\ref{tab:resnet50} lists ResNet-50's layers; its total MACs are in~\eqref{eq:resnet50-total-macs}.
%s
\end{document}
"""


def run(*args, cwd=ROOT):
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], check=False, capture_output=True, text=True, cwd=cwd, encoding="utf-8"
    )


def pdflatex(folder: Path, name: str) -> str:
    for _ in range(2):  # the second run resolves the references
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", f"{name}.tex"],
            check=False,
            capture_output=True,
            cwd=folder,
            timeout=300,
        )
    return (folder / f"{name}.log").read_text(encoding="latin-1")


def overfull(log: str) -> list[float]:
    return [float(points) for points in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    assert shutil.which("pdflatex") and shutil.which("pdftoppm"), "install texlive-latex-recommended, poppler-utils"
    folder = tmp_path_factory.mktemp("paper")
    inputs = []
    for file, symbolic in NETWORKS:
        stem = Path(file).stem
        result = run("latex", file, "--symbolic", symbolic, "--width", "column", "-o", folder / f"{stem}.tex")
        assert result.returncode == 0, result.stderr
        inputs.append(f"\\section{{{stem.replace('_', ' ')}}}\n\\input{{{stem}}}")
    (folder / "paper.tex").write_text(PAPER % "\n".join(inputs), encoding="utf-8")
    return folder, pdflatex(folder, "paper")


def test_the_two_column_paper_builds_without_errors_or_clashes(paper):
    folder, log = paper
    assert (folder / "paper.pdf").exists()
    assert not re.findall(r"^!.*$", log, re.MULTILINE)
    assert "multiply defined" not in log
    assert "undefined" not in log.lower()  # every \eqref, \ref resolves


def test_nothing_is_wider_than_the_column(paper):
    _, log = paper
    widths = overfull(log)
    assert all(width <= OVERFULL_LIMIT for width in widths), sorted(widths)[-5:]


def test_page_one_renders(paper):
    folder, _ = paper
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "paper.pdf", "page"], check=True, cwd=folder)
    png = next(folder.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SYMCNN_UPDATE_DOCS"):
        shutil.copy(png, ROOT / "docs" / "paper-page1.png")


def test_labels_are_short_prefixed_and_never_a_branch_path():
    result = run("latex", "examples/zoo/resnet50.cnn", "--label-prefix", "R50 net")
    labels = re.findall(r"\\label\{([^}]*)\}", result.stdout)
    tags = re.findall(r"\\tag\{([^}]*)\}", result.stdout)
    assert labels and len(labels) == len(set(labels))
    assert all(label.startswith(("eq:r50-net-", "tab:r50-net")) for label in labels)
    assert "eq:r50-net-layer1-bottleneck-down1-conv1-H" in labels
    assert all("." not in label and "branch" not in label for label in labels)
    assert all(len(tag) <= 16 for tag in tags), max(tags, key=len)


def test_branches_are_shortened_in_labels(tmp_path):
    source = "H = 64\ninput 3, H, H\nconv 8, 3\nconcat {\n  branch { conv 4, 1 }\n  branch { conv 4, 1; conv 4, 3, padding=1 }\n}\n"
    (tmp_path / "inception.cnn").write_text(source)
    tex = run("latex", tmp_path / "inception.cnn").stdout
    labels = re.findall(r"\\label\{([^}]*)\}", tex)
    assert "eq:inception-b1-conv1-H" in labels and "eq:inception-b2-conv2-H" in labels


def test_two_networks_never_clash_by_default():
    first = run("latex", "examples/seed.cnn").stdout
    second = run("latex", "examples/zoo/lenet5.cnn").stdout
    labels = [re.findall(r"\\label\{([^}]*)\}", tex) for tex in (first, second)]
    assert not set(labels[0]) & set(labels[1])


def test_caption_and_depth():
    tex = run("latex", "examples/zoo/resnet50.cnn", "--depth", "1", "--caption", "ResNet-50 by stage.").stdout
    assert r"\textbf{Table~\thetable.} ResNet-50 by stage." in tex
    table = tex.split(r"\midrule")[1].split(r"\bottomrule")[0]
    rows = [line for line in table.splitlines() if line.endswith(r"\\")]
    assert [row.split(" & ")[0] for row in rows][:6] == [
        r"\texttt{conv1}",
        r"\texttt{batchnorm1}",
        r"\texttt{relu1}",
        r"\texttt{maxpool1}",
        r"\texttt{layer1}",
        r"\texttt{layer2}",
    ]


def test_columns_as_in_summary():
    tex = run("latex", "examples/seed.cnn", "--columns", "name,title,flops").stdout
    assert "Layer & Type & FLOPs \\\\" in tex
    bad = run("latex", "examples/seed.cnn", "--columns", "name,speed")
    assert bad.returncode == 2 and "speed" in bad.stderr


@pytest.mark.parametrize("equations", ["none", "blocks", "all"])
def test_equations_option(equations):
    tex = run("latex", "examples/zoo/resnet50.cnn", "--depth", "1", "--equations", equations).stdout
    labels = re.findall(r"\\label\{([^}]*)\}", tex)
    layer_labels = [label for label in labels if "-total-" not in label and not label.startswith("tab:")]
    if equations == "none":
        assert layer_labels == []
    elif equations == "blocks":  # one set per table row: layer1 as a whole, no layer inside it
        assert "eq:resnet50-layer1-params" in labels and "eq:resnet50-layer1-macs" in labels
        assert not any(label.startswith("eq:resnet50-layer1-b") for label in labels)
    else:
        assert "eq:resnet50-layer1-bottleneck-down1-conv1-params" in labels


def test_page_width_is_one_column_of_text():
    column = run("latex", "examples/seed.cnn", "--symbolic", "H,W", "--standalone").stdout
    page = run("latex", "examples/seed.cnn", "--symbolic", "H,W", "--standalone", "--width", "page").stdout
    assert r"\documentclass[twocolumn]{article}" in column and r"\documentclass{article}" in page
    assert r"{\textwidth}" in page and r"{\linewidth}" in column
    # A line holds more on the page: the totals are broken into fewer rows.
    assert page.count(r"&\quad") < column.count(r"&\quad")


def test_a_long_total_is_given_per_stage():
    tex = run("latex", "examples/zoo/resnet50.cnn", "--symbolic", "R").stdout
    totals = tex.split(r"\paragraph{Totals.}")[1]
    assert r"\text{MACs} &= \text{the sum over the stages:}" in totals
    for stage in ("conv1--maxpool1", "layer1", "layer4", "adaptiveavgpool1--fc"):
        assert rf"\texttt{{{stage}}}:" in totals.replace(r".\allowbreak ", ".")
