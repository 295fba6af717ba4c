"""Every view of every network: each summary column in each format, on networks with empty branches."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn
from symcnn.views.summary import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
# An identity branch is an empty container: no rows of its own, yet every column must be shown for it.
EMPTY_BRANCH = "R = 8\ninput 3, R, R\nconv 4, 3\nconcat {\n branch { }\n branch { conv 4, 1 }\n}\nresidual { }\n"
SYMBOLS = ((), ("--symbolic", "R"))


@pytest.fixture
def empty_branch(tmp_path):
    path = tmp_path / "empty_branch.cnn"
    path.write_text(EMPTY_BRANCH, encoding="utf-8")
    return path


@pytest.mark.parametrize("symbolic", SYMBOLS)
@pytest.mark.parametrize("format_", ["table", "json", "markdown"])
@pytest.mark.parametrize("column", sorted(COLUMNS))
def test_every_column_in_every_summary_format(symcnn_cli, empty_branch, column, format_, symbolic):
    code, out, err = symcnn_cli("summary", empty_branch, "--columns", f"name,{column}", "-f", format_, *symbolic)
    assert code == 0, err
    if format_ == "json":
        json.loads(out)


@pytest.mark.parametrize("symbolic", SYMBOLS)
@pytest.mark.parametrize(
    "command",
    [
        ("summary", "--columns", ",".join(COLUMNS), "--depth", "1"),
        ("explain",),
        ("explain", "-f", "markdown"),
        ("latex",),
    ],
)
def test_every_command_on_an_empty_branch(symcnn_cli, empty_branch, command, symbolic):
    code, out, err = symcnn_cli(command[0], empty_branch, *command[1:], *symbolic)
    assert code == 0, err
    assert "concat1" in out


@pytest.mark.parametrize("symbolic", [(), ["R"]])
def test_notebook_views_of_an_empty_branch(symbolic):
    network = symcnn.loads(EMPTY_BRANCH, symbolic=symbolic)
    for shown in (network, *network.rows):
        for method in ("_repr_latex_", "_repr_markdown_", "_repr_html_"):
            assert getattr(shown, method)()


def test_a_narrow_terminal_does_not_wrap_machine_formats():
    env = {**os.environ, "COLUMNS": "60", "PYTHONIOENCODING": "utf-8"}
    script = Path(sys.executable).parent / "symcnn"
    for format_ in ("json", "markdown", "table"):
        result = subprocess.run(
            [str(script), "summary", "examples/seed.cnn", "--symbolic", "H,W", "-f", format_],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        if format_ == "json":
            document = json.loads(result.stdout)
            assert all("\n" not in str(value) for value in document["totals"].values())
        else:
            assert any(len(line) > 60 for line in result.stdout.splitlines())  # long lines stay whole
