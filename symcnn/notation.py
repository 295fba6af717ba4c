r"""Formulas as text, for people and for machines: the one notation module.

One printer family, SymPy's printer pattern with settings passed in
(`printer(style, **settings)`), in four styles:

- "unicode" and "ascii" (TextPrinter): ⌊(N + 2P − F)/S⌋ + 1, 48F² + 16; floor(...), 48*F^2 + 16;
- "latex" (LatexTextbookPrinter): \left\lfloor \frac{N + 2P - F}{S} \right\rfloor + 1, 64\,320,
  Greek words as Greek letters (alpha -> \alpha), C_in -> C_{\mathrm{in}};
- "sympy" (SympyPrinter), for machines: floor((H - 23)/8), read back by
  `sympify(text, locals=sympy_locals(symbols))`; a name that sympify would
  misread gets a _ (lambda -> lambda_, see `machine_name`).

The styles for people share the `Textbook` rules: positive symbolic terms
first, then negative ones, then constants (N + 2P - F, not SymPy's
-F + N + 2*P); products in factor order over one fraction bar. Text uses ·
between factors; `explain`'s put-in step uses × (the `times` setting).

Putting values in is the middle step of `explain`: the general formula
floor((N + 2P - F)/S) + 1 with N = 39, F = 4, S = 1, P = 0 prints as
(39 - 4)/1 + 1, unevaluated (settings `values`, `factor_order`,
`plain_division`). Values replace `Placeholder` objects, never names, so a
parameter called N is never taken for the placeholder N. Integers print in
full at any length (Python's str() stops at 4,300 digits).
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

import sympy
from sympy import Add, Basic, Integer, Max, Min, Mul, Pow, Rational, S, Symbol
from sympy.core.exprtools import decompose_power
from sympy.core.mul import _keep_coeff
from sympy.core.sorting import default_sort_key
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter, translate
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from .intdiv import CeilDiv, FloorDiv

MARK = "′"  # a placeholder renamed because a parameter took its name: N′


class Placeholder(Symbol):
    """A name in a general formula of `explain` (N, F, S, P, C_in, ...).

    It is its own type, so it never equals a parameter of the same name: the
    printers put values in for placeholders by object, never by name.
    """

    def marked(self) -> Placeholder:
        """The same placeholder under a marked name (N -> N′), for a network with a parameter called N."""
        return Placeholder(self.name + MARK, **self.assumptions0)

    @property
    def unmarked(self) -> Placeholder:
        return Placeholder(self.name.rstrip(MARK), **self.assumptions0)


_SHORT_BITS = 12_000  # at most 3,613 digits: Python's str(int) refuses more than 4,300; Decimal formats any


def short_integer(value: int) -> bool:
    """Whether str(), and so json.dumps, can write `value` (Python refuses more than 4,300 digits)."""
    return int(value).bit_length() < _SHORT_BITS


def integer_text(value: int) -> str:
    """An integer's decimal digits, however many there are."""
    return str(value) if short_integer(value) else f"{Decimal(int(value)):f}"


def split_coefficient(term) -> tuple:
    """`term.as_coeff_Mul()` as (number, factors), without building the product of the factors anew:
    a deep network's printers split thousands of terms, and each new product costs SymPy's flattening."""
    if term.is_Mul:
        args = term.args
        return (args[0], args[1:]) if args[0].is_Number else (S.One, args)
    return (term, ()) if term.is_Number else (S.One, (term,))


def _positive(number) -> bool:
    return number.p > 0 if number.is_Rational else bool(number.is_positive)


def _negated_monomial(coefficient, factors):
    """-term for a term whose coefficient is negative, built directly when its factors are names and their
    powers; None for other factors, which the callers negate as SymPy does."""
    if not all(_monomial_factor(f) for f in factors):
        return None
    magnitude = -coefficient
    if magnitude == 1:
        return factors[0] if len(factors) == 1 else Mul._from_args(factors)
    return Mul._from_args((magnitude, *factors)) if factors else magnitude


