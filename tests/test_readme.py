"""The README's commands are the ones CI runs, and its pasted output is real."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks():
    """(info string, body) of every fenced block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", README, re.DOTALL | re.MULTILINE)


def shell_blocks():
    return [body for info, body in fenced_blocks() if info == "sh"]


def test_ci_runs_the_readme_test_command():
    commands = [block.strip() for block in shell_blocks()]
    test_command = next(c for c in commands if "pytest" in c)
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci_script.splitlines()


def test_pasted_summary_is_what_the_command_prints():
    first_output = next(body for info, body in fenced_blocks() if info == "")
    script = Path(sys.executable).parent / "symcnn"
    actual = subprocess.run(
        [str(script), "summary", "examples/seed.cnn"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    strip = lambda text: [line.rstrip() for line in text.strip().splitlines() if line.strip()]  # noqa: E731
    assert strip(first_output) == strip(actual)


def command_outputs():
    """(command, pasted output) of every one-command `sh` block that is followed by an output block."""
    blocks = fenced_blocks()
    pairs = []
    for (info, body), (next_info, output) in zip(blocks, blocks[1:]):
        lines = body.strip().splitlines()
        if info == "sh" and next_info == "" and len(lines) == 1 and lines[0].startswith(".venv/bin/symcnn "):
            pairs.append((lines[0], output))
    return pairs


@pytest.mark.parametrize("command, pasted", command_outputs(), ids=lambda value: str(value)[:60])
def test_pasted_outputs_are_what_the_commands_print(command, pasted):
    """Every line shown (an excerpt may leave lines out, marked '...') is printed, in that order."""
    script = Path(sys.executable).parent / "symcnn"
    arguments = shlex.split(command)[1:]
    actual = subprocess.run([str(script), *arguments], capture_output=True, text=True, cwd=ROOT).stdout
    printed = iter(line.strip() for line in actual.splitlines())
    for line in (line.strip() for line in pasted.splitlines()):
        if line and line != "...":
            assert line in printed, f"{command}: not printed (in this order): {line}"


def test_the_readme_shows_several_real_outputs():
    assert len(command_outputs()) >= 5
