r"""`symcnn figure`: the network as a left-to-right box diagram in TikZ, in the style of PlotNeuralNet.

One box per summary item at the chosen depth (`views.summary.summary_items`): a layer
or a collapsed block is a box whose height grows with the log of its spatial
size and whose width grows with the log of its channels; its output shape is
written above it and its name below. A block shown open is a dashed frame
around its items. A residual add is a circle that the shortcut reaches by an
arc over the main path (identity) or by a lane below it (projection); a concat
is a circle that its branches, stacked vertically, join. A path that continues
from a named earlier output (`from NAME`) is reached by an arrow over the
picture from that output's box, and so is the circle of `add NAME` or
`concat NAME` from the output it joins (U-Net's copies).

Horizontal positions are left to TeX (each column is placed right of the
previous one's extent, labels included), so labels of any width never overlap;
vertical positions of stacked lanes are estimated here from the box heights.
The output needs only TikZ and its `fit` and `backgrounds` libraries (pgf).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..layers import REGISTRY
from ..notation import latex, tex_text
from ..views.summary import Group, row_value, summary_items

LIBRARIES = r"\usetikzlibrary{fit,backgrounds}"
# The standalone class is in texlive-latex-extra, which CI does not install: the page is sized to the picture by hand.
STANDALONE_BEGIN = (
    r"\documentclass{article}",
    r"\usepackage{tikz}",
    LIBRARIES,
    r"\begin{document}",
    r"\setbox0=\hbox{%",
)
STANDALONE_END = (
    r"}%",
    r"\pdfpagewidth=\dimexpr\wd0+12pt\relax",
    r"\pdfpageheight=\dimexpr\ht0+\dp0+12pt\relax",
    r"\pdfhorigin=6pt",
    r"\pdfvorigin=6pt",
    r"\hoffset=0pt",
    r"\voffset=0pt",
    r"\shipout\box0",
    r"\end{document}",
)

# Sizes in cm. Boxes scale with log2 of the size, within bounds, so a 224-pixel and a 1-pixel layer both read.
HEIGHT_PER_DOUBLING, MIN_HEIGHT, MAX_HEIGHT = 0.32, 0.3, 3.2
WIDTH_PER_DOUBLING, MIN_WIDTH, MAX_WIDTH = 0.06, 0.1, 0.8
DEPTH_PER_DOUBLING, MAX_DEPTH = 0.07, 0.6  # the oblique side: the second spatial dim
COLUMN_GAP = 0.35
LANE_GAP = 0.3
ARC_CLEARANCE = 0.3
JOIN_SIZE = 0.42
JOIN_SYMBOLS = {"add": "$+$", "concat": r"\tiny C"}
FRAME_PAD = 0.15
LINE_HEIGHT, FRACTION_HEIGHT = 0.3, 0.6  # estimated heights of one label line, for stacking lanes
NAME_CHAR = 0.15  # estimated length of one character of a hanging name

# Fill colours by the module a layer type lives in; a collapsed block and a join have their own.
COLOURS = {
    "conv": ("orange", 55),
    "pooling": ("red", 40),
    "resize": ("teal", 35),
    "dense": ("violet", 40),
    "normalization": ("yellow", 55),
    "activation": ("green", 35),
    "block": ("blue", 30),
    "input": ("gray", 25),
}

STYLES = (
    r"box/.style={draw=black!70, line width=0.3pt, inner sep=0pt, anchor=center},",
    r"face/.style={draw=black!70, line width=0.3pt},",
    rf"joint/.style={{circle, draw=black!80, fill=white, line width=0.5pt, inner sep=0pt, minimum size={JOIN_SIZE}cm}},",
    r"shape label/.style={font=\scriptsize, align=center, inner sep=1pt},",
    r"name label/.style={font=\scriptsize\ttfamily, inner sep=1pt},",
    # A layer's name hangs below its box, read upwards: columns stay as narrow as the boxes.
    r"hanging name/.style={name label, rotate=90, anchor=east},",
    r"column/.style={inner xsep=1pt, inner ysep=0pt, anchor=west},",
    r"flow/.style={->, >=stealth, line width=0.5pt, black!75},",
    r"skip/.style={->, >=stealth, line width=0.6pt, blue!70!black, rounded corners=3pt},",
    r"frame/.style={draw=black!45, dashed, rounded corners=3pt, fill=black!3},",
    r"frame label/.style={font=\scriptsize, align=left, inner sep=1pt, anchor=south west},",
    r"fitted/.style={inner sep=0pt},",
)


# The view model: what is drawn, read from the derived Network. -------------------------------------------


@dataclass
class Box:
    """A layer, a collapsed block, the input, or a join (an add or a concat), with its size and labels."""

    item: object  # a LayerRow or a views.summary.Group; None for the network's input
    name: str
    dims: tuple[str, ...]  # the output shape's dims in LaTeX, formulas when symbolic
    kind: str  # a COLOURS key, or "add" / "concat"
    width: float = 0.0
    height: float = 0.0
    depth: float = 0.0

    @property
    def is_join(self) -> bool:
        return self.kind in ("add", "concat")

    @property
    def shape_lines(self) -> tuple[str, ...]:
        """The shape as label lines, a dim per line (64×, 56×, 56): the column is no wider than its widest dim."""
        parts = self.dims
        return tuple(f"${part}" + (r"\times$" if index < len(parts) - 1 else "$") for index, part in enumerate(parts))

    @property
    def frame_lines(self) -> tuple[str, ...]:
        """An open block's label: its name, its type, and its shape, on one line when its dims are numbers."""
        numbers = all(dim.replace(r"\,", "").isdigit() for dim in self.dims)
        shape = ("$" + r"\times ".join(self.dims) + "$",) if numbers else self.shape_lines
        return (rf"\textbf{{{tex_text(self.name)}}}", tex_text(self.item.title), *shape)