def textbook_terms(expr: Add, rank=lambda term: 0) -> list:
    """The terms of a sum in textbook order; `rank` orders the terms of the same sign."""

    def key(term):
        if term.is_Number:
            return 2, 0
        return (0 if _positive(split_coefficient(term)[0]) else 1), rank(term)

    return sorted(Add.make_args(expr), key=key)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")  # the inverse of _PLAIN_DIGITS below


def _is_reciprocal(factor) -> bool:
    return isinstance(factor, Pow) and factor.exp.is_negative


# A deep network prints thousands of sums of monomials such as 64*H_7*K7**2*W_7. The printers take
# these three shortcuts for them, which give what the general rules give (property-tested).


def _monomial_factor(factor) -> bool:
    """A name, or a name to a positive integer power: printed without parentheses in a product."""
    return factor.is_Symbol or (factor.is_Pow and factor.base.is_Symbol and factor.exp.is_Integer and factor.exp.p > 0)


def _plain_term(term) -> bool:
    """A term that a sum prints without parentheses: anything but a relation or a logical connective."""
    return term.is_Mul or term.is_Atom or term.is_Pow or (term.is_Function and not term.is_Boolean)


def _monomial_powers(term) -> list | None:
    """(name, integer exponent) of each name in a product of a number and names' powers, else None."""
    powers = []
    for factor in Mul.make_args(term):
        if factor.is_Symbol:
            powers.append((factor, 1))
        elif factor.is_Pow and factor.base.is_Symbol and factor.exp.is_Integer:
            powers.append((factor.base, int(factor.exp)))
        elif not factor.is_Number:
            return None
    return powers


@functools.cache  # the same factor order for every layer
def _places(order: tuple) -> dict:
    """Each placeholder's place in `order`; a marked one (N′) takes N's place."""
    places = {}
    for place, item in enumerate(order):
        places[item] = place
        if isinstance(item, Placeholder):
            places[item.marked()] = place
    return places


_MEMO_SIZE = 1 << 16  # subexpressions a printer remembers before it starts afresh


class Remembers:
    """A printer that prints each distinct subexpression once and then looks it up.

    A deep network repeats them across formulas: a layer's dims are in its
    MACs and activations and in the next layer's input; its totals are sums of
    the rows' values, printed just before. A subexpression prints the same
    wherever it stands (parentheses go around it, outside), so the memo holds
    for one printer, whose settings are fixed. Calls with keyword arguments
    (LaTeX's `exp=` for a power of a function) and Floats, whose digits depend
    on the depth, are printed each time.
    """

    def __init__(self, settings=None):
        super().__init__(settings)
        self._memo: dict = {}
        # The engine's commonest nodes go straight to their rule: SymPy's dispatch walks the class's MRO each time.
        self._direct = {cls: getattr(self, "_print_" + cls.__name__) for cls in (Symbol, Integer, Add, Mul, Pow)}

    def _print(self, expr, **kwargs) -> str:
        if kwargs or not isinstance(expr, Basic) or expr.is_Float:
            return super()._print(expr, **kwargs)
        text = self._memo.get(expr)
        if text is None:
            rule = self._direct.get(type(expr))
            if rule is None:
                text = super()._print(expr)
            else:
                self._print_level += 1  # as SymPy's dispatch counts it: a Float's digits depend on it
                text = rule(expr)
                self._print_level -= 1
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[expr] = text
        return text


