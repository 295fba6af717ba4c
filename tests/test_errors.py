"""Bad input of every kind: a SymcnnError with file, line, column and a hint; never a hang or a crash."""

import pytest

import symcnn
from symcnn.errors import DslSyntaxError, NameLookupError, ShapeError, SourceError
from symcnn.parser import parse, read_source


def error_of(text, **options):
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.loads(text, file="net.cnn", **options)
    return caught.value


def test_missing_comma_points_at_the_token():
    error = error_of("input 3, 32, 32\nconv 16 3\n")
    assert isinstance(error, DslSyntaxError)
    assert (error.span.line, error.span.column) == (2, 9)
    assert "separated by commas" in error.hint


def test_unexpected_character_and_quotes():
    error = error_of("input 3, 32, 32\nconv 16, 3, padding='same'\n")
    assert (error.span.line, error.span.column) == (2, 21)
    assert "no strings" in error.hint


def test_unexpected_end_of_file():
    error = error_of("input 3, 32, 32\nconv 16, (3,")
    assert "end" in error.message


@pytest.mark.parametrize(
    "text, wrong, suggestion",
    [
        ("input 3, 8, 8\nconvv 4, 3\n", "convv", "conv"),
        ("input 3, 8, 8\nconv 4, 3, strid=2\n", "strid", "stride"),
        ("input 3, 8, 8\nconv 4, 3, padding=sam\n", "sam", "same"),
        ("input 3, 8, 8\nconv 4, 3, activation=rleu\n", "rleu", "relu"),
        ("input 3, 8, 8\nmaxpool 2, siez=2\n", "siez", "size"),
        ("convention kears\ninput 3, 8, 8\n", "kears", "keras"),
        ("size = 8\ninput 3, sise, 8\n", "sise", "size"),
        ("input 3, 8, 8\nconv 4, 3\nexpect conv1.parms == 1\n", "parms", "params"),
        ("input 3, 8, 8\nconv 4, 3\nexpect cnv1.params == 1\n", "cnv1", "conv1"),
    ],
)
def test_unknown_names_suggest_the_closest(text, wrong, suggestion):
    error = error_of(text)
    assert f"'{wrong}'" in error.message
    assert error.hint == f"did you mean '{suggestion}'?"
    assert error.span.line >= 1 and error.span.column >= 1


def test_shape_violation_names_layer_rule_and_numbers():
    error = error_of("input 3, 8, 8\nconv 4, 3\nconv 4, 7\n")
    assert isinstance(error, ShapeError)
    assert error.message.startswith("conv2: output height must be at least 1")
    assert "N = 6" in error.message and "F = 7" in error.message
    assert error.span.line == 3


def test_groups_must_divide_channels():
    error = error_of("input 6, 8, 8\nconv 4, 3, groups=4\n")
    assert "divisible by groups" in error.message


def test_torch_same_padding_needs_stride_one():
    error = error_of("input 3, 8, 8\nconv 4, 3, stride=2, padding=same\n")
    assert isinstance(error, ShapeError)
    assert "needs stride 1" in error.message and (error.span.line, error.span.column) == (2, 1)
    assert "convention keras" in error.hint


def test_a_symbolic_stride_with_torch_same_padding_is_the_condition_stride_one():
    net = symcnn.loads("S = 2\ninput 3, 8, 8\nconv 4, 3, stride=S, padding=same\n", symbolic="all")
    (condition,) = [c for c in net.conditions if "stride 1" in c.rule]
    (stride,) = net.parameters["S"].value.free_symbols
    assert condition.predicate.xreplace({stride: 1}) == True
    assert condition.predicate.xreplace({stride: 2}) == False


def test_arguments_are_checked():
    assert "needs 'filters'" in error_of("input 3, 8, 8\nconv\n").message
    assert "at least 1" in error_of("input 3, 8, 8\nconv 0, 3\n").message
    assert "integer" in error_of("input 3, 8, 8\nconv 2.5, 3\n").message
    assert "given twice" in error_of("input 3, 8, 8\nconv 4, 3, kernel=3\n").message
    assert "positional" in error_of("input 3, 8, 8\nconv 4, 3, 1, 1\n").message
    assert "2 value(s)" in error_of("input 3, 8, 8\nconv 4, (3, 3, 3)\n").message
    assert "true or false" in error_of("input 3, 8, 8\nconv 4, 3, bias=2\n").message


