"""Grammar-aware fuzzing of parsing and derivation: any text derives or raises SymcnnError, never
another exception, and the CLI exits 0, 1 or 2.

Texts are drawn two ways: programs built from the grammar's statements with random (often wrong)
arguments, and token soup from the grammar's terminals. SYMCNN_FUZZ_SCALE=50 runs fifty times the
examples, for a longer local search.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.layers import REGISTRY

SCALE = float(os.environ.get("SYMCNN_FUZZ_SCALE", "1"))
fuzz = settings(
    max_examples=max(1, round(150 * SCALE)),
    deadline=None,
    database=None,
    derandomize=SCALE == 1,  # the same examples in CI every time; a longer local search explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = ["H", "W", "C", "N", "F", "P", "S", "K", "R", "alpha", "x", "total", "H_1", "conv1", "same", "valid"]
WORDS = ["same", "valid", "true", "false", "relu", "nearest", "hwc", "chw", "torch", "keras"]
NUMBERS = ["0", "1", "2", "3", "7", "16", "0.5", "1.0", "3.25", "1_000", str(10**40), str(10**60), str(10**61)]
KEYWORDS = sorted(REGISTRY) + ["input", "convention", "defaults", "expect", "block", "repeat", "residual"]
KEYWORDS += ["shortcut", "concat", "branch"]
OPTIONS = sorted({option.name for layer in REGISTRY.values() for option in layer.options}) + ["layout", "typo"]
QUANTITIES = ["params", "macs", "output", "weights", "shape", "flops", "typo"]
PUNCTUATION = ["(", ")", ",", "=", "==", ":", ".", "+", "-", "*", "/", "//", "{", "}", "\n", ";", "#", "'", "@"]
PUNCTUATION += ["\r\n", "\r", "\t", "\x0c", "\u2028", "\x00", "é"]


def expressions(depth: int = 3):
    atom = st.sampled_from(NUMBERS + NAMES)
    if depth == 0:
        return atom
    inner = expressions(depth - 1)
    return st.one_of(
        atom,
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["+", "-", "*", "//", "/"]), inner),
        st.builds(lambda a: f"({a})", inner),
        st.builds(lambda a: f"-{a}", inner),
    )


values = st.one_of(
    expressions(),
    st.sampled_from(WORDS),
    st.lists(expressions(1), min_size=1, max_size=3).map(lambda items: f"({', '.join(items)},)"),
)
arguments = st.builds(
    lambda positional, keyword: ", ".join(positional + [f"{name}={value}" for name, value in keyword]),
    st.lists(values, max_size=3),
    st.lists(st.tuples(st.sampled_from(OPTIONS), values), max_size=2),
)
layers = st.builds(
    lambda label, keyword, args: f"{label}{keyword} {args}",
    st.sampled_from(["", "a: ", "conv1: "]),
    st.sampled_from(sorted(REGISTRY) + ["block1", "typo"]),
    arguments,
)


def statements(depth: int = 2):
    simple = st.one_of(
        layers,
        layers,
        st.builds(lambda name, value: f"{name} = {value}", st.sampled_from(NAMES), expressions()),
        st.builds(lambda args: f"input {args}", arguments),
        st.builds(lambda word: f"convention {word}", st.sampled_from(WORDS)),
        st.builds(lambda name, value: f"defaults {name}={value}", st.sampled_from(OPTIONS), values),
        st.builds(
            lambda subject, quantity, value: f"expect {subject}.{quantity} == {value}",
            st.sampled_from(["conv1", "total", "a", "block1.conv1"]),
            st.sampled_from(QUANTITIES),
            values,
        ),
    )
    if depth == 0:
        return simple
    body = st.lists(statements(depth - 1), max_size=3).map(lambda items: "{ " + "; ".join(items) + " }")
    return st.one_of(
        simple,
        st.builds(lambda count, body: f"repeat {count} {body}", expressions(1), body),
        st.builds(lambda body: f"residual {body}", body),
        st.builds(lambda main, short: f"residual {main} shortcut {short}", body, body),
        st.builds(
            lambda bodies: "concat { " + " ".join(f"branch {b}" for b in bodies) + " }", st.lists(body, max_size=3)
        ),
        st.builds(
            lambda parameters, body: f"block block1({parameters}) {body}",
            st.sampled_from(["", "n", "n=2", "n, m=n"]),
            body,
        ),
    )


# Programs mostly start like real ones, parameters and then an input line, so that derivation goes deep.
# (What comes before 'input' is fuzzed by the statements too, and by the token soup.)
programs = st.builds(
    lambda head, start, rest: "\n".join(head + [start] + rest),
    st.lists(st.sampled_from(["H = 16", "W = 12", "C = 3", "K = 3", "R = 2", "alpha = 0.5"]), max_size=4),
    st.sampled_from(["input C, H, W", "input 3, 16, 16", "input 16, 16, 3, layout=hwc", "input 10", "input 3, 9"]),
    st.lists(statements(), max_size=8),
)
token_soup = st.lists(st.sampled_from(KEYWORDS + NAMES + NUMBERS + OPTIONS + PUNCTUATION + [" "]), max_size=40).map(
    " ".join
)
texts = st.one_of(programs, programs, token_soup)
symbol_sets = st.sampled_from([(), ("H",), ("H", "C"), ("K",), "all"])


def derive_or_refuse(text: str, symbolic=(), overrides=None):
    try:
        return symcnn.loads(text, symbolic=symbolic, overrides=overrides, file="fuzz.cnn")
    except symcnn.SymcnnError as error:
        assert error.message
        return None


@fuzz
@given(text=texts, symbolic=symbol_sets)
def test_any_text_derives_or_raises_a_symcnn_error(text, symbolic):
    network = derive_or_refuse(text)
    parameters = [] if network is None else list(network.parameters)
    derive_or_refuse(text, symbolic=symbolic if symbolic == "all" else [n for n in symbolic if n in parameters])


@fuzz
@given(text=programs, value=st.sampled_from(NUMBERS + ["-1", "H", "1 // 0", "(1,", "x y"]))
def test_any_override_derives_or_raises_a_symcnn_error(text, value):
    network = derive_or_refuse(text)
    for name in network.parameters if network is not None else ["H"]:
        derive_or_refuse(text, overrides={name: value})


@settings(
    fuzz,
    max_examples=max(1, round(60 * SCALE)),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(text=texts, command=st.sampled_from([["summary"], ["summary", "-f", "json"], ["explain"], ["check"]]))
def test_the_cli_exits_0_1_or_2(symcnn_cli, tmp_path_factory, text, command):
    file = tmp_path_factory.mktemp("fuzz") / "net.cnn"
    file.write_text(text, encoding="utf-8")
    code, _, err = symcnn_cli(*command, file)
    assert code in (0, 1, 2), err
    assert "internal error" not in err and "Traceback" not in err


def test_line_separators_inside_comments_do_not_shift_lines():
    # str.splitlines also ends a line at a form feed or U+2028, which a comment may hold; the grammar does not.
    network = symcnn.loads("input 3, 8, 8  # a\x0cb\u2028c\r\nconv 2, 3\nexpect conv1.params == 56\n")
    assert [claim.text for claim in network.claims] == ["expect conv1.params == 56"]
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.loads("input 3, 8, 8  # \x0c\nconv 2, (3,")
    assert (caught.value.span.line, caught.value.span.column) == (2, 11)
