"""The size limits hold in time: work, nesting, layers and values are bounded, with clear errors, fast."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.derive import MAX_LAYERS, MAX_NESTING_DEPTH, MAX_WORK
from symcnn.errors import ShapeError

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


def test_a_network_at_the_layer_limit_derives_with_work_to_spare():
    # local values and repeat rounds besides the layers: the work budget leaves room for them
    network = symcnn.loads(f"input 3, 8, 8\nrepeat {MAX_LAYERS // 2} {{ n = 1; m = n + 1; relu; relu }}\n")
    assert len(network.rows) == MAX_LAYERS


def test_one_layer_past_the_limit_is_refused():
    line = f"repeat {MAX_LAYERS + 1} {{ relu }}"
    error = refused(f"input 3, 8, 8\n{line}\n")
    assert f"{MAX_LAYERS:,}" in error.message
    assert (error.span.line, error.span.column) == (2, line.index("relu") + 1)


@pytest.mark.parametrize(
    "body",
    [
        "residual { }",  # joins are rows too
        "residual { relu } shortcut { }",  # and so are shortcuts
        "concat { branch { } }",
        "b",  # a block with no layers is still a row
    ],
)
def test_rows_without_layers_count_toward_the_limit(body):
    error = refused(f"block b() {{ }}\ninput 3, 8, 8\nrepeat {MAX_LAYERS + 1} {{ {body} }}\n")
    assert f"more than {MAX_LAYERS:,}" in error.message
    assert error.span.line == 3


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
    text = "input 3, 8, 8\n" + "".join(f"A{i} = {i}\n" for i in range(20_000)) + "relu\n"
    started = time.perf_counter()
    network = symcnn.loads(text)
    assert time.perf_counter() - started < SECONDS
    assert len(network.parameters) == 20_000


# Numbers are bounded by value (10^60), not by how many digits they are written with.


def torch_conv_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """torch.nn.Conv2d's documented output size, in Python integers (checked against torch below)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


conv_settings = st.tuples(st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3), st.integers(1, 4))


@settings(max_examples=40, deadline=None, database=None)
@given(size=st.integers(8, 40), conv=conv_settings)
def test_the_documented_formula_is_what_torch_does(size, conv):
    torch = pytest.importorskip("torch")
    kernel, stride, padding, dilation, channels = conv
    if size + 2 * padding < dilation * (kernel - 1) + 1 or padding > kernel // 2 * dilation + kernel:
        return
    module = torch.nn.Conv2d(channels, 2, kernel, stride=stride, padding=padding, dilation=dilation)
    out = module(torch.zeros(1, channels, size, size + 1)).shape
    assert tuple(out) == (
        1,
        2,
        torch_conv_size(size, kernel, stride, padding, dilation),
        torch_conv_size(size + 1, kernel, stride, padding, dilation),
    )


@settings(max_examples=40, deadline=None, database=None)
@given(offset=st.integers(-(10**39), 10**39), conv=conv_settings)
def test_exact_arithmetic_at_ten_to_the_forty(offset, conv):
    kernel, stride, padding, dilation, channels = conv
    height, width = 10**40 + offset, 10**40 - offset + 7
    text = f"H = 1\nW = 1\ninput {channels}, H, W\nconv 3, {kernel}, stride={stride}, padding={padding}, dilation={dilation}\n"
    network = symcnn.loads(text, overrides={"H": str(height), "W": str(width)})
    out_h = torch_conv_size(height, kernel, stride, padding, dilation)
    out_w = torch_conv_size(width, kernel, stride, padding, dilation)
    assert tuple(network.output.dims) == (3, out_h, out_w)
    assert network.totals["macs"] == out_h * out_w * 3 * channels * kernel * kernel
    # the same value written in the file, and kept symbolic then evaluated, agree
    written = symcnn.loads(text.replace("H = 1", f"H = {height}").replace("W = 1", f"W = {width}"))
    assert written.output.dims == network.output.dims


def test_a_forty_digit_set_value_is_accepted(symcnn_cli, tmp_path):
    file = tmp_path / "net.cnn"
    file.write_text("H = 8\ninput 3, H, H\nconv 4, 3\n")
    code, out, err = symcnn_cli("summary", file, "--set", f"H={10**39 + 3}", "-f", "json")
    assert (code, err) == (0, "")
    assert str(10**39 + 1) in out


@pytest.mark.parametrize(
    "value",
    [str(10**60 + 1), "9" * 61, "1" + "0" * 5000, "0." + "0" * 5000 + "1", "1" * 100 + ".5"],
)
def test_a_number_past_the_value_limit_is_refused(value):
    error = refused(f"H = {value}\ninput 3, H, H\n")
    assert "10^60" in error.hint
    assert (error.span.line, error.span.column) == (1, 5)


def test_the_largest_value_is_accepted():
    network = symcnn.loads(f"H = {10**60}\ninput 3, H, 1\n")
    assert network.input.dims[1] == 10**60


def test_a_derived_size_past_the_value_limit_is_an_error():
    error = refused(f"input 3, 8, 8\nrepeat 150 {{ upsample {10**29} }}\n")
    assert isinstance(error, ShapeError)
    assert "10^60" in error.message + (error.hint or "")
    assert (error.span.line, error.span.column) == (2, 14)