@dataclass
class Frame:
    """A block shown open: its items inside a dashed frame."""

    box: Box  # the block's own labels and item (its size is not drawn)
    body: list


@dataclass
class Lane:
    """A shortcut or a branch: its container shown open (`box` is then its labels), or its one collapsed box."""

    box: Box | None
    elements: list


@dataclass
class Residual:
    main: list
    shortcut: Lane | None  # None for the identity
    join: Box


@dataclass
class Concat:
    branches: list[Lane]
    join: Box


@dataclass
class Restart:
    """An element whose input is a named earlier output (`from NAME`), not the element before it."""

    source: str
    element: object


@dataclass
class Figure:
    input: Box
    elements: list
    boxes: list[Box] = field(default_factory=list)  # every summary item drawn, in order


def build(network, depth: int | None = None) -> Figure:
    """The figure's elements: the summary items at `depth`, with residual and concat joins made explicit."""
    known = network.assign({})  # every symbol's value at the file's defaults: boxes are drawn to that size
    items = summary_items(network, depth)
    children: dict[str, list] = {}
    for item in items:
        children.setdefault(".".join(item.path), []).append(item)
    boxes: list[Box] = []

    def box_of(item) -> Box:
        if isinstance(item, Group):
            kind = "block"
        elif item.keyword in ("add", "concat"):
            kind = item.keyword
        elif item.keyword not in REGISTRY:  # another join (scale): a plain box
            kind = item.keyword
        else:
            kind = type(REGISTRY[item.keyword]).__module__.rsplit(".", 1)[-1]
        box = Box(item, item.name.rsplit(".", 1)[-1], tuple(map(latex, row_value(network, item, "output_shape"))), kind)
        size(box, item.output, known)
        boxes.append(box)
        return box

    def sequence(siblings: list) -> list:
        # An empty container (an empty branch, say) ran before the row at its position, which summaries list first.
        siblings = sorted(siblings, key=lambda item: (_start(item), not isinstance(item, Group)))
        elements: list = []
        for item in siblings:
            if isinstance(item, Group):
                box = box_of(item)
                inside = children.get(item.name)
                elements.append(_marked(item.container.source, Frame(box, sequence(inside)) if inside else box))
            elif item.keyword in ("add", "concat") and item.joined is not None:  # add NAME, concat NAME
                elements.append(_marked(item.source, box_of(item)))
            elif item.keyword == "add":  # the shortcut's container, if any, is the element just before
                join = box_of(item)
                shortcut_source, shortcut = None, None
                if elements and _is_shortcut_of(elements[-1], item):
                    shortcut_source, (last,) = _unmarked([elements.pop()])
                    shortcut = _lane(last)
                start = _main_path_start(elements, item)
                source, main = _unmarked(elements[start:])
                elements[start:] = [_marked(source or shortcut_source, Residual(main, shortcut, join))]
            elif item.keyword == "concat":  # its branches' containers are the elements just before
                join = box_of(item)
                start = len(elements)
                while start and _is_branch_of(elements[start - 1], item):
                    start -= 1
                source, branches = _unmarked(elements[start:])
                elements[start:] = [_marked(source, Concat(list(map(_lane, branches)), join))]
            else:
                elements.append(_marked(item.source, box_of(item)))
        return elements

    top = sequence(children.get("", []))
    input_box = Box(None, "input", tuple(map(latex, network.input.dims)), "input")
    size(input_box, network.input, known)
    return Figure(input_box, top, boxes)


