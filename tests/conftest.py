"""Shared fixtures."""

import sys

import pytest

from symcnn.cli import main


@pytest.fixture
def symcnn_cli(capsys, monkeypatch):
    """Run `symcnn ARGS...` in this process (a subprocess costs seconds of imports): (exit code, stdout, stderr)."""

    def run(*args):
        monkeypatch.setattr(sys, "argv", ["symcnn", *map(str, args)])
        with pytest.raises(SystemExit) as exit:
            main()
        captured = capsys.readouterr()
        return exit.value.code, captured.out, captured.err

    return run
