"""Symbolic paths the fuzzing of issue 8 found broken: each a correct answer or a clear error now."""

import pytest
from sympy import Symbol

import symcnn
from symcnn.errors import ShapeError


def error_of(text, **options):
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.loads(text, file="net.cnn", **options)
    return caught.value


@pytest.mark.parametrize("text", ["residual { }\ninput 3, 8, 8\n", "concat {\n  branch { }\n}\ninput 3, 8, 8\n"])
def test_a_join_before_the_input_is_a_clear_error(text):
    error = error_of(text)
    assert "after the 'input' line" in error.message
    assert (error.span.line, error.span.column) == (1, 1)
    assert "input" in error.hint