def test_statement_order_and_uniqueness():
    assert "after the 'input'" in error_of("conv 4, 3\n").message
    assert "no 'input'" in error_of("H = 3\n").message
    assert "one 'input'" in error_of("input 3, 8, 8\ninput 3, 8, 8\n").message
    assert "already defined" in error_of("H = 3\nH = 4\ninput 3, H, H\n").message
    assert "reserved" in error_of("H_1 = 3\ninput 3, 8, 8\n").message
    assert "already used" in error_of("input 3, 8, 8\na: relu\na: relu\n").message


def test_arithmetic_errors():
    assert "division by zero" in error_of("x = 3 // 0\ninput 3, 8, 8\n").message
    assert "too large" in error_of("x = " + "9" * 61 + "\ninput 3, 8, 8\n").message
    big = "a = 10000000000\n" + "".join(
        f"a{i} = {'a' if i == 0 else f'a{i - 1}'} * {'a' if i == 0 else f'a{i - 1}'}\n" for i in range(8)
    )
    assert "too large" in error_of(big + "input 3, 8, 8\n").message


def test_absurd_nesting_is_an_error_not_a_crash():
    error = error_of("x = " + "-" * 5000 + "1\ninput 3, 8, 8\n")
    assert "nested" in error.message
    error = error_of("x = " + "+".join(["1"] * 5000) + "\ninput 3, 8, 8\n")
    assert "nested" in error.message


def test_deep_parentheses_are_fine():
    net = symcnn.loads("x = " + "(" * 500 + "3" + ")" * 500 + "\ninput 3, x, x\n")
    assert net.input.dims == (3, 3, 3)


def test_empty_binary_and_non_utf8_sources(tmp_path):
    with pytest.raises(SourceError, match="empty"):
        parse("  \n# only a comment? no, blank\n".replace("# only a comment? no, blank", ""), "x.cnn")
    binary = tmp_path / "b.cnn"
    binary.write_bytes(b"input 3\x00")
    with pytest.raises(SourceError, match="binary"):
        read_source(str(binary))
    latin = tmp_path / "l.cnn"
    latin.write_bytes(b"input 3, \xff")
    with pytest.raises(SourceError, match="UTF-8") as caught:
        read_source(str(latin))
    assert (caught.value.span.line, caught.value.span.column) == (1, 10)
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "missing.cnn"))
    huge = tmp_path / "h.cnn"
    huge.write_bytes(b"#" * 2_000_000)
    with pytest.raises(SourceError, match="larger"):
        read_source(str(huge))


def test_set_values_are_parsed_by_the_grammar_only():
    with pytest.raises(DslSyntaxError):
        symcnn.loads("H = 3\ninput 3, H, H\n", overrides={"H": '__import__("os").system("echo hi")'})
    with pytest.raises(DslSyntaxError):
        symcnn.loads("H = 3\ninput 3, H, H\n", overrides={"H": "3\nconv 4, 3"})
    net = symcnn.loads("H = 3\nW = H\ninput 3, H, W\n", overrides={"H": "2 * 8 + 1"})
    assert net.input.dims == (3, 17, 17)


def test_unknown_set_and_symbolic_names():
    with pytest.raises(NameLookupError, match="--set"):
        symcnn.loads("H = 3\ninput 3, H, H\n", overrides={"Q": 1})
    with pytest.raises(NameLookupError, match="--symbolic"):
        symcnn.loads("H = 3\ninput 3, H, H\n", symbolic=["Hh"])


def test_crop_takes_amounts_or_a_size():
    for text in ("input 3, 8, 8\ncrop\n", "input 3, 8, 8\ncrop 1, size=4\n"):
        error = error_of(text)
        assert "either the amounts to crop or a size" in error.message and error.span.line == 2
        assert "crop size=" in error.hint
