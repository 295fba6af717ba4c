"""The wheel carries the grammar, and the installed package works from any directory."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("symcnn-*.whl")
    return built


def test_wheel_contains_the_grammar(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "symcnn/grammar/symcnn.lark" in names
    assert "symcnn/cli.py" in names
    assert not any(name.startswith(("tests/", "grammar/")) for name in names)


def test_unpacked_wheel_parses_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import symcnn; "
        "assert symcnn.__file__.startswith(sys.path[0]), symcnn.__file__; "
        "net = symcnn.loads('input 3, 8, 8\\nconv 4, 3\\n'); print(net.rows[0].output.dims)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(4, 6, 6)"