def _marked(source: str | None, element):
    """The element, marked as reading the named output if a `from` named one."""
    return element if source is None else Restart(source, element)


def _unmarked(elements: list) -> tuple[str | None, list]:
    """The output a `from` before the first element named, and the elements without that mark: a `from` before
    a residual or a concat feeds all of it."""
    if elements and isinstance(elements[0], Restart):
        return elements[0].source, [elements[0].element, *elements[1:]]
    return None, elements


def _start(item) -> int:
    """The position of an item's first row."""
    return item.container.start if isinstance(item, Group) else item.index - 1


def _container_of(element):
    """The container an element draws, if it draws one (open or collapsed)."""
    if isinstance(element, Restart):
        element = element.element
    item = element.box.item if isinstance(element, Frame) else getattr(element, "item", None)
    return item if isinstance(item, Group) else None


def _is_shortcut_of(element, add) -> bool:
    group = _container_of(element)
    return group is not None and group.title == "Shortcut" and group.container.span == add.span


def _is_branch_of(element, concat) -> bool:
    group = _container_of(element)
    return group is not None and group.title == "Branch" and group.container.span == concat.span


def _lane(element) -> Lane:
    """A shortcut's or a branch's element as a lane: an open container's items, or its collapsed box."""
    return Lane(element.box, element.body) if isinstance(element, Frame) else Lane(None, [element])


def _main_path_start(elements: list, add) -> int:
    """How many of `elements` come before the residual's main path, which ends just before `add`.

    The Network records the join (and the shortcut) but not where the main path
    began. Every element of the main path comes from a statement inside the
    residual, so after the residual's own start, and its first element from the
    first of those statements. Walking back from the join, an element from
    before the residual is at or before its start (the previous join, in a
    repeat); one left over from the previous pass of a repeat is after the
    residual's end, so after the main path's first element.
    """
    where = _position(add.span)
    start, lowest = len(elements), None
    for index in range(len(elements) - 1, -1, -1):
        anchor = _anchor(elements[index])
        if anchor <= where:
            break
        if lowest is None or anchor <= lowest:
            start, lowest = index, anchor
    return start


def _anchor(element) -> tuple[int, int]:
    """Where the statement that made an element starts: a layer's, a block call's, a residual's or a concat's."""
    if isinstance(element, Restart):
        return _anchor(element.element)
    if isinstance(element, (Residual, Concat)):
        return _position(element.join.item.span)
    group = _container_of(element)
    return _position(group.container.span if group is not None else element.item.span)


def _position(span) -> tuple[int, int]:
    return (span.line, span.column)


def _scaled(value: int, per_doubling: float, low: float, high: float, base: float) -> float:
    return round(min(max(base + per_doubling * math.log2(max(value, 1)), low), high), 3)


