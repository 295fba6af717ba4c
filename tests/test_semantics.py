"""Symbolic paths the fuzzing of issue 8 found broken: each a correct answer or a clear error now."""

from pathlib import Path

import pytest

import symcnn
from symcnn.conditions import summarize
from symcnn.whatif.solve import domain, solve


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


def dropout_accepts(rate):
    """Whether torch.nn.Dropout, the reference, accepts the rate (Keras accepts the same range)."""
    import torch

    try:
        torch.nn.Dropout(float(rate))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("rate", ["0", "0.5", "1", "1.5", "-0.25", "3/2"])
def test_dropout_rates_are_those_torch_accepts(rate):
    from fractions import Fraction

    text = f"input 3, 8, 8\ndropout {rate}\n"
    if dropout_accepts(Fraction(rate)):
        symcnn.loads(text)
    else:
        error = error_of(text)
        assert error.message.startswith("dropout1: the rate must be between 0 and 1") and error.span.line == 2


def test_a_symbolic_dropout_rate_is_a_condition():
    network = symcnn.loads("rate = 0.5\ninput 3, 8, 8\ndropout rate\n", symbolic=["rate"])
    rate = network.parameters["rate"].value
    conditions = {c.predicate for c in network.conditions}
    assert conditions == {rate <= 1}
    assert all(c.layer == "dropout1" for c in network.conditions)
    # rate >= 0 holds by the symbol's own assumption (a positive real), so only rate <= 1 is kept
    negative = symcnn.loads("rate = -1/2\ninput 3, 8, 8\ndropout rate\n", symbolic=["rate"])
    assert {str(c.predicate) for c in negative.conditions} == {"rate >= 0", "rate <= 1"}


def test_a_dependent_parameter_kept_symbolic_stays_a_positive_integer():
    text = "H = 64\nW = H - 8\ninput 3, H, W\nconv 8, 3\n"
    for symbolic in (["W"], ["H", "W"], "all"):
        network = symcnn.loads(text, symbolic=symbolic)
        w = network.parameters["W"].value
        assert w.is_integer and w.is_positive, symbolic
        assert network.parameters["W"].default.xreplace(network.assign({})) == 56
        # an integer W needs no "W must be whole" condition, only its bound
        assert [str(r.predicate) for r in summarize(network) if w in r.predicate.free_symbols] == ["W >= 3"]


def test_explain_of_a_division_that_is_exact_only_symbolically(tmp_path, symcnn_cli):
    # The output is floor(R/R) + 1, which the unrounded value 2 must not be compared with as a bool.
    path = tmp_path / "net.cnn"
    path.write_text("R = 4\ninput 1, 2 * R, 2 * R\nmaxpool R\n")
    for format_ in ("text", "markdown"):
        code, out, err = symcnn_cli("explain", path, "--symbolic", "R", "--format", format_)
        assert (code, err) == (0, "") and "maxpool1" in out


WHATIF = Path(__file__).resolve().parent.parent / "examples" / "whatif.cnn"


def test_a_domain_with_conditions_in_other_symbols_is_checked_against_them(symcnn_cli):
    # H alone may be 1, but with F = 3 the conditions H - F + 3 >= 1 ... also need H >= 4:
    # the fresh derivations at the file's F must be expected to fail where those fail.
    (answer,) = domain(WHATIF, ["H"], symbolic=["F"])
    assert answer.remaining and answer.checked
    code, out, err = symcnn_cli("solve", WHATIF, "--for", "H", "--symbolic", "F")
    assert code == 0, out + err
    assert "NOT as expected" not in out and "also needs" in out


def test_a_search_with_other_symbols_is_an_answer_not_an_abort(tmp_path, symcnn_cli):
    path = tmp_path / "groups.cnn"
    path.write_text("G = 1\nC = 12\nH = 16\ninput C, H, 16\nconv 24, 3, groups=G\n")
    answers = {a.parameter: a for a in domain(path, symbolic=["C"])}
    assert answers["G"].method == "none" and "--symbolic" in answers["G"].note  # divisibility needs a search
    assert answers["H"].method == "exact" and answers["H"].checked  # the others are still answered
    code, out, err = symcnn_cli("solve", path, "--symbolic", "C")
    assert code == 0, err
    assert "  G: not searched: a search needs a value for C" in out and "  H ≥ 3\n" in out
    keep = solve(WHATIF, "P", keep="conv1", symbolic="all")  # with S symbolic, P is under a floor
    assert keep.method == "none" and "not searched" in keep.statement()