class Textbook:
    """The rules that every style for people shares, whatever its symbols: sums in textbook order,
    products in factor order over one fraction bar, floors and ceilings, values put in.

    Settings (passed in, as SymPy's printers take them): `values` maps
    placeholders to the values that replace them; `factor_order` lists
    placeholders in the order a product shows them (C_in F_h F_w C_out, not
    SymPy's C_in C_out F_h F_w); `plain_division` prints a division whose
    values make it a number, or whose divisor is 1, without its floor or
    ceiling brackets, as the notes do: (39 - 4)/1 + 1.

    A style gives `minus`, `times`, `_over`, `_divide`, `_juxtaposes` and `_placeholder_name`.
    """

    textbook_settings = {"values": None, "factor_order": (), "plain_division": False}
    minus = "-"

    def __init__(self, settings=None):
        super().__init__(settings)
        self.values = dict(self._settings["values"] or {})
        self.places = _places(tuple(self._settings["factor_order"]))
        self.plain_division = self._settings["plain_division"]
        self._ranks: dict = {}  # a deep network's names stand in many products: each one's rank found once

    def _print_Placeholder(self, expr, *args, **kwargs):
        if expr in self.values:
            return self.parenthesize(self.values[expr], PRECEDENCE["Add"])
        return self._placeholder_name(expr)

    def _print_Add(self, expr, order=None):
        if self.values:
            # A product that the values make zero is left out (39 - 4, not 39 + 2*0 - 4);
            # a lone zero, such as an absent bias, stays to show it was counted.
            terms = [t for t in expr.args if not (t.is_Mul and t.xreplace(self.values) == 0)] or [Integer(0)]
            if len(terms) == 1:
                return self._print(terms[0])
            expr = expr if len(terms) == len(expr.args) else Add(*terms)
        pieces = []
        for index, term in enumerate(textbook_terms(expr, self.rank)):
            coefficient, factors = split_coefficient(term)
            negative = coefficient.is_negative
            magnitude = term
            if negative:
                magnitude = _negated_monomial(coefficient, factors)
                if magnitude is None:
                    magnitude = _keep_coeff(-coefficient, term.as_coeff_Mul()[1])
            if _plain_term(magnitude):  # a product, power, name, number or function: no parentheses in a sum
                body = self._print(magnitude)
            else:
                body = self.parenthesize(magnitude, PRECEDENCE["Add"], strict=True)
            if index == 0:
                pieces.append(f"{self.minus}{body}" if negative else body)
            else:
                pieces.append(f" {self.minus} {body}" if negative else f" + {body}")
        return "".join(pieces)

    def rank(self, term) -> tuple:
        """The places in `factor_order` of the placeholders in `term` (N + 2P, C_in × m × F_h + C_in × m × C_out),
        then the higher degree first (4608α² + 480α). A marked placeholder (N′) keeps N's place."""
        known = self._ranks.get(term)
        if known is None:
            if len(self._ranks) >= _MEMO_SIZE:
                self._ranks.clear()
            known = self._ranks[term] = self._rank(term)
        return known

    def _rank(self, term) -> tuple:
        powers = _monomial_powers(term)
        if powers is not None:  # most terms of a deep network's formulas: the same ranks, found directly
            places = tuple(sorted(self.places[b] for b, _ in powers if b in self.places)) if self.places else ()
            return places, -sum(e for _, e in powers)
        places = tuple(sorted(self.places[s] for s in term.free_symbols if s in self.places)) if self.places else ()
        degree = sum(e for b, e in term.as_powers_dict().items() if not b.is_Number and e.is_Integer)
        return places, -degree

    def _factor_rank(self, factor) -> tuple:
        """Names before bracketed factors (d × (F − 1), 1152·alpha·⌊(R + 3)/4⌋²), then as `rank` says."""
        base = factor.base if isinstance(factor, Pow) else factor
        return not base.is_Atom, self.rank(factor)

    def _print_Mul(self, expr):
        coefficient, factors = split_coefficient(expr)
        if coefficient.is_negative:
            negated = _negated_monomial(coefficient, factors)
            return self.minus + self._print(-expr if negated is None else negated)
        factors = sorted(factors, key=self._factor_rank)
        top, bottom = [], []
        for factor in factors:
            if _is_reciprocal(factor):
                bottom.append(1 / factor)
            else:
                top.append(factor)
        if not bottom and coefficient.is_Integer:
            return self._product(coefficient, top)
        coefficient = Rational(coefficient)
        numerator = self._product(Integer(coefficient.p), top)
        return self._over(numerator, self._product(Integer(coefficient.q), bottom))

    def _product(self, coefficient, factors) -> str:
        parts = [self._print(f) if _monomial_factor(f) else self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors]
        if coefficient.p == 1:
            return self.times.join(parts) or "1"
        number = self._print(coefficient)
        single = factors[0] if len(factors) == 1 else None
        base = single.base if isinstance(single, Pow) else single
        if base is not None and base.is_Symbol and base not in self.values and self._juxtaposes(base):
            return number + parts[0]  # 2P, 3α²: juxtaposed before a name or its power
        return self.times.join([number, *parts])

    def _print_FloorDiv(self, expr):
        return self._divide(expr, None if self._plain(expr) else "floor")

    def _print_CeilDiv(self, expr):
        return self._divide(expr, None if self._plain(expr) else "ceiling")

    def _plain(self, expr) -> bool:
        if not (self.plain_division and self.values):
            return False
        numerator, divisor = (arg.xreplace(self.values) for arg in expr.args)
        return divisor == 1 or (numerator.is_Number and divisor.is_Number)


