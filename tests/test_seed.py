"""The CNN notes' worked example (shared/seed): every number the notes state, and the slip."""

import functools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.claims import check_claims
from symcnn.conditions import summarize
from symcnn.notation import textbook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = EXAMPLES / "seed.cnn"

# (layer, output shape, weight count) as the notes state them, typed from the notes.
NOTES = [
    ("conv1", (36, 28, 20), 320),
    ("maxpool1", (18, 14, 20), 0),
    ("conv2", (16, 12, 40), 7200),
    ("maxpool2", (8, 6, 40), 0),
    ("conv3", (6, 4, 60), 21600),
    ("maxpool3", (3, 2, 60), 0),
    ("conv4", (2, 1, 80), 19200),
    ("flatten1", (160,), 0),
]


@pytest.fixture(scope="module")
def seed():
    return symcnn.load(str(SEED))


@pytest.mark.parametrize("name, shape, weights", NOTES)
def test_every_layer_matches_the_notes(seed, name, shape, weights):
    row = seed.row(name)
    assert tuple(int(d) for d in row.output.dims) == shape
    assert row.params == weights


def test_softmax_layer_is_100_by_160(seed):
    dense = seed.row("dense1")
    assert tuple(dense.output.dims) == (100,)
    assert dense.params == 100 * 160 == 16_000


def test_totals_without_and_with_bias(seed):
    assert seed.totals["params"] == 64_320
    with_bias = symcnn.loads(SEED.read_text().replace("defaults bias=false", ""))
    assert with_bias.totals["params"] == 64_620
    assert with_bias.totals["bias"] == 20 + 40 + 60 + 80 + 100


def test_check_finds_exactly_the_slip(seed):
    results = check_claims(seed)
    failed = [r for r in results if r.ok is not True]
    assert len(results) >= 18
    assert [r.claim.text for r in failed] == ["expect dense1.params == 160_000"]
    assert failed[0].expected == 160_000 and failed[0].derived == 16_000


def test_symbolic_closed_forms_and_conditions():
    net = symcnn.load(str(SEED), symbolic=["H", "W"])
    conv4 = net.row("conv4")
    height, width, channels = (net.closed_form(d) for d in conv4.output.dims)
    assert textbook(height) == "⌊(H − 23)/8⌋"
    assert textbook(width) == "⌊(W − 23)/8⌋"
    assert channels == 80
    assert [textbook(r.predicate) for r in summarize(net)] == ["H ≥ 31", "W ≥ 31"]


@given(st.integers(31, 400), st.integers(31, 400))
@settings(max_examples=40, deadline=None)
def test_closed_forms_agree_with_concrete_derivations(h, w):
    symbolic = symbolic_seed()
    concrete = symcnn.load(str(SEED), overrides={"H": h, "W": w})
    values = {symbolic.parameters["H"].value: h, symbolic.parameters["W"].value: w}
    for sym_row, row in zip(symbolic.rows, concrete.rows):
        for dim, expected in zip(sym_row.output.dims, row.output.dims):
            assert symbolic.closed_form(dim).xreplace(values) == expected
    for key in ("params", "macs"):
        assert symbolic.closed_form(symbolic.totals[key]).xreplace(values) == concrete.totals[key]


@functools.cache
def symbolic_seed():
    return symcnn.load(str(SEED), symbolic=["H", "W"])


@pytest.mark.parametrize("h, w", [(30, 31), (31, 30), (4, 4)])
def test_too_small_inputs_are_errors_naming_the_layer(h, w):
    with pytest.raises(symcnn.SymcnnError) as error:
        symcnn.load(str(SEED), overrides={"H": h, "W": w})
    assert "must be at least 1" in error.value.message
    assert error.value.span.file == str(SEED)


def test_smallest_valid_input_is_31_by_31():
    net = symcnn.load(str(SEED), overrides={"H": 31, "W": 31})
    assert tuple(net.row("conv4").output.dims) == (1, 1, 80)


def test_keras_same_example():
    net = symcnn.load(str(EXAMPLES / "keras_same.cnn"))
    assert [row.params for row in net.rows] == [50, 322, 576]
    assert all(r.ok for r in check_claims(net))
