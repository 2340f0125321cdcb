"""Print formulas as one glyph each of a font made per PDF: WeasyPrint draws text, not SVG."""

# WeasyPrint draws an SVG path by parsing its coordinates one by one in Python, on every draw,
# in every PDF: 500 formulas cost seconds per PDF. A glyph is drawn by a text operator, its
# outline embedded once per PDF (subset, compressed). So each formula's drawing (the SVG from
# svg.py, glyph outlines and bars already in one path) becomes one TrueType glyph:
#
# - 1000 font units = 1 em of the math font; x from the SVG's left edge; the glyph is moved
#   down so its box is centred on the baseline: with the font's ascent = descent, a span of
#   ``line-height: H`` then has exactly the glyph's box, and ``vertical-align: s`` lifts box
#   and glyph together so the formula's baseline lands on the text's (``snippet``).
# - code points from U+F0000 (Supplementary Private Use Area-A), in the order given.
# - a formula whose drawing is not one black fill (colour, strokes) or does not fit TrueType's
#   16-bit coordinates has no glyph: ``glyph`` returns None, use its SVG.

from __future__ import annotations

import hashlib
import os
import re
import struct
from array import array
from collections.abc import Sequence
from html import escape
from io import BytesIO
from itertools import pairwise
from pathlib import Path, PurePosixPath

from fontTools.fontBuilder import FontBuilder
from fontTools.ttLib import newTable
from fontTools.ttLib.tables.DefaultTable import DefaultTable

from classbook.formulas.model import Converted, Glyph

FAMILY = "Classbook Formulas"
#: Font units per em of the math font; the SVG has 100 user units per em, in steps of 0.1.
UNITS_PER_EM = 1000
FROM_SVG = 10
FIRST_CODE_POINT = 0xF0000
#: A font file's name: this, then a digest of its glyphs.
FILE_PREFIX = "formulas-"
LAST_CODE_POINT = 0xFFFFD
#: TrueType's flags: an on-curve point; the first point of a glyph whose contours overlap.
ON_CURVE, OVERLAP_SIMPLE = 0x01, 0x40

_VIEWBOX = re.compile(r'viewBox="([^"]+)"')
_PATH = re.compile(r"<path\b([^>]*)/?>")
_OTHER = re.compile(r"<(?!/|svg\b|title\b|path\b)\w+")
_D = re.compile(r'\bd="([^"]*)"')
_FILL = re.compile(r'\bfill="([^"]*)"')
_COMMAND = re.compile(r"[A-Za-z]")
_NUMBER = re.compile(r"-?\d*\.?\d+")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "Z": 0}


#: maxp fields of hinting and composites: none here.
_MAXP_ZERO = (
    "maxCompositePoints",
    "maxCompositeContours",
    "maxTwilightPoints",
    "maxStorage",
    "maxFunctionDefs",
    "maxInstructionDefs",
    "maxStackElements",
    "maxSizeOfInstructions",
    "maxComponentElements",
    "maxComponentDepth",
)


def glyph(svg: str) -> Glyph | None:
    """A drawing of svg.py as a glyph, or None when a glyph cannot show it (see above)."""
    if _OTHER.search(svg):
        return None  # strokes, ellipses, markers: not a filled outline
    viewbox = _VIEWBOX.search(svg)
    if viewbox is None:
        return None
    left, minus_top, width, height = (float(v) for v in viewbox.group(1).split())
    top, bottom = -minus_top, -minus_top - height
    shift = (top + bottom) / 2  # in SVG units: the box centred on the baseline
    contours: list[list[tuple[int, int, int]]] = []
    for attributes in _PATH.findall(svg):
        fill = _FILL.search(attributes)
        if fill is not None and fill.group(1) not in ("black", "#000", "#000000"):
            return None
        if (d := _D.search(attributes)) is not None:
            try:
                contours.extend(_contours(d.group(1), left, shift))
            except ValueError:
                return None
    if not contours:
        return None
    return _encode(contours, round(width * FROM_SVG), height / 100, shift / 100)


