"""Solving: the values of a parameter for which the network is valid, or for which a target holds.

Exact where SymPy can say: bounds from the validity conditions
(symcnn.conditions), and equations or polynomial inequalities in the
parameter, solved on closed forms in which it is not under a floor. Otherwise
an integer search over a stated range with the compiled network
(symcnn.whatif.compile). Either way each answer is checked by deriving the
network afresh at its ends and just beyond them, and says so.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from sympy import (
    Add,
    Basic,
    Dummy,
    Eq,
    Ge,
    Le,
    Max,
    Min,
    Mod,
    Poly,
    expand,
    fraction,
    real_roots,
    solve as sympy_solve,
    together,
)
from sympy.polys.polyerrors import PolynomialError

from ..conditions import summarize
from ..errors import NeedsValueError, Span, SymcnnError
from ..intdiv import CeilDiv, FloorDiv
from ..notation import group_digits, textbook
from .compile import compile_network
from .load import Source
from .spec import Target, WhatIfError, keep_target, parse_target
from .sweep import evaluate_grid

SEARCH_TOP = 1_000_000  # a search's default upper end
FORMULA_TRIALS = 3  # sample points at which a formula answer is checked
_UNSOLVABLE = (FloorDiv, CeilDiv, Min, Max, Mod)  # SymPy's solvers cannot see through these
_RELATION = {"==": Eq, "<=": Le, ">=": Ge}
_COMPARE = {"==": operator.eq, "<=": operator.le, ">=": operator.ge}
VALID = "every layer valid"


@dataclass(frozen=True)
class Interval:
    """The integers low..high, both included; None is no end."""

    low: int | None
    high: int | None

    def text(self, name: str, unicode: bool = True) -> str:
        ge, le = ("≥", "≤") if unicode else (">=", "<=")
        if self.low is None and self.high is None:
            return f"any {name}"
        if self.low is None:
            return f"{name} {le} {self.high}"
        if self.high is None:
            return f"{name} {ge} {self.low}"
        return f"{name} = {self.low}" if self.low == self.high else f"{self.low} {le} {name} {le} {self.high}"


@dataclass(frozen=True)
class Trial:
    """A fresh derivation at `values` that checks an answer: the target should hold there, or not."""

    values: dict
    expected: bool
    holds: bool
    detail: str  # what the derivation gave, or why it failed

    @property
    def ok(self) -> bool:
        return self.expected == self.holds


@dataclass
class Answer:
    """The solutions for one parameter, how they were found, and the derivations that check them."""

    parameter: str
    question: str  # VALID, or the target
    method: str = "exact"  # or "search"
    intervals: list[Interval] = field(default_factory=list)  # the integer solutions
    formulas: list[Basic] = field(default_factory=list)  # solutions in other parameters kept symbolic
    integer_when: str | None = None  # when the formulas are integers, e.g. "F is odd"
    searched: tuple[int, int] | None = None
    layers: tuple[str, ...] = ()  # the layers whose conditions bound it
    note: str | None = None
    remaining: list = field(default_factory=list)  # conditions that also involve other symbolic parameters
    others: dict = field(default_factory=dict)  # the other parameters' values
    held: dict = field(default_factory=dict)  # other symbolic parameters computed from others, at their values
    trials: list[Trial] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return bool(self.trials) and all(trial.ok for trial in self.trials)

    @property
    def largest(self) -> int | None:
        return self.intervals[-1].high if self.intervals else None

    def statement(self, unicode: bool = True) -> str:
        name = self.parameter
        if self.method == "none":
            return f"{name}: {self.note}"
        if self.formulas:
            text = " or ".join(f"{name} = {formula_text(f, unicode)}" for f in self.formulas)
            return text + (f", a whole number when {self.integer_when}" if self.integer_when else "")
        if not self.intervals:
            return f"no value of {name}" + (" (and no condition in it alone)" if self.remaining else "")
        if len(self.intervals) == 1:
            return self.intervals[0].text(name, unicode)
        shown = [
            f"{i.low}" if i.low == i.high else f"{'' if i.low is None else i.low}..{'' if i.high is None else i.high}"
            for i in self.intervals
        ]
        return (
            f"{name} ∈ {{{', '.join(shown[:12])}{', …' if len(shown) > 12 else ''}}}"
            if unicode
            else f"{name} in {{{', '.join(shown[:12])}}}"
        )


def formula_text(expr: Basic, unicode: bool = True) -> str:
    """A solution as a fraction over its common denominator: (F − 1)/2 rather than F/2 − 1/2."""
    numerator, denominator = fraction(together(expr))
    if denominator == 1:
        return textbook(expr, unicode)
    top = textbook(numerator, unicode)
    return (
        f"({top})/{textbook(denominator, unicode)}"
        if isinstance(numerator, Add)
        else f"{top}/{textbook(denominator, unicode)}"
    )


# The questions ---------------------------------------------------------------------------


def domain(
    source, parameters: Iterable[str] | None = None, overrides=None, symbolic: Iterable[str] = (), search=None
) -> list[Answer]:
    """For each parameter (all by default), the values for which every layer is valid.

    The other parameters keep their values, except those in `symbolic` (or
    all, for "all"); a condition that also involves those is reported, not solved.
    """
    problem = Source(source, overrides)
    kept = [] if symbolic == "all" else list(symbolic)
    names = list(parameters) if parameters else [name for name in problem.parameters if name not in kept]
    problem.check_names([*names, *kept], _spans("--for", names) | _spans("--symbolic", kept))
    return [_solve(problem, name, None, _other_symbols(problem, name, symbolic), search) for name in names]


def solve(
    source,
    parameter: str,
    target: str | Target | None = None,
    keep: str | None = None,
    overrides=None,
    symbolic: Iterable[str] = (),
    search=None,
) -> Answer:
    """The values of `parameter` for which `target` holds and every layer is valid.

    `target` is a claim such as "total.params <= 1_000_000" or
    "conv1.shape == (16, H, W)" (quantities as in `expect`); `keep` names a
    layer whose output must keep its input's spatial size. `search` is the
    (low, high) range of an integer search, used where no exact answer is found.
    """
    if (target is None) == (keep is None):
        raise WhatIfError(
            "give a target or a layer to keep, not both or neither",
            hint='e.g. --keep conv1, or --target "total.params <= 1_000_000"',
        )
    goal = keep_target(keep) if keep is not None else parse_target(target) if isinstance(target, str) else target
    problem = Source(source, overrides)
    kept = [] if symbolic == "all" else list(symbolic)
    problem.check_names([parameter, *kept], _spans("--for", [parameter]) | _spans("--symbolic", kept))
    return _solve(problem, parameter, goal, _other_symbols(problem, parameter, symbolic), search)


def _other_symbols(problem: Source, name: str, symbolic) -> list[str]:
    """The parameters kept symbolic besides `name`: those named, or every other for "all"."""
    return [n for n in problem.parameters if n != name and (symbolic == "all" or n in symbolic)]


def _spans(option: str, names) -> dict[str, Span]:
    return {name: Span(option, 1, 1, len(name) + 1, text=name) for name in names}


def _solve(problem: Source, name: str, goal: Target | None, symbolic: list[str], search) -> Answer:
    try:
        network = problem.derive([name, *symbolic])
    except NeedsValueError as error:  # e.g. a width the file rounds: it has no formula to solve
        where = f" (line {error.span.line})" if error.span else ""
        note = f"not solved: the file decides on its value{where}, so it cannot be kept symbolic ({error.message})"
        return Answer(name, VALID if goal is None else goal.text, method="none", note=note)
    x = network.parameters[name].value
    answer = Answer(
        name, VALID if goal is None else goal.text, others=_others(network, name), held=_held(network, name)
    )
    relations = goal.relations(network) if goal is not None else []
    # The least value the derivation assumed the symbol to have (1 if the file's value is positive).
    lowest = (1 if x.is_positive else 0 if x.is_nonnegative else None) if x.is_integer else None
    valid, alone = _validity(network, x, lowest, answer)
    exact = _exact(network, x, relations, lowest) if relations or not alone else None
    if exact is not None and alone:
        exact = _screen(exact, alone, x)
    if exact is not None and exact[0] == "formulas":
        answer.formulas = exact[1]
        # Conditions the solution meets whatever the other symbols are need not be listed.
        answer.remaining = [
            r for r in [*answer.remaining, *alone] if any(r.predicate.xreplace({x: f}) != True for f in exact[1])
        ]  # noqa: E712
        answer.integer_when = _integer_when(exact[1]) if x.is_integer else None
        answer.trials = _formula_trials(problem, goal, answer, network, exact[1], lowest)
        return answer
    if not x.is_integer:
        answer.method = "none"
        answer.note = "fractional, so not searched: any value that keeps every count whole and every condition"
        return answer
    if exact is None:
        others = [s.name for s in network.symbols if s != x]
        if others:  # a search evaluates numbers; the other questions of the command are still answered
            answer.method = "none"
            answer.note = f"not searched: a search needs a value for {', '.join(others)}; drop it from --symbolic"
            return answer
        answer.method = "search"
        answer.intervals, answer.searched = _search(network, x, relations, _search_range(search, lowest), answer)
    else:
        answer.intervals, answer.note = _intersect(exact[1], valid), exact[2]
    _extend_below(problem, goal, answer, lowest)
    answer.trials = _end_trials(problem, goal, answer, network)
    return answer


def _others(network, name: str) -> dict:
    return {n: p.value for n, p in network.parameters.items() if n != name}


def _held(network, name: str) -> dict:
    """The other symbolic parameters that the file computes from others (C = S + 4), at their values.

    Kept symbolic, such a parameter is a symbol of its own, so the answer is about the network
    with it at its value (7), whatever the parameter solved for is. The fresh derivations that
    check the answer must hold it there: left to the file, it would follow (C = 5 at S = 1).
    """
    values = network.assign({})
    return {
        n: values[p.value] for n, p in network.parameters.items() if n != name and p.symbolic and p.default.free_symbols
    }


def _validity(network, x, lowest, answer: Answer) -> tuple[list[Interval], list]:
    """The values of x the conditions allow, as bounds, and the conditions in x alone that are not bounds.

    Conditions that also involve other symbolic parameters go to `answer.remaining`.
    """
    lower, upper, alone, layers = lowest, None, [], []
    for requirement in summarize(network):
        predicate = requirement.predicate
        if x not in getattr(predicate, "free_symbols", ()):
            continue
        if isinstance(predicate, (Ge, Le)) and predicate.lhs == x and predicate.rhs.is_Integer:
            value = int(predicate.rhs)
            if isinstance(predicate, Ge):
                lower = value if lower is None else max(lower, value)
            else:
                upper = value if upper is None else min(upper, value)
        elif predicate.free_symbols == {x}:
            alone.append(requirement)
        else:
            answer.remaining.append(requirement)
            continue
        layers.extend(requirement.layers)
    answer.layers = tuple(dict.fromkeys(layers))
    empty = lower is not None and upper is not None and lower > upper
    return ([] if empty else [Interval(lower, upper)]), alone


# Exact answers ---------------------------------------------------------------------------


def _exact(network, x, relations, lowest):
    """("points", intervals, note) or ("formulas", [solutions]) from closed forms, or None."""
    closed = []
    for lhs, op, rhs in relations:
        forms = network.closed_form(lhs), network.closed_form(rhs)
        if None in forms:
            return None
        difference = expand(forms[0] - forms[1])
        if any(x in node.free_symbols for node in difference.atoms(*_UNSOLVABLE)):
            return None
        closed.append((difference, op))
    others = {s for difference, _ in closed for s in difference.free_symbols} - {x}
    for difference, op in [(d, op) for d, op in closed if x not in d.free_symbols]:
        if not difference.is_Number:
            return None
        if not _COMPARE[op](difference, 0):
            return "points", [], None
    involved = [(d, op) for d, op in closed if x in d.free_symbols]
    if not involved:
        return "points", [Interval(lowest, None)], None
    if all(op == "==" for _, op in involved):
        return _equations(x, [d for d, _ in involved], others, lowest)
    if len(involved) == 1 and not others and x.is_integer:
        return _inequality(x, *involved[0], lowest)
    return None


def _equations(x, differences, others, lowest):
    unknown = Dummy(x.name)  # no assumptions: SymPy would drop solutions it cannot prove integer
    equations = [d.xreplace({x: unknown}) for d in differences]
    solutions = [
        s
        for s in sympy_solve(equations[0], unknown)
        if s.is_real is not False and all(expand(e.xreplace({unknown: s})) == 0 for e in equations[1:])
    ]
    if others or not x.is_integer:
        return "formulas", solutions
    points = sorted(int(s) for s in solutions if s.is_Integer and (lowest is None or s >= lowest))
    return "points", [Interval(p, p) for p in points], None


def _inequality(x, difference, op, lowest):
    """Integer solutions of a polynomial inequality: exact signs around each real root."""
    try:
        polynomial = Poly(difference if op == "<=" else -difference, x)  # now: polynomial <= 0
    except PolynomialError:
        return None
    if not all(c.is_Rational for c in polynomial.all_coeffs()):
        return None
    roots = real_roots(polynomial)
    # Every real root lies within 2 of these integers, so between them the sign cannot change.
    marks = {int(root.evalf(60)) + step for root in roots for step in (-2, -1, 0, 1, 2)}
    start = lowest if lowest is not None else min(marks, default=0) - 1
    marks = sorted({m for m in marks if m >= start} | {start})
    probes = []  # (first integer of a stretch of equal sign, last integer or None)
    for here, following in zip(marks, marks[1:] + [None]):
        probes.append((here, here))
        if following is None:
            probes.append((here + 1, None))
        elif following > here + 1:
            probes.append((here + 1, following - 1))
    intervals: list[Interval] = []
    for low, high in probes:
        if polynomial.eval(low) > 0:
            continue
        if intervals and intervals[-1].high is not None and intervals[-1].high == low - 1:
            intervals[-1] = Interval(intervals[-1].low, high)
        else:
            intervals.append(Interval(low, high))
    if lowest is None and intervals and intervals[0].low == start and polynomial.eval(start - 1) <= 0:
        intervals[0] = Interval(None, intervals[0].high)
    relevant = [root for root in roots if lowest is None or root >= lowest - 1]
    boundary = " and ".join(f"{formula_text(root)} ≈ {float(root.evalf(15)):,.6g}" for root in relevant)
    note = (
        f"as a polynomial, the target is {textbook(polynomial.as_expr())} ≤ 0, zero at {x} = {boundary}"
        if relevant
        else None
    )
    return "points", intervals, note


def _screen(exact, conditions, x):
    """Exact solutions that are single values, kept where `conditions` (in x alone) hold; None otherwise.

    A stretch of values cannot be screened this way: it is searched instead.
    """
    kind, solutions = exact[0], exact[1]
    values = solutions if kind == "formulas" else [i.low for i in solutions if i.low == i.high]
    if kind == "points" and len(values) != len(solutions):
        return None
    if any(v.free_symbols for v in values if kind == "formulas"):
        return exact  # in other symbols: the conditions stay with the answer, as `remaining`
    kept = [v for v in values if all(c.predicate.xreplace({x: v}) == True for c in conditions)]  # noqa: E712
    return (kind, kept) if kind == "formulas" else (kind, [Interval(v, v) for v in kept], exact[2])


def _integer_when(formulas) -> str | None:
    """When a formula in other integer parameters is a whole number, e.g. (F − 1)/2 when F is odd."""
    conditions = []
    for formula in formulas:
        numerator, denominator = fraction(together(formula))
        if denominator == 1:
            continue
        symbols = sorted(numerator.free_symbols, key=str)
        if denominator == 2 and len(symbols) == 1 and Poly(numerator, symbols[0]).degree() == 1:
            a, b = Poly(numerator, symbols[0]).all_coeffs()
            if a % 2:
                conditions.append(f"{symbols[0]} is {'odd' if b % 2 else 'even'}")
                continue
        conditions.append(f"{textbook(denominator)} divides {textbook(numerator)}")
    return " and ".join(conditions) or None


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result = []
    for first in a:
        for second in b:
            low = max((v for v in (first.low, second.low) if v is not None), default=None)
            high = min((v for v in (first.high, second.high) if v is not None), default=None)
            if low is None or high is None or low <= high:
                result.append(Interval(low, high))
    return result


# Search ----------------------------------------------------------------------------------


def _search_range(search, lowest) -> tuple[int, int]:
    low, high = search if search is not None else (lowest if lowest is not None else -SEARCH_TOP, SEARCH_TOP)
    if lowest is not None and low < lowest:
        low = lowest  # below it the derivation's assumptions about the symbol do not hold
    if high < low:
        raise WhatIfError(f"the search range {low}..{high} is empty", hint="e.g. --search 1:100000")
    return low, high


def _search(network, x, relations, span: tuple[int, int], answer: Answer):
    """Every integer of `span` where the network is valid and the relations hold, by compiled evaluation."""
    targets = {f"target {i}": _RELATION[op](lhs, rhs) for i, (lhs, op, rhs) in enumerate(relations)}
    program = compile_network(network, targets, [x])
    low, high = span
    columns, failure = evaluate_grid(program, [x], [range(low, high + 1)])
    holds = failure == program.valid_rank
    for column in columns.values():
        holds &= np.broadcast_to(column, holds.shape).astype(bool)
    where = np.flatnonzero(holds)
    if not len(where):
        return [], span
    breaks = np.flatnonzero(np.diff(where) > 1)
    starts = np.concatenate(([where[0]], where[breaks + 1]))
    ends = np.concatenate((where[breaks], [where[-1]]))
    intervals = [Interval(low + int(s), low + int(e)) for s, e in zip(starts, ends)]
    if intervals[-1].high == high:
        answer.note = f"the search stopped at {high:,}: larger values may hold too"
        intervals[-1] = Interval(intervals[-1].low, None)
    return intervals, span


# Checking by derivation ------------------------------------------------------------------


def _attempt(problem: Source, goal: Target | None, values: Mapping[str, object]) -> tuple[bool, str]:
    """Derive afresh at `values`: (whether the network is valid and the target holds, what it gave)."""
    network = problem.attempt(values)
    if isinstance(network, SymcnnError):
        return False, f"fails: {network.message}"
    if goal is None:
        return True, "derives"
    relations = goal.relations(network)
    holds = all(_COMPARE[op](lhs, rhs) for lhs, op, rhs in relations)
    if goal.keep:
        inputs, outputs = [rhs for _, _, rhs in relations], [lhs for lhs, _, _ in relations]
        return holds, f"{goal.keep} maps {_sizes(inputs)} to {_sizes(outputs)}"
    shown = [group_digits(int(lhs)) if lhs.is_Integer else textbook(lhs) for lhs, _, _ in relations]
    return holds, f"{goal.subject}.{goal.quantity} = " + (shown[0] if len(shown) == 1 else "(" + ", ".join(shown) + ")")


def _sizes(dims) -> str:
    return "(" + ", ".join(group_digits(int(d)) for d in dims) + ")"


def _extend_below(problem: Source, goal: Target | None, answer: Answer, lowest) -> None:
    """Below the symbol's assumed least value (1 where the file's value is positive) the
    derivation says nothing; fresh derivations tell whether 0, then -1, work too."""
    if lowest is None or not answer.intervals or answer.intervals[0].low != lowest:
        return
    low = lowest
    for value in range(lowest - 1, -2, -1):
        if not _attempt(problem, goal, {answer.parameter: value, **answer.held})[0]:
            break
        low = value
    else:
        low = None  # even -1 works: no lower end in sight
    answer.intervals[0] = Interval(low, answer.intervals[0].high)


def _end_trials(problem: Source, goal: Target | None, answer: Answer, network) -> list[Trial]:
    """At each end of the first and last interval the answer holds, and just beyond it does not.

    The other parameters are at their values there, so the conditions that also involve them
    (`answer.remaining`) must hold too for the answer to hold.
    """
    points: dict[int, bool] = {}
    for interval in dict.fromkeys([answer.intervals[0], answer.intervals[-1]] if answer.intervals else []):
        for end, beyond in ((interval.low, -1), (interval.high, 1)):
            if end is not None:
                points.setdefault(end, True)
                points.setdefault(end + beyond, False)
    if not answer.intervals and answer.searched:  # nothing found: show why at the range's ends
        points = {answer.searched[0]: False, answer.searched[1]: False}
    trials = []
    for value, expected in sorted(points.items()):
        values = {answer.parameter: value, **answer.held}
        if expected and answer.remaining:
            known = network.assign(values)
            expected = all(r.predicate.xreplace(known) == True for r in answer.remaining)  # noqa: E712
        holds, detail = _attempt(problem, goal, values)
        trials.append(Trial(values, expected, holds, detail))
    return trials


def _formula_trials(problem: Source, goal: Target, answer: Answer, network, formulas, lowest) -> list[Trial]:
    """A formula answer checked at a few values of the parameters it is in (from their values up)."""
    name, held = answer.parameter, answer.held
    symbols = sorted({s for f in formulas for s in f.free_symbols}, key=str)
    if not symbols:  # numbers, for a fractional parameter
        return [Trial({name: f, **held}, True, *_attempt(problem, goal, {name: f, **held})) for f in formulas]
    first = symbols[0]
    at = network.assign({})
    fixed = {s: at[s] for s in symbols[1:]}
    trials = []
    start = int(at[first])
    for value in range(start, start + 50):
        known = {first: value, **fixed}
        solution = formulas[0].xreplace(known)
        if solution.is_Integer and (lowest is None or solution >= lowest):
            values = {**held, first.name: value, **{s.name: v for s, v in fixed.items()}, name: int(solution)}
            holds, detail = _attempt(problem, goal, values)
            trials.append(Trial(values, True, holds, detail))
        if len(trials) == FORMULA_TRIALS:
            break
    return trials
