"""The conversion layer's types: a formula in, a converted formula or a failure out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Formula:
    """One formula as the author wrote it: TeX without delimiters, and whether it is a display
    (block) formula. Equal formulas are converted once per batch."""

    tex: str
    display: bool


@dataclass(frozen=True, slots=True)
class Glyph:
    """A formula's drawing as one TrueType glyph (``glyf`` table data) for the print font
    (font.py): ``advance`` and ``box`` (xMin, yMin, xMax, yMax) in font units, 1000 per em
    of the math font; the span holding it gets ``line-height: line_height_em`` and
    ``vertical-align: raise_em`` (em of the math font)."""

    data: bytes
    advance: int
    box: tuple[int, int, int, int]
    points: int
    contours: int
    line_height_em: float
    raise_em: float


@dataclass(frozen=True, slots=True)
class Converted:
    """Everything each output needs of one formula.

    ``mathml``: one ``<math>`` element (MathML Core, well-formed XML, TeX kept in an
    ``<annotation>``) for the web and the EPUB; ``speech``: the spoken text, for ``alttext``
    and the PDF's ``/Alt``; ``svg``: one ``<svg>`` element for print, sized in em of the
    surrounding text, its ``<title>`` the spoken text; ``depth_em``: how far the formula
    reaches below the baseline (the SVG carries ``vertical-align: -depth``). ``glyph``: the
    same drawing as a glyph of a font made per PDF (font.py; WeasyPrint draws a glyph far
    faster than an SVG), None when a glyph cannot show it (colour, strokes).
    """

    mathml: str
    speech: str
    svg: str
    width_em: float
    height_em: float
    depth_em: float = 0.0
    glyph: Glyph | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Failed:
    """A formula that cannot be converted; ``message`` says what is wrong with its TeX (or
    which step could not draw or speak it), e.g. ``unknown command \\foo at position 12``."""

    message: str


Result = Converted | Failed