def size(box: Box, shape, known) -> None:
    """The box's height from the first spatial dim, its oblique depth from the second, its width from channels."""
    if box.is_join:
        return

    def number(dim) -> int:
        value = dim.xreplace(known)
        return int(value) if value.is_Number else 1

    spatial = [number(dim) for dim in shape.spatial]
    channels = number(shape.channels) if "C" in shape.axes else 1
    if not spatial:  # a feature vector: a thin, tall bar
        spatial = [number(shape.dims[0])]
        channels = 1
    box.height = _scaled(spatial[0], HEIGHT_PER_DOUBLING, MIN_HEIGHT, MAX_HEIGHT, MIN_HEIGHT)
    box.width = _scaled(channels, WIDTH_PER_DOUBLING, MIN_WIDTH, MAX_WIDTH, MIN_WIDTH)
    box.depth = _scaled(spatial[1], DEPTH_PER_DOUBLING, 0, MAX_DEPTH, 0) if len(spatial) > 1 else 0.0


# Vertical extents, estimated (TeX measures the horizontal ones). ------------------------------------------


def _label_height(lines) -> float:
    return sum(FRACTION_HEIGHT if r"\frac" in line else LINE_HEIGHT for line in lines)


def extent(element) -> tuple[float, float]:
    """(ascent, descent) of an element above and below its axis, labels included."""
    if isinstance(element, Restart):
        return extent(element.element)
    if isinstance(element, Box):
        if element.is_join:
            half = JOIN_SIZE / 2
            return half + (_label_height(element.shape_lines) if element.kind == "concat" else 0), half + LINE_HEIGHT
        half = element.height / 2
        return half + element.depth / 2 + _label_height(element.shape_lines), half + NAME_CHAR * len(element.name)
    if isinstance(element, Frame):
        up, down = lane_extent(element.body)
        return up + _label_height(element.box.frame_lines) + 2 * FRAME_PAD, down + FRAME_PAD
    if isinstance(element, Residual):
        up, down = lane_extent(element.main)
        join_up, join_down = extent(element.join)
        if element.shortcut is None:
            return max(up + ARC_CLEARANCE + 0.1, join_up), max(down, join_down)
        short_up, short_down = lane_extent(element.shortcut.elements)
        return max(up, join_up + LINE_HEIGHT), down + LANE_GAP + short_up + short_down
    up, down = _stack(element.branches)[1:]
    join_up, join_down = extent(element.join)
    return max(up, join_up), max(down, join_down)


def lane_extent(elements) -> tuple[float, float]:
    extents = [extent(element) for element in elements] or [(0.2, 0.2)]
    return max(up for up, _ in extents), max(down for _, down in extents)


def _stack(lanes) -> tuple[list[float], float, float]:
    """Axis offsets of lanes stacked top to bottom around the axis, and the stack's ascent and descent."""
    extents = [lane_extent(lane.elements) for lane in lanes]
    total = sum(up + down for up, down in extents) + LANE_GAP * (len(lanes) - 1)
    offsets, top = [], total / 2
    for up, down in extents:
        offsets.append(top - up)
        top -= up + down + LANE_GAP
    return offsets, total / 2, total / 2


# TikZ. --------------------------------------------------------------------------------------------------


