"""symcnn diff and symcnn sensitivity: against fresh derivations, and MobileNet's alpha² scaling."""

from fractions import Fraction
from pathlib import Path

import pytest
from sympy import Symbol, expand

import symcnn
from symcnn.whatif.diff import diff
from symcnn.whatif.sensitivity import sensitivity

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed.cnn"
WHATIF = ROOT / "examples" / "whatif.cnn"


def test_diff_of_one_file_at_two_settings_matches_fresh_derivations(symcnn_cli):
    comparison = diff(WHATIF, set_a={"F": 3}, set_b={"F": 5})
    a = symcnn.load(str(WHATIF), overrides={"F": 3})
    b = symcnn.load(str(WHATIF), overrides={"F": 5})
    for change in comparison.layers:
        row_a, row_b = a.row(change.name), b.row(change.name)
        assert change.shape == (row_a.output.dims, row_b.output.dims)
        assert change.values["params"] == (row_a.params, row_b.params)
        assert change.delta("macs") == row_b.macs - row_a.macs
    assert comparison.delta("params") == b.totals["params"] - a.totals["params"] == 12_288
    assert [c.name for c in comparison.changed] == [row.name for row in a.rows]  # every shape shrinks
    code, out, _ = symcnn_cli("diff", WHATIF, "--set-a", "F=3", "--set-b", "F=5")
    assert code == 0
    assert "Total params: 192,490 → 204,778   Δ +12,288 (+6.4%)" in out
    assert "896 → 2,432" in out and "+1,536" in out


def test_symbolic_difference_is_a_formula_that_evaluates_right():
    comparison = diff(WHATIF, set_a={"F": 3}, set_b={"F": 5}, symbolic=["H", "W"])
    delta = comparison.delta("params")
    h, w = Symbol("H", integer=True, positive=True), Symbol("W", integer=True, positive=True)
    assert delta.free_symbols == {h, w}
    for height, width in ((64, 64), (37, 90), (200, 31)):
        a = symcnn.load(str(WHATIF), overrides={"F": 3, "H": height, "W": width})
        b = symcnn.load(str(WHATIF), overrides={"F": 5, "H": height, "W": width})
        assert delta.xreplace({h: height, w: width}) == b.totals["params"] - a.totals["params"]
    conv1 = next(c for c in comparison.layers if c.name == "conv1")
    assert conv1.delta("macs") == expand(2400 * (h - 2) * (w - 2) - 864 * h * w)


def test_diff_of_two_files_lists_added_and_removed_layers(symcnn_cli):
    comparison = diff(SEED, WHATIF)
    status = {change.name: change.status for change in comparison.layers}
    assert status["conv4"] == "removed" and status["relu1"] == "added" and status["conv1"] == "changed"
    code, out, _ = symcnn_cli("diff", SEED, SEED)
    assert code == 0 and "no layer differs" in out


MOBILE = """
alpha = 1
rho = 1
input 3, 224 * rho, 224 * rho
conv 32 * alpha, 3, stride=2, padding=1; batchnorm; relu
conv 32 * alpha, 3, padding=1, groups=32 * alpha; batchnorm; relu
conv 64 * alpha, 1; batchnorm; relu
conv 64 * alpha, 3, stride=2, padding=1, groups=64 * alpha; batchnorm; relu
conv 128 * alpha, 1; batchnorm; relu
globalavgpool
dense 1000
"""


@pytest.mark.parametrize("alpha", ["1", "1/2"])  # a whole-number symbol, and a fractional one
def test_mobilenet_params_grow_as_alpha_squared_and_macs_as_alpha_squared_rho_squared(tmp_path, alpha):
    path = tmp_path / "mobile.cnn"
    path.write_text(MOBILE.replace("alpha = 1", f"alpha = {alpha}"))
    result = sensitivity(path)
    growth = {(g.quantity, g.parameter): g for g in result.growth}
    a, r = (result.network.parameters[name].value for name in ("alpha", "rho"))
    assert growth["params", "alpha"].degree == 2 and growth["params", "alpha"].leading.as_poly(a).monoms() == [(2,)]
    assert growth["params", "rho"].degree == 0
    assert growth["macs", "alpha"].degree == 2 and growth["macs", "rho"].degree == 2
    joint = growth["macs", None]
    assert joint.degree == 4 and joint.leading.as_poly(a, r).monoms() == [(2, 2)]
    assert growth["params", None].leading.as_poly(a, r).monoms() == [(2, 0)]


def test_shares_sum_to_exactly_one_hundred_percent_and_match_derivations():
    result = sensitivity(SEED)
    concrete = symcnn.load(str(SEED))
    for quantity in ("params", "macs"):
        shares = [s for s in result.shares if s.quantity == quantity]
        assert sum(s.percent for s in shares) == 100
        for share in shares:
            expected = Fraction(100 * int(getattr(concrete.row(share.layer), quantity)), int(concrete.totals[quantity]))
            assert share.percent == expected
    conv4 = next(s for s in result.shares if s.layer == "dense1" and s.quantity == "params")
    assert (
        str(conv4.formula)
        == "8000*floor((H - 23)/8)*floor((W - 23)/8)/(8000*floor((H - 23)/8)*floor((W - 23)/8) + 48320)"
    )


def test_derivatives_relaxed_and_exact_steps():
    result = sensitivity(SEED)
    d = {(x.quantity, x.parameter): x for x in result.derivatives}
    h, w = (result.network.parameters[name].value for name in "HW")
    assert d["params", "H"].formula == 125 * w - 2875 and d["params", "H"].value == 1000
    for (quantity, name), derivative in d.items():
        values = {"H": 39, "W": 31}
        before = symcnn.load(str(SEED), overrides=values).totals[quantity]
        after = symcnn.load(str(SEED), overrides={**values, name: values[name] + 1}).totals[quantity]
        assert derivative.step == after - before


def test_sensitivity_cli(symcnn_cli):
    code, out, _ = symcnn_cli("sensitivity", SEED)
    assert code == 0
    assert "dense1" in out and "24.9%" in out
    assert "params in all together: degree 2, ~ 125·H·W" in out
    assert "∂params/∂H = 125W − 2875 = 1,000; exact change for H + 1: 0" in out
    code, _, err = symcnn_cli("sensitivity", SEED, "--wrt", "Q")
    assert code == 2 and "'Q' is not a symbolic parameter" in err