_TEXT_BRACKETS = {
    True: {"floor": ("⌊", "⌋"), "ceiling": ("⌈", "⌉"), None: ("", "")},
    False: {"floor": ("floor(", ")"), "ceiling": ("ceil(", ")"), None: ("", "")},
}
_TEXT_RELATIONS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠"}


class TextPrinter(Remembers, Textbook, StrPrinter):
    """Textbook notation as plain text, Unicode (⌊(N + 2P − F)/S⌋ + 1, 48F²) or ASCII (floor(...), 48*F^2).

    `times` is what stands between factors: · by default (* in ASCII); `explain` puts values in with ×.
    """

    printmethod = "_textbook"  # not StrPrinter's _sympystr, which FloorDiv defines for SymPy syntax
    _default_settings = {**StrPrinter._default_settings, **Textbook.textbook_settings, "unicode": True, "times": None}

    def __init__(self, settings=None):
        super().__init__(settings)
        self.unicode = self._settings["unicode"]
        self.minus = "−" if self.unicode else "-"
        self.times = self._settings["times"] or ("·" if self.unicode else "*")

    def _juxtaposes(self, base) -> bool:
        # 2P and 3F², but 2·alpha and 2 × C_in: in plain text a longer name needs its sign.
        return self.unicode and len(base.name.rstrip(MARK)) == 1

    def _placeholder_name(self, expr) -> str:
        return expr.name

    def _over(self, top: str, bottom: str) -> str:
        # A sum or a spaced product in parentheses; a product below the bar too: 1/(H·W), not 1/H·W.
        top = f"({top})" if " " in top else top
        bottom = f"({bottom})" if " " in bottom or self.times in bottom else bottom
        return f"{top}/{bottom}"

    def _divide(self, expr, kind):
        left, right = _TEXT_BRACKETS[self.unicode][kind]
        numerator, divisor = expr.args
        top = self._print(numerator)
        if not (numerator.is_Atom or isinstance(numerator, (FloorDiv, CeilDiv))):
            top = f"({top})"
        bottom = self._print(divisor)
        if not divisor.is_Atom:
            bottom = f"({bottom})"
        return f"{left}{top}/{bottom}{right}"

    def _print_Pow(self, expr):
        base, exponent = expr.args
        if not (exponent.is_Integer and exponent > 1):
            return super()._print_Pow(expr)
        body = self._print(base) if _monomial_factor(expr) else self.parenthesize(base, PRECEDENCE["Pow"])
        if self.unicode:
            return body + integer_text(exponent).translate(_SUPERSCRIPTS)
        return f"{body}^{integer_text(exponent)}"

    def _print_Integer(self, expr):
        return integer_text(expr.p) if expr.p >= 0 else f"{self.minus}{integer_text(-expr.p)}"

    def _print_Rational(self, expr):
        sign = self.minus if expr.p < 0 else ""
        return f"{sign}{integer_text(abs(expr.p))}/{integer_text(expr.q)}"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Mod(self, expr):
        return " mod ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in expr.args)

    def _print_Relational(self, expr):
        op = _TEXT_RELATIONS.get(expr.rel_op, expr.rel_op) if self.unicode else expr.rel_op
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _connective(self, expr, word: str) -> str:
        return f" {word} ".join(self.parenthesize(a, PRECEDENCE["Relational"], strict=True) for a in expr.args)

    def _print_And(self, expr):
        return self._connective(expr, "and")

    def _print_Or(self, expr):
        return self._connective(expr, "or")

    def _print_Not(self, expr):
        return "not " + self.parenthesize(expr.args[0], PRECEDENCE["Relational"], strict=True)

    def _print_Piecewise(self, expr):
        """(a if x ≥ 3, else b): each case with its condition, the last one's left out when it is true."""
        cases = [
            self._print(value) if condition is S.true else f"{self._print(value)} if {self._print(condition)}"
            for value, condition in expr.args
        ]
        return "(" + ", else ".join(cases) + ")"

    def _print_BooleanTrue(self, expr):
        return "true"

    def _print_BooleanFalse(self, expr):
        return "false"