def _contours(d: str, left: float, shift: float) -> list[list[tuple[int, int, int]]]:
    """Path data (M, L, H, V, Q, Z, absolute, one letter per segment, as svg.py writes it) as
    TrueType contours of (x, y, on-curve) in font units, y up."""
    commands = _COMMAND.findall(d)
    numbers = [float(n) for n in _NUMBER.findall(d)]
    if not set(commands) <= _ARITY.keys() or sum(_ARITY[c] for c in commands) != len(numbers):
        raise ValueError("path data svg.py does not write (other commands, implicit ones)")
    out: list[list[tuple[int, int, int]]] = []
    contour: list[tuple[int, int, int]] = []
    x = y = 0.0
    i = 0
    for command in commands:
        if command in "MZ" and contour:
            if len(contour) > 1 and contour[-1] == contour[0]:
                contour.pop()  # TrueType closes contours itself
            out.append(contour)
            contour = []
        if command == "Q":
            contour.append(
                (
                    round((numbers[i] - left) * FROM_SVG),
                    round((-numbers[i + 1] - shift) * FROM_SVG),
                    0,
                )
            )
            x, y = numbers[i + 2], numbers[i + 3]
            i += 4
        elif command == "H":
            x = numbers[i]
            i += 1
        elif command == "V":
            y = numbers[i]
            i += 1
        elif command != "Z":  # M, L
            x, y = numbers[i], numbers[i + 1]
            i += 2
        else:
            continue
        contour.append((round((x - left) * FROM_SVG), round((-y - shift) * FROM_SVG), ON_CURVE))
    if contour:
        out.append(contour)
    return out


def _encode(
    contours: list[list[tuple[int, int, int]]], advance: int, height_em: float, shift_em: float
) -> Glyph | None:
    """A simple glyph: every delta a 16-bit number (no short vectors: simpler and fast to
    write; the font is compressed in the PDF anyway)."""
    xs = [p[0] for c in contours for p in c]
    ys = [p[1] for c in contours for p in c]
    flags = bytearray(p[2] for c in contours for p in c)
    box = (min(xs), min(ys), max(xs), max(ys))
    if min(box) < -32768 or max(box) > 32767 or len(xs) > 65535 or advance > 65535:
        return None
    dx = array("h", [xs[0], *(b - a for a, b in pairwise(xs))])
    dy = array("h", [ys[0], *(b - a for a, b in pairwise(ys))])
    if struct.pack(">H", 1) != array("H", [1]).tobytes():
        dx.byteswap()
        dy.byteswap()
    flags[0] |= OVERLAP_SIMPLE  # merged glyphs and bars may overlap: fill by nonzero
    ends, total = [], 0
    for contour in contours:
        total += len(contour)
        ends.append(total - 1)
    data = b"".join(
        [
            struct.pack(">hhhhh", len(contours), *box),
            struct.pack(f">{len(ends)}H", *ends),
            struct.pack(">H", 0),  # no instructions
            bytes(flags),
            dx.tobytes(),
            dy.tobytes(),
        ]
    )
    data += b"\0" * (-len(data) % 4)
    return Glyph(data, advance, box, len(xs), len(contours), height_em, shift_em)


