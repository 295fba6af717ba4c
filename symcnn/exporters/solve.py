"""`symcnn solve` as terminal text: each answer, how it was found, and the fresh derivations that check it."""

from __future__ import annotations

from ..notation import textbook, to_ascii
from ..whatif.solve import VALID
from .text import title_dot


def render(answers, unicode: bool = True, file: str = "", question: str = "") -> str:
    """The answers (symcnn.whatif.solve.Answer) to `question` about `file`."""
    lines = [f"{file}{title_dot(unicode)}{question}"]
    for answer in answers:
        lines.extend(_answer_lines(answer, unicode))
    text = "\n".join(lines) + "\n"
    return text if unicode else to_ascii(text)


def _answer_lines(answer, unicode: bool) -> list[str]:
    lines = [f"  {answer.statement(unicode)}"]
    if answer.question != VALID and answer.largest is not None and answer.intervals[-1].low != answer.largest:
        lines[0] += f": the largest is {answer.parameter} = {answer.largest:,}"
    symbolic = [name for name, value in answer.others.items() if value.is_Symbol]
    if answer.method == "search":
        low, high = answer.searched
        lines.append(f"    by integer search over {answer.parameter} = {low:,}..{high:,} with the compiled network")
    elif answer.method == "exact":
        conditions = f"the conditions of {', '.join(answer.layers)}" if answer.layers else ""
        how = (
            f"from {conditions or 'the derivation'}"
            if answer.question == VALID
            else "solved on the closed forms" + (f" and {conditions}" if conditions else "")
        )
        lines.append(f"    exact, {how}" + (f"; {', '.join(symbolic)} kept symbolic" if symbolic else ""))
    if answer.note and answer.method != "none":
        lines.append(f"    {answer.note}")
    for requirement in answer.remaining:
        lines.append(f"    also needs {textbook(requirement.predicate, unicode)}   [{', '.join(requirement.layers)}]")
    if answer.trials:
        verdict = "as expected" if answer.checked else "NOT as expected: please report this"
        lines.append(f"    checked by fresh derivations, {verdict}:")
        for trial in answer.trials:
            where = ", ".join(f"{name} = {value}" for name, value in trial.values.items())
            mark = (
                ("holds" if trial.holds else "does not hold")
                if trial.ok
                else ("HOLDS" if trial.holds else "DOES NOT HOLD")
            )
            lines.append(f"      {where}: {mark}; {trial.detail}")
    elif answer.method != "none" and not answer.formulas:
        lines.append("    not checked: no value to derive at")
    return lines
