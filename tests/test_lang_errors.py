"""Every bad use of the newer statements is an input error with its line and column (exit 2), never a crash."""

from __future__ import annotations

import pytest

import symcnn
from symcnn.errors import SymcnnError

# (text, line, column) of the error
BAD = [
    ("input 3, 8, 8\nscale { conv 2, 1 }\n", 2, 1),
    ("input 3, 8, 8\nscale { flatten }\n", 2, 1),
    ("input 3, 8, 8\nx = foo(1)\n", 2, 5),
    ("x = max(1)\ninput 3\n", 1, 5),
    ("x = round(1, 2)\ninput 3\n", 1, 5),
    ("input 3, 8, 8\nx = 1 < 2\n", 2, 5),
    ("input 3, 8, 8\nif 3 { relu }\n", 2, 4),
    ("input 3, 8, 8\nfrom nothing\n", 2, 6),
    ("input 3\nconcat x\n", 2, 8),
    ("input 3, 8, 8\nconcat { branch slice=(0, 9) { } }\n", 2, 1),
    ("input 3, 8, 8\nconcat { branch slice=(2, 1) { } }\n", 2, 1),
    ("input 3, 8, 8\nconcat { branch slice=1 { } }\n", 2, 17),
    ("input 3, 8, 8\nconcat { branch foo=(1, 2) { } }\n", 2, 10),
    ("block b(k=(1, 2)) { dense k }\ninput 3\nb\n", 1, 27),
    ("block b(p=same) { conv 3, p }\ninput 3, 8, 8\nb\n", 1, 27),
    ("input 3, 8, 8\ncrop like=zz\n", 2, 6),
    ("input 3, 8, 8\nc: conv 3, 1\ncrop like=c, size=3\n", 3, 1),
    ("input 3, 8, 8\ng: { }\ng: { }\n", 3, 1),
    ("input 3, 8, 8\nshuffle 2\n", 2, 1),
    ("input 3, 8, 8\npermute (1, 1, 2)\n", 2, 10),
    ("input 3, 8, 8\nreshape (3, 65)\n", 2, 1),
    ("input 3, 8, 8\nflatten start=4\n", 2, 9),
    ("convention keras\ninput 8, 8, 3\nupsample 1.5\n", 3, 10),
    ("input 3, 8, 8\ndroppath 2\n", 2, 1),
    ("input 3, 8, 8\ns1: { a: conv 3, 1 }\nadd s1.b\n", 3, 5),
]


@pytest.mark.parametrize("text, line, column", BAD)
def test_bad_input_is_an_error_at_its_place(text, line, column):
    with pytest.raises(SymcnnError) as error:
        symcnn.loads(text, file="bad.cnn")
    assert (error.value.span.file, error.value.span.line, error.value.span.column) == ("bad.cnn", line, column)


def test_the_cli_exits_2_with_the_place_and_a_hint(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.cnn"
    path.write_text("input 3, 8, 8\nscale { conv 2, 1 }\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "summary", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert f"{path}:2:1" in result.stderr + result.stdout and "hint:" in result.stderr + result.stdout