class _Writer:
    """Emits TikZ for elements; each element is placed right of a reference and reports its anchors."""

    def __init__(self):
        self.lines: list[str] = []
        self.frames: list[tuple[int, str]] = []  # (nesting, node) drawn at the end, outermost first
        self.drawn: dict[str, str] = {}  # an item's name -> the node fitted around it, for arrows from it
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def lane(self, elements, after: str, y: float, nesting: int = 0) -> tuple[str | None, str | None, list[str]]:
        """Place elements left to right from the point `after`; (first input, last output, fitted nodes)."""
        first = last = None
        fits = []
        for element in elements:
            inp, out, fit = self.element(element, after, y, nesting)
            if last is not None and not isinstance(element, Restart):
                self.emit(rf"\draw[flow] ({last}) -- ({inp});")
            first = first or inp
            last, after = out, f"{fit}.east"
            fits.append(fit)
        return first, last, fits

    def side_lane(self, lane: Lane, after: str, y: float, nesting: int):
        """A shortcut's or a branch's lane; an open one is marked as its container's item."""
        if lane.box is None:
            return self.lane(lane.elements, after, y, nesting)
        self.emit(f"% item lane {tex_text(lane.box.name)}")
        first, last, fits = self.lane(lane.elements, after, y, nesting)
        self.drawn[lane.box.item.name] = self._fitted(fits)
        return first, last, fits

    def element(self, element, after: str, y: float, nesting: int) -> tuple[str, str, str]:
        if isinstance(element, Restart):
            inp, out, fit = self.element(element.element, after, y, nesting)
            self.skip_from(element.source, inp, into_west=True)
            return inp, out, fit
        if isinstance(element, Box) and element.is_join:  # add NAME, concat NAME
            join, fit = self.join(element, after, y)
            self.skip_from(element.item.joined, f"{join}.north", into_west=False)
            inp, out = f"{join}.west", f"{join}.east"
        elif isinstance(element, Box):
            inp, out, fit = self.box(element, after, y)
        elif isinstance(element, Frame):
            inp, out, fit = self.frame(element, after, y, nesting)
        elif isinstance(element, Residual):
            inp, out, fit = self.residual(element, after, y, nesting)
        else:
            inp, out, fit = self.concat(element, after, y, nesting)
        item = element.box.item if isinstance(element, Frame) else getattr(element, "item", None)
        if isinstance(element, (Residual, Concat)):
            item = element.join.item
        if item is not None:
            self.drawn[item.name] = fit
        return inp, out, fit

    def skip_from(self, source: str, target: str, into_west: bool) -> None:
        """An arrow from the named output's box over everything drawn so far, down to `target`: into its west
        from the gap before it, or into it from above."""
        name = source
        while name not in self.drawn and "." in name:  # inside a block drawn collapsed: from the block
            name = name.rsplit(".", 1)[0]
        above, top = self.fresh(), self.fresh()
        self.emit(rf"\coordinate ({above}) at ({target} |- current bounding box.north);")
        shift = f"xshift={-COLUMN_GAP / 2:.3f}cm, " if into_west else ""
        self.emit(rf"\coordinate ({top}) at ([{shift}yshift={ARC_CLEARANCE:.3f}cm]{above});")
        self.emit(rf"\draw[skip] ({self.drawn[name]}.north) |- ({top}) {'|-' if into_west else '--'} ({target});")

    def _fitted(self, parts) -> str:
        name = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts)}] ({name}) {{}};")
        return name

    def _point(self, after: str, y: float, gap: float = COLUMN_GAP) -> str:
        name = self.fresh()
        self.emit(rf"\path ({after} |- 0,{y:.3f}) ++({gap:.3f},0) coordinate ({name});")
        return name

    def _column(self, box: Box, at: str, width: float) -> str:
        """An invisible node as wide as the widest of the box and its labels: the column's extent."""
        name = self.fresh()
        rows = [rf"{{\scriptsize\phantom{{{line}}}}}" for line in box.shape_lines]
        content = r"\begin{tabular}{@{}c@{}}" + r"\\".join(rows) + r"\end{tabular}"
        self.emit(
            rf"\node[column, minimum width={width:.3f}cm] ({name}) at ({at}) {{\vphantom{{x}}\smash{{{content}}}}};"
        )
        return name

    def join(self, box: Box, after: str, y: float, gap: float = COLUMN_GAP) -> tuple[str, str]:
        """An add or a concat as a circle; (its node, its fitted extent)."""
        column = self._column(box, self._point(after, y, gap), JOIN_SIZE)
        name = self.fresh()
        self.emit(f"% item {box.kind} {tex_text(box.name)}")
        self.emit(rf"\node[joint] ({name}) at ({column}.center) {{{JOIN_SYMBOLS[box.kind]}}};")
        parts = [column, name]
        if box.kind == "concat":  # beside, not above: the branches come in from the upper and lower left
            self.emit(
                rf"\node[shape label, anchor=south west] ({name}-s) at ({name}.north east)"
                rf" {{{_join_lines(box.shape_lines)}}};"
            )
            parts.append(f"{name}-s")
        self.emit(rf"\node[name label, anchor=north west] ({name}-n) at ({name}.south east) {{{tex_text(box.name)}}};")
        fit = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts + [f'{name}-n'])}] ({fit}) {{}};")
        return name, fit

    def box(self, box: Box, after: str, y: float) -> tuple[str, str, str]:
        """A layer or a collapsed block as a box with its shape above and its name below."""
        at = self._point(after, y)
        name = self.fresh()
        self.emit(f"% item {box.kind} {tex_text(box.name)}")
        column = self._column(box, at, box.width + box.depth / 2)
        dx = box.depth / 2
        hue, strength = COLOURS.get(box.kind, COLOURS["block"])
        colour, top, side = f"{hue}!{strength}", f"{hue}!{strength // 2}", f"{hue}!{min(strength + 25, 100)}"
        self.emit(
            rf"\node[box, fill={colour}, minimum width={box.width:.3f}cm, minimum height={box.height:.3f}cm]"
            rf" ({name}) at ([xshift={-dx / 2:.3f}cm]{column}.center) {{}};"
        )
        if dx:
            self.emit(
                rf"\filldraw[face, fill={top}] ({name}.north west) -- ++({dx:.3f},{dx:.3f})"
                rf" -- ++({box.width:.3f},0) -- ({name}.north east) -- cycle;"
            )
            self.emit(
                rf"\filldraw[face, fill={side}] ({name}.north east) -- ++({dx:.3f},{dx:.3f})"
                rf" -- ++(0,{-box.height:.3f}) -- ({name}.south east) -- cycle;"
            )
        self.emit(rf"\coordinate ({name}-b) at ([shift={{({dx:.3f},{dx:.3f})}}]{name}.north east);")
        self.emit(
            rf"\node[shape label, anchor=south] ({name}-s) at ([shift={{({dx / 2:.3f},{dx:.3f})}}]{name}.north)"
            rf" {{{_join_lines(box.shape_lines)}}};"
        )
        self.emit(rf"\node[hanging name] ({name}-n) at ({column}.center |- {name}.south) {{{tex_text(box.name)}}};")
        fit = self.fresh()
        self.emit(rf"\node[fitted, fit=({column})({name})({name}-b)({name}-s)({name}-n)] ({fit}) {{}};")
        return f"{name}.west", f"{name}-b |- {name}.east", fit

    def frame(self, frame: Frame, after: str, y: float, nesting: int) -> tuple[str, str, str]:
        start = self._point(after, y, COLUMN_GAP + FRAME_PAD)
        self.emit(f"% item block {tex_text(frame.box.name)}")
        first, last, fits = self.lane(frame.body, start, y, nesting + 1)
        inner, label, fit = self.fresh(), self.fresh(), self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({f})' for f in fits)}] ({inner}) {{}};")
        self.emit(
            rf"\node[frame label] ({label}) at ([yshift={FRAME_PAD:.3f}cm]{inner}.north west)"
            rf" {{{_join_lines(frame.box.frame_lines)}}};"
        )
        self.emit(rf"\node[fitted, inner sep={FRAME_PAD:.3f}cm, fit=({inner})({label})] ({fit}) {{}};")
        self.frames.append((nesting, fit))
        return first, last, fit

    def _split(self, after: str, y: float) -> tuple[str, str]:
        """The dot where paths part, and a point a little before it, so that a frame never touches it."""
        lead = self._point(after, y, COLUMN_GAP / 2)
        split = self._point(lead, y, COLUMN_GAP / 2)
        self.emit(rf"\fill[black!75] ({split}) circle (1.2pt);")
        return split, lead

    def residual(self, residual: Residual, after: str, y: float, nesting: int) -> tuple[str, str, str]:
        split, lead = self._split(after, y)
        first, last, fits = self.lane(residual.main, split, y, nesting)
        parts = [lead] + fits
        if first is not None:
            self.emit(rf"\draw[flow] ({split}) -- ({first});")
        main = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts)}] ({main}) {{}};")
        reach = main
        if residual.shortcut is not None:
            down = lane_extent(residual.main)[1] + LANE_GAP + lane_extent(residual.shortcut.elements)[0]
            # A lane always has an element: an empty shortcut is its collapsed box.
            s_first, s_last, s_fits = self.side_lane(residual.shortcut, split, y - down, nesting)
            parts += s_fits
            reach = self.fresh()
            self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts)}] ({reach}) {{}};")
        join, join_fit = self.join(residual.join, f"{reach}.east", y)
        self.emit(rf"\draw[flow] ({last or split}) -- ({join}.west);")
        if residual.shortcut is None:
            top = self.fresh()
            self.emit(rf"\coordinate ({top}) at ([yshift={ARC_CLEARANCE:.3f}cm]{main}.north);")
            self.emit(rf"\draw[skip] ({split}) |- ({top}) -| ({join}.north);")
            parts.append(top)
        else:
            self.emit(rf"\draw[skip] ({split}) |- ({s_first});")
            self.emit(rf"\draw[skip] ({s_last}) -| ({join}.south);")
        fit = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts + [join_fit])}] ({fit}) {{}};")
        return split, f"{join}.east", fit

    def concat(self, concat: Concat, after: str, y: float, nesting: int) -> tuple[str, str, str]:
        split, lead = self._split(after, y)
        offsets = _stack(concat.branches)[0]
        parts, ends = [lead], []
        for lane, offset in zip(concat.branches, offsets):
            first, last, fits = self.side_lane(lane, split, y + offset, nesting)  # an empty branch is a box
            parts += fits
            self.emit(rf"\draw[flow] ({split}) |- ({first});")
            ends.append(last)
        reach = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts)}] ({reach}) {{}};")
        join, join_fit = self.join(concat.join, f"{reach}.east", y, 2 * COLUMN_GAP)
        for last in ends:
            self.emit(rf"\draw[flow] ({last}) -- ({last} -| {reach}.east) -- ({join}.west);")
        fit = self.fresh()
        self.emit(rf"\node[fitted, fit={''.join(f'({p})' for p in parts + [join_fit])}] ({fit}) {{}};")
        return split, f"{join}.east", fit