def build(glyphs: Sequence[Glyph], family: str = FAMILY) -> bytes:
    """A TrueType font with ``glyphs`` at U+F0000, U+F0001, … in that order."""
    if len(glyphs) > LAST_CODE_POINT - FIRST_CODE_POINT + 1:
        raise ValueError(f"{len(glyphs)} formulas do not fit in one font")
    # A space, empty: WeasyPrint measures a span's strut (its baseline) on ' ' in the span's
    # font; without one it falls back to another font's ascent and the formula sits wrong.
    names = [".notdef", "space", *(f"f{i}" for i in range(len(glyphs)))]
    builder = FontBuilder(UNITS_PER_EM, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(
        {0x20: "space", **{FIRST_CODE_POINT + i: f"f{i}" for i in range(len(glyphs))}}
    )
    builder.setupHorizontalMetrics(
        {
            ".notdef": (0, 0),
            "space": (0, 0),
            **{f"f{i}": (g.advance, g.box[0]) for i, g in enumerate(glyphs)},
        }
    )
    # Ascent = descent: a span's line box is centred on its baseline (see the module's doc).
    builder.setupHorizontalHeader(ascent=UNITS_PER_EM // 2, descent=-UNITS_PER_EM // 2)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(
        sTypoAscender=UNITS_PER_EM // 2,
        sTypoDescender=-UNITS_PER_EM // 2,
        sTypoLineGap=0,
        usWinAscent=UNITS_PER_EM // 2,
        usWinDescent=UNITS_PER_EM // 2,
        fsType=0,  # installable: may be embedded in the PDF
        fsSelection=0x40 | 0x80,  # regular; use the typo metrics
        achVendID="NONE",
        version=4,
    )
    builder.setupPost(keepGlyphNames=False)
    builder.setupHead(unitsPerEm=UNITS_PER_EM, created=0, modified=0)
    # glyf and loca as bytes: fontTools would otherwise decode and re-encode every glyph.
    offsets = [0, 0, 0]  # .notdef and space are empty
    for g in glyphs:
        offsets.append(offsets[-1] + len(g.data))
    font = builder.font
    glyf, loca = DefaultTable("glyf"), DefaultTable("loca")
    glyf.data = b"".join(g.data for g in glyphs)
    loca.data = struct.pack(f">{len(offsets)}I", *offsets)
    font["glyf"], font["loca"] = glyf, loca
    boxes = [g.box for g in glyphs] or [(0, 0, 0, 0)]
    head = font["head"]
    head.indexToLocFormat = 1  # 32-bit offsets
    head.xMin, head.yMin = min(b[0] for b in boxes), min(b[1] for b in boxes)
    head.xMax, head.yMax = max(b[2] for b in boxes), max(b[3] for b in boxes)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(names)
    maxp.maxPoints = max((g.points for g in glyphs), default=0)
    maxp.maxContours = max((g.contours for g in glyphs), default=0)
    for name in _MAXP_ZERO:
        setattr(maxp, name, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font.recalcBBoxes = False  # set above; recalculating would decode every glyph
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def write(glyphs: Sequence[Glyph], folder: Path, family: str = FAMILY) -> Path:
    """The font of ``glyphs`` in ``folder``, named by its content: a PDF whose formulas did not
    change refers to the same file, with the same bytes (the render cache sees no change),
    and an existing file is not written again."""
    digest = hashlib.sha256(family.encode())
    for g in glyphs:
        digest.update(struct.pack(">I", len(g.data)) + g.data)
        digest.update(struct.pack(">Hhhhhdd", g.advance, *g.box, g.line_height_em, g.raise_em))
    path = folder / f"{FILE_PREFIX}{digest.hexdigest()[:20]}.ttf"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(build(glyphs, family))
        os.replace(partial, path)
    return path


def snippet(result: Converted, index: int) -> str:
    """The HTML of a formula whose glyph is number ``index`` of the font: one character in a
    span of the formula's own line height, lifted so its baseline is the text's.
    ``aria-label`` carries the speech for the PDF/UA repair (WeasyPrint tags the span /Span,
    without /Alt); ``result.glyph`` must not be None."""
    g = result.glyph
    if g is None:
        raise ValueError("this formula has no glyph: use its SVG")
    return (
        f'<span class="formula" role="math" aria-label="{escape(result.speech)}" '
        f'style="line-height:{g.line_height_em:.4f}em;vertical-align:{g.raise_em:.4f}em">'
        f"&#x{FIRST_CODE_POINT + index:X};</span>"
    )


def css(font_url: str, scale: float, family: str = FAMILY) -> str:
    """The stylesheet the print HTML needs: the font, and the math em (``scale`` body em).

    The family the stylesheet declares is ``family`` and the digest in the font's file name:
    one render worker lays out many PDFs with one font configuration, and every formula
    font maps its formulas to the same code points; under one family name, fontconfig would
    draw a later PDF's formulas with the glyphs of the first font it was given (another
    PDF's formulas). WeasyPrint names the PDF's font after it (``…+Classbook-Formulas-<digest>``).
    """
    declared = f"{family} {PurePosixPath(font_url).stem.removeprefix(FILE_PREFIX)}"
    return (
        f'@font-face {{ font-family: "{declared}"; src: url("{font_url}"); }}\n'
        f'span.formula {{ font-family: "{declared}"; font-size: {scale}em; font-style: normal;'
        " font-weight: normal; white-space: nowrap; }\n"
    )
