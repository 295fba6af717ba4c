"""symcnn solve: domains and targets, exact or searched, each answer checked by fresh derivations."""

from pathlib import Path

import pytest

import symcnn
from symcnn.whatif import WhatIfError
from symcnn.whatif.solve import Interval, domain, solve

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
WHATIF = ROOT / "examples" / "whatif.cnn"


def params(path, **values):
    """total params by a fresh derivation, or None where the network is invalid."""
    try:
        return symcnn.load(str(path), overrides=values).totals["params"]
    except symcnn.SymcnnError:
        return None


def test_seed_domain_is_h_and_w_at_least_31(symcnn_cli):
    h, w = domain(SEED)
    assert (h.parameter, h.intervals, h.method, h.layers) == ("H", [Interval(31, None)], "exact", ("conv4",))
    assert (w.parameter, w.intervals) == ("W", [Interval(31, None)])
    for answer in (h, w):
        assert answer.checked
        assert {(tuple(t.values.values()), t.holds) for t in answer.trials} == {((30,), False), ((31,), True)}
    code, out, err = symcnn_cli("solve", SEED)
    assert code == 0, err
    assert "  H ≥ 31\n" in out and "  W ≥ 31\n" in out
    assert "checked by fresh derivations, as expected" in out
    assert "H = 30: does not hold; fails: conv4: output height must be at least 1" in out


def test_domain_upper_bounds_searches_and_values_below_the_assumption():
    answers = {a.parameter: a for a in domain(WHATIF)}
    assert answers["F"].intervals == [Interval(1, 18)] and answers["F"].method == "exact"
    assert answers["P"].intervals == [Interval(0, None)]  # P's value 1 made it positive; 0 derives too
    # floor((H - 3S - 1)/(4S)) + 1 >= 1 reduces to H >= 3S + 1 (symcnn.conditions): exact, not searched
    assert answers["S"].method == "exact" and answers["S"].intervals == [Interval(1, 21)]
    assert all(a.checked for a in answers.values())
    assert params(WHATIF, S=21) is not None and params(WHATIF, S=22) is None
    assert params(WHATIF, F=18) is not None and params(WHATIF, F=19) is None


def test_an_unused_parameter_takes_any_value(tmp_path):
    path = tmp_path / "unused.cnn"
    path.write_text("Z = 5\ninput 3, 8, 8\nconv 4, 3\n")
    (answer,) = domain(path)
    assert answer.intervals == [Interval(None, None)] and answer.statement() == "any Z"


GROUPS = "G = 1\ninput 12, 16, 16\nconv 24, 3, groups=G\n"


def test_divisibility_is_searched_and_checked(tmp_path):
    path = tmp_path / "groups.cnn"
    path.write_text(GROUPS)
    (answer,) = domain(path, search=(1, 100))
    assert answer.method == "search"
    assert answer.intervals == [Interval(1, 4), Interval(6, 6), Interval(12, 12)]
    assert answer.statement() == "G ∈ {1..4, 6, 12}"
    assert answer.checked
    assert [g for g in range(1, 30) if params(path, G=g) is not None] == [1, 2, 3, 4, 6, 12]


def test_padding_that_keeps_the_size_is_half_the_kernel_less_one(symcnn_cli):
    answer = solve(WHATIF, "P", keep="conv1", symbolic=["F"])
    (formula,) = answer.formulas
    assert formula == (symbolic_f() - 1) / 2
    assert answer.integer_when == "F is odd"
    assert answer.statement() == "P = (F − 1)/2, a whole number when F is odd"
    assert answer.checked and len(answer.trials) == 3
    for f in (1, 3, 5, 7, 9, 11):  # independently: the formula keeps 64 x 64 at every odd kernel
        row = symcnn.load(str(WHATIF), overrides={"F": f, "P": (f - 1) // 2}).row("conv1")
        assert row.output.spatial == row.input.spatial
    code, out, _ = symcnn_cli("solve", WHATIF, "--for", "P", "--keep", "conv1", "--symbolic", "F")
    assert code == 0 and "P = (F − 1)/2, a whole number when F is odd" in out
    assert "F = 5, P = 2: holds; conv1 maps (64, 64) to (64, 64)" in out


def symbolic_f():
    return symcnn.load(str(WHATIF), symbolic=["F"]).parameters["F"].value


def test_no_padding_keeps_an_even_kernel_size():
    answer = solve(WHATIF, "P", keep="conv1", overrides={"F": 4})
    assert answer.intervals == [] and answer.statement() == "no value of P"
    assert solve(WHATIF, "P", keep="conv1").intervals == [Interval(1, 1)]


def test_largest_channel_count_under_a_parameter_budget(symcnn_cli):
    answer = solve(WHATIF, "C", target="total.params <= 1_000_000")
    assert answer.method == "exact" and answer.intervals == [Interval(1, 119)] and answer.largest == 119
    assert "zero at C = (sqrt(14947969) − 1717)/18" in answer.note
    assert answer.checked
    assert params(WHATIF, C=119) <= 1_000_000 < params(WHATIF, C=120)
    code, out, _ = symcnn_cli("solve", WHATIF, "--for", "C", "--target", "total.params <= 1_000_000")
    assert code == 0 and "1 ≤ C ≤ 119: the largest is C = 119" in out
    assert "C = 120: does not hold; total.params = 1,006,930" in out


def test_at_least_a_budget():
    answer = solve(WHATIF, "C", target="total.params >= 2_000_000")
    assert answer.intervals == [Interval(194, None)] and answer.checked
    assert params(WHATIF, C=193) < 2_000_000 <= params(WHATIF, C=194)


def test_a_target_under_floors_is_searched_over_a_stated_range():
    answer = solve(WHATIF, "H", target="total.params <= 1_000_000", search=(1, 5000))
    assert answer.method == "search" and answer.searched == (1, 5000)
    assert answer.intervals == [Interval(4, 379)] and answer.checked
    fresh = {h: params(WHATIF, H=h) for h in [*range(1, 8), *range(370, 390)]}
    assert [h for h, p in fresh.items() if p is not None and p <= 1_000_000] == [*range(4, 8), *range(370, 380)]


def test_a_search_that_reaches_its_end_says_so():
    answer = solve(WHATIF, "H", target="total.params >= 0", search=(1, 50))
    assert answer.intervals == [Interval(4, None)]
    assert "the search stopped at 50" in answer.note


def test_shape_targets():
    answer = solve(WHATIF, "W", target="conv3.shape == (64, 32, 16)")
    assert answer.intervals == [Interval(32, 33)] and answer.checked  # maxpool floors 33 to 16
    answer = solve(WHATIF, "P", target="conv2.shape == (32, H, W)", symbolic=["F"])
    assert answer.statement() == "P = (F − 1)/2, a whole number when F is odd"


def test_fractional_parameters_are_not_searched(tmp_path):
    path = tmp_path / "alpha.cnn"
    path.write_text("alpha = 1/2\ninput 3, 8, 8\nconv 32 * alpha, 3\n")
    (answer,) = domain(path)
    assert answer.method == "none" and "fractional" in answer.statement()
    exact = solve(path, "alpha", target="total.params == 3 * 9 * 8 + 8")
    assert exact.formulas == [symcnn.load(str(path)).parameters["alpha"].default / 2] and exact.checked


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--for", "Q"], "unknown parameter 'Q'"),
        (["--for", "H", "--target", "total.parms <= 5"], "did you mean 'params'?"),
        (["--for", "H", "--target", "total.params < 5"], "a target is SUBJECT.QUANTITY == VALUE"),
        (["--for", "H", "--target", "conv1.shape == 5"], "conv1.shape is a shape of 3 dims"),
        (["--target", "total.params <= 5"], "one --for NAME"),
        (["--for", "H", "--keep", "conv9"], "unknown layer 'conv9'"),
        (["--for", "H", "--search", "9:1"], "the range is empty"),
        (["--for", "H", "--target", "total.params <= 5", "--keep", "conv1"], "not both"),
    ],
)
def test_bad_requests_exit_2(symcnn_cli, arguments, message):
    code, out, err = symcnn_cli("solve", SEED, *arguments)
    assert code == 2 and message in err and "Traceback" not in err