def _join_lines(lines) -> str:
    return r"\\".join(lines)


def picture(network, depth: int | None = None) -> str:
    """The tikzpicture: the input, then every element, left to right."""
    figure = build(network, depth)
    writer = _Writer()
    writer.emit(r"\coordinate (origin) at (0,0);")
    _, last, fits = writer.lane([figure.input], "origin", 0.0)
    first, _, _ = writer.lane(figure.elements, f"{fits[0]}.east", 0.0)
    if first is not None:
        writer.emit(rf"\draw[flow] ({last}) -- ({first});")
    body = writer.lines
    frames = [
        rf"\draw[frame] ({name}.south west) rectangle ({name}.north east);"
        for _, name in sorted(writer.frames, key=lambda frame: frame[0])
    ]
    if frames:
        body += [r"\begin{scope}[on background layer]", *frames, r"\end{scope}"]
    header = [
        f"% {tex_text(network.file)}: drawn by symcnn figure. Needs \\usepackage{{tikz}} and {LIBRARIES}.",
        r"\begin{tikzpicture}[",
        *STYLES,
        "]",
    ]
    return "\n".join(header + body + [r"\end{tikzpicture}"]) + "\n"


def render(network, depth: int | None = None, standalone: bool = False) -> str:
    """The figure as TikZ: a tikzpicture to \\input (after loading tikz and its libraries), or a document."""
    text = picture(network, depth)
    if standalone:
        return "\n".join(STANDALONE_BEGIN) + "\n" + text + "\n".join(STANDALONE_END) + "\n"
    return text
