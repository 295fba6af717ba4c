"""The `symbolic` statement: parameters a file keeps as symbols in every command unless told otherwise.

The oracle is the command line's own --symbolic: a file saying `symbolic R` must derive exactly what
`--symbolic R` derives from the same file without the statement, and `--set`, `--symbolic` and
`--symbolic none` take precedence as documented.
"""

from __future__ import annotations

import pytest

import symcnn

BODY = "input 3, R, R\nconv 8, 3, stride=S\nexpect conv1.shape == (8, 15, 15)\n"
PLAIN = "R = 32\nS = 2\n" + BODY
DECLARED = "R = 32\nS = 2\nsymbolic R\n" + BODY


def totals(network) -> dict:
    return {quantity: network.totals[quantity] for quantity in ("params", "macs", "activations")}


def test_the_statement_keeps_its_parameters_symbolic_as_the_option_does():
    declared = symcnn.loads(DECLARED)
    assert totals(declared) == totals(symcnn.loads(PLAIN, symbolic=["R"]))
    assert [p.name for p in declared.parameters.values() if p.symbolic] == ["R"]
    assert declared.totals["macs"].free_symbols  # a formula in R


def test_the_commands_own_symbolic_replaces_it_and_set_gives_a_value():
    assert totals(symcnn.loads(DECLARED, symbolic=["S"])) == totals(symcnn.loads(PLAIN, symbolic=["S"]))
    assert totals(symcnn.loads(DECLARED, symbolic=[])) == totals(symcnn.loads(PLAIN))
    assert totals(symcnn.loads(DECLARED, overrides={"R": 64})) == totals(symcnn.loads(PLAIN, overrides={"R": 64}))


def test_on_the_command_line(symcnn_cli, tmp_path):
    (tmp_path / "declared").mkdir()
    (tmp_path / "plain").mkdir()
    declared, plain = tmp_path / "declared" / "net.cnn", tmp_path / "plain" / "net.cnn"  # one stem: one class name
    declared.write_text(DECLARED)
    plain.write_text(PLAIN)
    outputs = {}
    for name, path, options in [
        ("declared", declared, ()),
        ("option", plain, ("--symbolic", "R")),
        ("none", declared, ("--symbolic", "none")),
        ("concrete", plain, ()),
        ("set", declared, ("--set", "R=40")),
        ("set plain", plain, ("--set", "R=40")),
    ]:
        code, out, err = symcnn_cli("summary", path, *options)
        assert code == 0, err
        outputs[name] = out.replace(str(plain), str(declared))
    assert outputs["declared"] == outputs["option"] and "⌊" in outputs["declared"]
    assert outputs["none"] == outputs["concrete"] and outputs["set"] == outputs["set plain"]
    # check: undecided as a formula, and said at the file's value, where it holds
    code, out, _ = symcnn_cli("check", declared)
    assert code == 0 and "UNDECIDED" in out and "holds at the parameters' values (R = 32)" in out
    code, out, _ = symcnn_cli("check", declared, "--set", "R=40")
    assert code == 1 and "FAIL" in out
    # commands that need numbers take the file's values
    for command in (("sweep", "--vary", "S=1,2"), ("solve", "--for", "R"), ("export", "--to", "torch")):
        swept = [symcnn_cli(command[0], path, *command[1:]) for path in (declared, plain)]
        assert swept[0][0] == swept[1][0] == 0
        assert swept[0][1].replace(str(declared), "") == swept[1][1].replace(str(plain), "")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("R = 32\nsymbolic R, Q\ninput 3, R, R\n", ":2:13:", "unknown parameter 'Q'"),
        ("symbolic R\ninput 3, 8, 8\n", ":1:10:", "unknown parameter 'R'"),
        ("R = 8\nblock b() { symbolic R }\ninput 3, R, R\nb\n", ":2:13:", "only allowed at the top level"),
        ("R = 8\nsymbolic\ninput 3, R, R\n", ":2:", ""),
    ],
)
def test_errors_name_the_place(symcnn_cli, tmp_path, text, where, message):
    path = tmp_path / "bad.cnn"
    path.write_text(text)
    code, _, err = symcnn_cli("summary", path)
    assert code == 2 and f"{path}{where}" in err and message in err and "Traceback" not in err


def test_the_documented_example_keeps_R_symbolic():
    from test_docs import EXAMPLES

    (example,) = [text for text in EXAMPLES if "\nsymbolic R\n" in text]
    network = symcnn.loads(example)
    assert network.parameters["R"].symbolic and not network.parameters["alpha"].symbolic
    assert network.totals["macs"].free_symbols  # a formula (in R, through the layers' sizes)
    assert not symcnn.loads(example, symbolic=[]).totals["macs"].free_symbols
