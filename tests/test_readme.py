"""The README's commands are the ones CI runs, and its pasted output is real."""

import re
import subprocess
import sys
from pathlib import Path

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
