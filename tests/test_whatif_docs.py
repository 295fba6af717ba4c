"""docs/whatif.md: every command in it runs, and the output pasted after it is what it prints."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "whatif.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", DOC, re.DOTALL | re.MULTILINE)
# A runnable command is a one-line sh block naming real files; the block after it, if untyped, is its output.
EXAMPLES = [
    (body.strip(), BLOCKS[i + 1][1] if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "" else "")
    for i, (info, body) in enumerate(BLOCKS)
    if info == "sh" and "\n" not in body.strip() and "examples/" in body
]


def test_the_document_has_examples_of_every_command():
    assert {command.split()[1] for command, _ in EXAMPLES} == {"sweep", "solve", "diff", "sensitivity"}


@pytest.mark.parametrize("command, pasted", EXAMPLES, ids=[command for command, _ in EXAMPLES])
def test_command_runs_and_prints_what_is_pasted(symcnn_cli, monkeypatch, tmp_path, command, pasted):
    monkeypatch.chdir(ROOT)
    args = [str(tmp_path / arg) if arg.endswith(".png") else arg for arg in re.findall(r'"[^"]*"|\S+', command)[1:]]
    code, out, err = symcnn_cli(*(arg.strip('"') for arg in args))
    assert code == 0, err
    actual = iter(line.rstrip() for line in out.splitlines())
    for line in (line.rstrip() for line in pasted.splitlines() if line.strip()):
        assert line in actual, f"not printed, or not in this order: {line!r}"