THIN_SPACE = r"\,"
_LATEX_BRACKETS = {"floor": (r"\left\lfloor ", r" \right\rfloor"), "ceiling": (r"\left\lceil ", r" \right\rceil")}
_LATEX_RELATIONS = {">=": r"\geq", "<=": r"\leq", "==": "=", "!=": r"\neq", ">": ">", "<": "<"}


class LatexTextbookPrinter(Remembers, Textbook, LatexPrinter):
    r"""Textbook notation in LaTeX: N + 2P - F, products with \cdot, 64\,320, upright multi-letter names."""

    _default_settings = {**LatexPrinter._default_settings, **Textbook.textbook_settings}
    times = r" \cdot "

    def _juxtaposes(self, base) -> bool:
        return True  # 2\alpha, 100F_{8}: an upright or subscripted name stays clear in LaTeX

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(expr.name)

    def _placeholder_name(self, expr) -> str:
        name = expr.unmarked.name
        return latex_name(name) + "'" * (len(expr.name) - len(name))

    def _print_Integer(self, expr):
        return latex_number(int(expr))

    def _print_Rational(self, expr):
        sign = "-" if expr.p < 0 else ""
        return rf"{sign}\frac{{{latex_number(abs(expr.p))}}}{{{latex_number(expr.q)}}}"

    def _print_Pow(self, expr):
        base, exponent = expr.args
        if isinstance(base, (FloorDiv, CeilDiv, Min, Max)) and exponent.is_positive:  # brackets need no parentheses
            return f"{self._print(base)}^{{{self._print(exponent)}}}"
        if _monomial_factor(expr):  # LatexPrinter's standard power, without its checks for roots and fractions
            return f"{self.parenthesize_super(self._print(base))}^{{{self._print(exponent)}}}"
        return super()._print_Pow(expr)

    def _over(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def _divide(self, expr, kind):
        numerator, divisor = expr.args
        fraction = self._over(self._print(numerator), self._print(divisor))
        if kind is None:
            return fraction
        left, right = _LATEX_BRACKETS[kind]
        return f"{left}{fraction}{right}"

    def _print_Relational(self, expr):
        return f"{self._print(expr.lhs)} {_LATEX_RELATIONS[expr.rel_op]} {self._print(expr.rhs)}"


# Names that sympify would read as something else: Python's keywords and builtins, and SymPy's own
# names, among them the functions this syntax uses (floor, ceiling, Min, Max, Mod, Eq, ...).
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(vars(builtins)) | set(sympy.__all__)


def machine_name(symbol: Symbol) -> str:
    """The identifier `symbol` prints as in SymPy syntax: its name, with _ appended to a reserved name
    (lambda -> lambda_) and, to keep the mapping one-to-one, to a name that already ends in _."""
    name = symbol.name
    return name + "_" if name in _RESERVED or name.endswith("_") else name


def sympy_locals(symbols: Iterable[Symbol]) -> dict[str, Symbol]:
    """What `sympify(sympy_str(expr), locals=...)` needs to read `expr` back: identifier -> symbol."""
    return {machine_name(symbol): symbol for symbol in symbols}


_sort_key = functools.lru_cache(maxsize=1 << 16)(default_sort_key)  # a deep network's totals share their symbols


def _exponent_key(index: int, exponent: int) -> tuple:
    """One nonzero entry of a negated exponent vector, so that comparing the entries of two vectors in
    order compares the dense vectors lexicographically (the end of a vector is `(0,)`: its zeros)."""
    return (1, -index, exponent) if exponent > 0 else (-1, index, exponent)


def _float(number) -> complex:
    """What SymPy's `complex(number)` gives a rational, without its evalf: p/q is rounded as evalf rounds."""
    try:
        return complex(number.p / number.q)
    except OverflowError:  # past a float's range: SymPy's own (inf)
        return complex(number)


def _sympy_pair_order(expr: Add) -> tuple | None:
    """SymPy's own order for a number and a negative multiple of one factor, 1 - x (not its lex order, -x + 1)."""
    first, second = expr.args
    if (
        second.is_Mul
        and (first.is_Number or first.is_NumberSymbol)
        and len(second.args) == 2
        and second.args[0].is_Number
        and first.is_positive
        and second.args[0].is_negative
    ):
        return expr.args
    return None


def lex_ordered_terms(expr: Add) -> list:
    """`expr.as_ordered_terms()`, the order str() prints a sum in, in time linear in its size.

    SymPy sorts by each term's exponent vector over all the sum's bases, highest
    first in lexicographic order of the bases sorted by `default_sort_key`, then
    by coefficient. It builds those vectors dense, which takes a 1,000-term total
    in 3,000 symbols a second; here they are sparse: the same comparison.
    """
    if len(expr.args) == 2:
        pair = _sympy_pair_order(expr)
        if pair is not None:
            return list(pair)
        number, term = expr.args
        if number.is_Rational and all(_monomial_factor(f) for f in split_coefficient(term)[1]):
            return [term, number]  # 64*K**2 + 8: any positive power of a name comes before the number
    terms, bases = [], set()
    for term in expr.args:
        if term.is_Order:
            return expr.as_ordered_terms()
        coefficient, factors = split_coefficient(term)
        coefficient = _float(coefficient) if coefficient.is_Rational else complex(coefficient)
        powers = {}
        for factor in factors:
            if factor.is_number:
                try:
                    coefficient *= complex(factor)
                    continue
                except (TypeError, ValueError):
                    pass
            if not factor.is_commutative:
                return expr.as_ordered_terms()
            base, exponent = decompose_power(factor)
            powers[base] = exponent
            bases.add(base)
        terms.append((term, powers, coefficient))
    index = {base: i for i, base in enumerate(sorted(bases, key=_sort_key))}

    def key(entry):
        _, powers, coefficient = entry
        vector = sorted((index[base], -exponent) for base, exponent in powers.items() if exponent)
        return (
            (*(_exponent_key(i, e) for i, e in vector), (0,)),
            ((bool(coefficient.imag), coefficient.imag), (coefficient.real, coefficient.imag)),
        )

    return [term for term, _, _ in sorted(terms, key=key)]


class SympyPrinter(Remembers, StrPrinter):
    """SymPy syntax for machines: safe identifiers and integers of any length. FloorDiv and CeilDiv
    print themselves (their _sympystr) as SymPy's floor and ceiling, so that str() writes them so too.
    Sums print in str()'s order, found in linear time (`lex_ordered_terms`)."""

    def _as_ordered_terms(self, expr, order=None):
        if (order or self.order) is None and expr.is_Add:
            return lex_ordered_terms(expr)
        return super()._as_ordered_terms(expr, order)

    def _print_Symbol(self, expr):
        return machine_name(expr)

    # Sums and products of monomials as StrPrinter prints them, without its precedence lookups.

    def _print_Add(self, expr, order=None):
        if order or self.order or not all(_plain_term(term) for term in expr.args):
            return super()._print_Add(expr, order)
        pieces = []
        for term in lex_ordered_terms(expr):
            text = self._print(term)
            negative = text.startswith("-")
            pieces += ["-" if negative else "+", text[1:] if negative else text]
        return ("-" if pieces[0] == "-" else "") + " ".join(pieces[1:])

    def _print_Mul(self, expr):
        coefficient, factors = split_coefficient(expr)
        if self.order or not coefficient.is_Integer:
            return super()._print_Mul(expr)
        if len(factors) == 1 and factors[0].is_Add:  # 4*(a + b): StrPrinter would sort by the sum's sort key, slowly
            parts = [f"({self._print(factors[0])})"]
        elif all(_monomial_factor(f) or (f.is_Add and _plain_term(f)) for f in factors):  # sums as StrPrinter puts them
            parts = [f"({self._print(f)})" if f.is_Add else self._print(f) for f in sorted(factors, key=_sort_key)]
        else:
            return super()._print_Mul(expr)
        if abs(coefficient.p) != 1:
            parts.insert(0, integer_text(abs(coefficient.p)))
        return ("-" if coefficient.p < 0 else "") + "*".join(parts)

    def _print_Pow(self, expr):
        if _monomial_factor(expr):
            return f"{self._print(expr.base)}**{integer_text(expr.exp.p)}"
        return super()._print_Pow(expr)

    def _print_Integer(self, expr):
        return integer_text(expr.p) if expr.p >= 0 else "-" + integer_text(-expr.p)

    def _print_Rational(self, expr):
        return f"{self._print(Integer(expr.p))}/{integer_text(expr.q)}"


_SYMPY = SympyPrinter()


def sympy_str(expr) -> str:
    """`expr` in SymPy syntax, which `sympify(text, locals=sympy_locals(symbols))` reads back
    (FloorDiv and CeilDiv as SymPy's floor and ceiling of the exact quotient)."""
    return _SYMPY.doprint(expr)


_ASCII_FALLBACK = str.maketrans(
    {
        "⌊": "floor(",
        "⌋": ")",
        "⌈": "ceil(",
        "⌉": ")",
        "−": "-",
        "·": "*",
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "≠": "!=",
        "…": "...",
        "→": "->",
        "≈": "~",
        MARK: "'",
    }
)
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PLAIN_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def to_ascii(text: str) -> str:
    """Text made for Unicode terminals, readable on an ASCII one."""
    text = _SUPERSCRIPT_RUN.sub(lambda run: "^" + run.group().translate(_PLAIN_DIGITS), text)
    return text.translate(_ASCII_FALLBACK).encode("ascii", "replace").decode("ascii")


def group_digits(value: int, separator: str = ",") -> str:
    """An integer grouped by thousands: 64,320."""
    grouped = f"{int(value):,}" if short_integer(value) else f"{Decimal(int(value)):,f}"
    return grouped.replace(",", separator)


STYLES = ("unicode", "ascii", "latex", "sympy")


def printer(style: str = "unicode", **settings):
    """The printer of one style, with settings: `values`, `factor_order`, `plain_division` for the styles
    for people, and `times` for the text ones (see `Textbook`, `TextPrinter`)."""
    if style == "latex":
        return LatexTextbookPrinter(settings)
    if style == "sympy":
        return SympyPrinter(settings)
    return TextPrinter({**settings, "unicode": style == "unicode"})


_UNICODE = printer("unicode")
_ASCII = printer("ascii")
_LATEX = printer("latex")


def textbook(expr, unicode: bool = True, order: Iterable = ()) -> str:
    """`expr` in textbook notation: ⌊(H − 23)/8⌋, 48F² + 16; `order` as for `put_in`."""
    if order:
        return printer("unicode" if unicode else "ascii", factor_order=tuple(order)).doprint(expr)
    return (_UNICODE if unicode else _ASCII).doprint(expr)


def latex(expr, values: Mapping | None = None, order: Iterable = (), plain_division: bool = False) -> str:
    """`expr` in textbook LaTeX; with `values`, the placeholders replaced by them, unevaluated."""
    if values is None and not order:
        return _LATEX.doprint(expr)
    return printer("latex", values=values, factor_order=tuple(order), plain_division=plain_division).doprint(expr)


def put_in(expr, values: Mapping | None = None, order: Iterable = (), plain_division: bool = False) -> str:
    """`expr` in Unicode textbook text with × between factors; with `values` put in, unevaluated."""
    settings = {"values": values, "factor_order": tuple(order), "plain_division": plain_division}
    return printer("unicode", times=" × ", **settings).doprint(expr)


def latex_value(value) -> str:
    """A displayed value in LaTeX: a formula, an integer, or a shape such as (36, 28, 20)."""
    if isinstance(value, tuple):
        return "(" + ", ".join(latex(v) for v in value) + ")"
    return latex(value)


def decimal(number) -> str:
    """An exact rational as a decimal: 18.5, or ≈ 11.67 when it does not terminate."""
    exact = Decimal(number.p) / Decimal(number.q)
    rest = number.q
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    return f"{exact.normalize():f}" if rest == 1 else f"≈ {exact.quantize(Decimal('0.01')):f}"


def latex_number(value: int) -> str:
    """An integer grouped by thousands with thin spaces: 64\\,320."""
    return group_digits(value, THIN_SPACE) if value >= 0 else "-" + group_digits(-value, THIN_SPACE)


def _name_part(word: str) -> str:
    if len(word) == 1 or word.isdigit():  # H, 7: as they are (SymPy's translate would try its Greek and accents)
        return word
    greek = translate(word)
    if greek != word:
        return greek
    return r"\mathrm{" + word.replace("_", r"\_") + "}"


@functools.cache  # deep networks print thousands of per-layer names
def latex_name(name: str) -> str:
    r"""A symbol's name in LaTeX: alpha -> \alpha, C_in -> C_{\mathrm{in}}, H_3 -> H_{3}, width -> \mathrm{width}."""
    base, superscripts, subscripts = split_super_sub(name)
    text = _name_part(base)
    if subscripts:
        text += "_{" + ",".join(_name_part(s) for s in subscripts) + "}"
    if superscripts:
        text += "^{" + ",".join(_name_part(s) for s in superscripts) + "}"
    return text


_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def tex_text(text: str) -> str:
    """Text safe in LaTeX's text mode; characters pdflatex may lack a glyph for become '?'."""
    return "".join(_TEXT_SPECIALS.get(c, c if c.isascii() else "?") for c in text)


__all__ = [
    "MARK",
    "STYLES",
    "LatexTextbookPrinter",
    "Placeholder",
    "SympyPrinter",
    "TextPrinter",
    "Textbook",
    "decimal",
    "group_digits",
    "integer_text",
    "latex",
    "latex_name",
    "latex_number",
    "latex_value",
    "machine_name",
    "printer",
    "put_in",
    "short_integer",
    "sympy_locals",
    "sympy_str",
    "tex_text",
    "textbook",
    "textbook_terms",
    "to_ascii",
]