LATE_ERROR = (
    "H = 8\ninput 3, H, 8\nconv 4, 3\nexpect conv1.params == 112\nexpect pair1.conv2.params == 148\n"
    "block pair() {\n  conv 4, 3\n  conv 4, 9\n}\npair\n"
)


def test_explain_layer_before_an_invalid_layer(tmp_path, symcnn_cli):
    path = tmp_path / "net.cnn"
    path.write_text(LATE_ERROR)
    for layer in ("conv1", "pair1.conv1"):
        code, out, err = symcnn_cli("explain", path, "--layer", layer)
        assert code == 2
        assert f"{layer} · Conv2d" in out and "params" in out
        assert err.startswith(f"{path}:8:3: error: pair1.conv2: output height must be at least 1")
    code, out, err = symcnn_cli("explain", path, "--layer", "pair1.conv2")  # the invalid layer itself
    assert code == 2 and out == "" and "pair1.conv2: output height" in err
    code, out, err = symcnn_cli("explain", path)  # the whole network: only the error
    assert code == 2 and out == ""


def test_derive_until_a_layer():
    network = symcnn.loads(LATE_ERROR, until="pair1.conv1")
    assert [row.name for row in network.rows] == ["conv1", "pair1.conv1"]
    assert [c.name for c in network.containers] == ["pair1"]  # closed where the derivation stopped
    assert network.containers[0].end == 2
    assert [claim.subject for claim in network.claims] == ["conv1"]


SEED = Path(__file__).resolve().parent.parent / "examples" / "seed.cnn"


def test_check_symbolic_compares_claims_as_formulas(tmp_path, symcnn_cli):
    path = tmp_path / "seed.cnn"
    claims = [
        "expect conv4.params == 19_200",  # no symbol in it: holds
        "expect conv1.shape == (H - 3, W - 3, 20)",  # the same formula
        # written with the floor's constant elsewhere: floor((H - 31)/8) + 1 is floor((H - 23)/8)
        "expect total.params == 8000 * ((H - 31) // 8 + 1) * ((W - 23) // 8) + 48320",
    ]
    path.write_text(SEED.read_text().split("# Every number")[0] + "\n".join(claims) + "\n")
    code, out, err = symcnn_cli("check", path, "--symbolic", "H,W")
    assert (code, err) == (0, "") and "3 of 3 claims hold" in out
    # concrete, the same claims hold too (at H = 39, W = 31)
    assert symcnn_cli("check", path)[0] == 0

    path.write_text(path.read_text() + "expect total.params == 8000 * ((H - 23) // 8) * ((W - 23) // 8) + 48321\n")
    code, out, _ = symcnn_cli("check", path, "--symbolic", "H,W")
    assert code == 1 and ":9: FAIL: expect total.params" not in out and "FAIL: expect total.params" in out
    assert "3 of 4 claims hold; 1 failed" in out


def test_check_symbolic_reports_claims_that_depend_on_the_symbols_as_undecided(symcnn_cli):
    code, out, err = symcnn_cli("check", SEED, "--symbolic", "H")
    assert code == 0, out + err  # undecided is not false: exit 1 is only for a false claim
    assert f"{SEED}:22: UNDECIDED: expect conv1.shape == (36, 28, 20)" in out
    assert "claimed: (36, 28, 20)" in out and "derived: (H − 3, 28, 20)" in out
    assert "    holds at the parameters' values (H = 39)\n" in out  # the notes' slip is still visible:
    assert out.count("does not hold at the parameters' values (H = 39)") == 1
    assert "undecided" in out.splitlines()[-1]
    code, out, _ = symcnn_cli("check", "--help")
    assert "undecided" in out.lower() and "exit 1" in out.lower()


def test_an_error_renames_the_placeholders_that_share_a_parameters_name():
    # The user's S is 9 (the kernel); the stride placeholder S is 1: the message must not read "S = 1".
    error = error_of("S = 9\ninput 1, 8\nconv 1, S\n")
    assert "⌊(N + 2P − F)/S′⌋ + 1 = 0 with N = 8, F = 9, S′ = 1, P = 0" in error.message, error.message
    assert "with N = 8, F = 9, S = 1" in error_of("K = 9\ninput 1, 8\nconv 1, K\n").message  # no collision