def test_api_errors_are_symcnn_errors():
    with pytest.raises(WhatIfError):
        solve(SEED, "H")


def test_symbolic_all_keeps_every_other_parameter_symbolic():
    h, w = domain(SEED, symbolic="all")
    assert h.intervals == [Interval(31, None)] and h.others["W"].is_Symbol and h.checked
    (s,) = domain(WHATIF, ["S"], symbolic="all")
    assert s.remaining and s.layers == ()  # its conditions all involve the other symbols too
    keep = solve(WHATIF, "P", keep="conv1", symbolic="all")  # with S symbolic, P is under a floor
    assert keep.method == "none" and "a search needs a value for" in keep.note


def test_a_dependent_parameter_kept_symbolic_is_held_at_its_value_in_the_checks(tmp_path, symcnn_cli):
    # C = S + 4 kept symbolic is a symbol of its own, so the answer for S holds with C at its value, 7;
    # the fresh derivations must hold it there too, not let it follow S (at S = 1, C = 5 does not divide 7).
    path = tmp_path / "dependent.cnn"
    path.write_text("S = 3\nC = S + 4\ninput 7, 8\nconv 7, S, groups=C\n")
    (s,) = domain(path, ["S"], symbolic="all")
    assert s.intervals == [Interval(1, 8)] and s.checked, [(t.values, t.detail) for t in s.trials]
    assert all(t.values["C"] == 7 for t in s.trials)
    (s,) = domain(path, ["S"])  # C not symbolic: it follows S, in the answer and in the checks
    assert s.method == "search" and s.intervals == [Interval(3, 3)] and s.checked
    target = solve(path, "S", "conv1.shape == (7, 6)", symbolic=["C"])
    assert target.intervals == [Interval(3, 3)] and target.checked, [(t.values, t.detail) for t in target.trials]
    code, out, err = symcnn_cli("solve", path, "--symbolic", "all")
    assert code == 0 and "S = 1, C = 7: holds" in out, out + err


def test_a_parameter_the_file_decides_on_is_not_solved_and_the_others_still_are(tmp_path, symcnn_cli):
    # A repeat count, a rounded width or a condition needs a value: kept symbolic it has no formula. The default
    # question (every parameter) says so for that one and answers the others; it used to stop with exit 2.
    path = tmp_path / "decides.cnn"
    text = "n = 2\nwidth = 12\nR = 32\ninput 3, R, R\nrepeat n { conv round(width * 0.75), 3 }\n"
    path.write_text(text + "conv 8, 3 if width > 8 else 1\n")
    answers = {a.parameter: a for a in domain(path)}
    assert answers["R"].intervals == [Interval(7, None)] and answers["R"].checked
    for name, line, reason in (("n", 5, "repeat needs"), ("width", 5, "round needs a value")):
        assert answers[name].method == "none" and answers[name].trials == []
        assert f"(line {line})" in answers[name].note and reason in answers[name].note
    assert all(params(path, R=r) is None for r in range(1, 7)) and params(path, R=7) is not None
    code, out, err = symcnn_cli("solve", path)
    assert code == 0, err
    assert "  n: not solved: the file decides on its value (line 5), so it cannot be kept symbolic" in out
    assert "  R ≥ 7\n" in out
