"""The size limits hold in time: work, nesting, layers and values are bounded, with clear errors, fast."""

import time

import pytest

import symcnn
from symcnn.derive import MAX_LAYERS, MAX_NESTING_DEPTH, MAX_WORK

SECONDS = 10  # far below what an unbounded run takes (minutes), far above a bounded one


def refused(text, **options):
    started = time.perf_counter()
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.loads(text, file="net.cnn", **options)
    assert time.perf_counter() - started < SECONDS
    return caught.value


def test_empty_nested_repeats_are_counted_as_work(symcnn_cli, tmp_path):
    file = tmp_path / "net.cnn"
    file.write_text("input 3, 8, 8\nrepeat 100000 { repeat 100000 { } }\n")
    started = time.perf_counter()
    code, _, err = symcnn_cli("summary", file)
    assert time.perf_counter() - started < SECONDS
    assert code == 2
    assert f"{file}:2:" in err and f"{MAX_WORK:,}" in err and "hint:" in err


@pytest.mark.parametrize(
    "body",
    [
        "repeat 3000 { repeat 3000 { x = 1 } }",  # local assignments, no layers
        "repeat 1000 { repeat 1000 { repeat 1000 { } } }",
        "block b() { repeat 100000 { } }\nrepeat 100000 { b }",  # a block call with no layers
        "repeat 10000000 { }",  # one huge empty repeat
    ],
)
def test_work_without_layers_is_bounded(body):
    error = refused(f"input 3, 8, 8\n{body}\n")
    assert error.span is not None and error.span.line >= 2
    assert error.hint


def test_work_at_the_layer_limit_is_allowed():
    # the budget of work leaves room for everything around MAX_LAYERS layers
    assert MAX_WORK >= 4 * MAX_LAYERS


def test_one_layer_past_the_limit_is_refused():
    error = refused(f"input 3, 8, 8\nrepeat {MAX_LAYERS + 1} {{ relu }}\n")
    assert f"{MAX_LAYERS:,}" in error.message
    assert (error.span.line, error.span.column) == (2, 17)


@pytest.mark.parametrize(
    "text",
    [
        "input 3, 8, 8\n" + "repeat 1 {" * 5000 + "relu" + "}" * 5000,
        "input 3, 8, 8\n" + "residual {" * 3000 + "relu" + "}" * 3000,
        "input 3, 8, 8\n" + "concat { branch {" * 2000 + "relu" + "} }" * 2000,
        # a chain of blocks, each calling the one before: nested at derivation, not in the text
        "\n".join(["block b0() { relu }"] + [f"block b{i}() {{ b{i - 1} }}" for i in range(1, 3000)])
        + "\ninput 3, 8, 8\nb2999\n",
    ],
)
def test_deep_nesting_is_an_error_with_a_position(text):
    error = refused(text)
    assert f"{MAX_NESTING_DEPTH}" in error.message
    assert error.span is not None and error.span.line >= 1 and error.span.column >= 1


def test_nesting_within_the_limit_works():
    depth = MAX_NESTING_DEPTH - 1
    network = symcnn.loads("input 3, 8, 8\n" + "repeat 1 {" * depth + "relu" + "}" * depth)
    assert len(network.rows) == 1


def test_many_statements_are_fast():
    text = "input 3, 8, 8\n" + "".join(f"A{i} = {i}\n" for i in range(50_000)) + "relu\n"
    started = time.perf_counter()
    network = symcnn.loads(text)
    assert time.perf_counter() - started < SECONDS
    assert len(network.parameters) == 50_000
