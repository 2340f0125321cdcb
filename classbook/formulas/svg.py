"""MathML -> one SVG for print (ziamath, STIX Two Math): glyph paths, em-sized, on the baseline."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from importlib.metadata import version

import ziafont
import ziamath
from ziamath import escapes, operators

from classbook.formulas import ziamath_fast

# ziafont's defaults changed here, for every drawing this process makes (we are its only user):
# svg2 writes each glyph once as <symbol> + <use>, with the same ids in every formula of a
# page (they would clash) and WeasyPrint draws <use> slower than the path itself.
ziafont.config.svg2 = False
#: Decimals in coordinates: 0.1 unit of the 100-unit em = 0.001 em, 0.01 pt at 11 pt.
ziafont.config.precision = 1
ziamath.config.math.color = "black"
ziamath_fast.install()

#: SVG user units per em of the math font (ziamath's ``size``).
UNITS = 100.0
#: Math em per em of the text around it: STIX Two Math's x-height is 0.473 em and Noto
#: Serif's 0.536 em, so math at 1.1 em has the text's x-height (its x matches an italic x).
MATH_SCALE = 1.1
#: Room around the ink, in em of the math font: antialiasing must not be clipped.
PAD = 0.02
FONT = "STIX Two Math 2.11 (inside the ziamath wheel)"


def versions() -> str:
    """What shapes the drawing besides this module's code (for the cache key)."""
    return f"ziamath-{version('ziamath')}|ziafont-{version('ziafont')}|{FONT}"


@dataclass(frozen=True, slots=True)
class Drawing:
    """One formula drawn: the ``<svg>`` element (no title yet) and its box in em of the text."""

    svg: str
    width_em: float
    height_em: float
    depth_em: float


class DrawingError(RuntimeError):
    """ziamath could not draw the MathML (or drew it without a part it does not know)."""


def draw(mathml: str, display: bool, *, scale: float = MATH_SCALE) -> Drawing:
    """``mathml`` as an SVG element whose width and height are in em and whose style lowers it
    by its depth: inline, its baseline lands on the text's baseline (WeasyPrint puts the
    bottom of an inline replaced box on the baseline, ``vertical-align`` moves it down)."""
    unknown = _Unknown()
    root_logger = logging.getLogger()
    root_logger.addFilter(unknown)  # ziamath warns on the root logger
    try:
        math = ziamath.Math(parse(prepare(mathml, display)), size=UNITS, margin=0)
        root = math.svgxml()
    except Exception as err:  # ziamath raises what it raises: one message per formula
        raise DrawingError(f"{type(err).__name__}: {err}") from err
    finally:
        root_logger.removeFilter(unknown)
    if unknown.elements:
        names = ", ".join(sorted(unknown.elements))
        raise DrawingError(f"ziamath cannot draw <{names}>")
    box = math.node.bbox
    pad = PAD * UNITS
    left, right = box.xmin - pad, box.xmax + pad
    top, bottom = box.ymax + pad, box.ymin - pad  # y up from the baseline; bottom < 0
    width, height = right - left, top - bottom

    def em(value: float) -> str:
        return f"{value / UNITS * scale:.4f}".rstrip("0").rstrip(".") + "em"

    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "formula",
            "width": em(width),
            "height": em(height),
            "viewBox": f"{left:.1f} {-top:.1f} {width:.1f} {height:.1f}",
            "style": f"vertical-align:{em(bottom)}",
        },
    )
    svg.extend(simplify(root))
    text = ET.tostring(svg, encoding="unicode", short_empty_elements=True)
    return Drawing(text, width / UNITS * scale, height / UNITS * scale, -bottom / UNITS * scale)


def with_title(svg: str, title: str) -> str:
    """``svg`` with ``<title>`` as its first child: WeasyPrint writes it as the /Alt of the
    /Figure it tags the SVG with (``render/pdfua.py`` retags it /Formula)."""
    text = escape(" ".join(title.split()), quote=False)
    return re.sub(r"^(<svg\b[^>]*>)", lambda m: f"{m.group(1)}<title>{text}</title>", svg, count=1)


class _Unknown(logging.Filter):
    """Collects (and silences) ziamath's 'Undefined element' warnings: such an element is
    left out of the drawing, which must not pass silently."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if "ziamath" not in record.pathname and "ziafont" not in record.pathname:
            return True
        if record.msg == "Undefined element %s" and record.args:
            element = record.args[0] if isinstance(record.args, tuple) else None
            self.elements.add(str(getattr(element, "tag", element)))
        return False


# -- Before ziamath: its MathML reading differs from the browsers' in a few places ---------

_SEMANTICS = re.compile(r"<annotation(?:-xml)?\b.*?</annotation(?:-xml)?>", re.S)
#: Large operators ziamath's operator dictionary also makes stretchy (MathML Core's does not):
#: ∑ ∏ ∫ ⋃ …, and the integrals it does not list.
LARGE_OPERATORS = "".join(
    sorted(
        {
            name
            for (name, _form), params in operators.operators.items()
            if params.get("largeop") == "true" and params.get("stretchy") == "true"
        }
        | set("∫∬∭∮∯∰∱∲∳⨌⨍⨎⨏⨐⨑⨒⨓⨔⨕⨖⨗⨘⨙⨚⨛⨜")
    )
)
_LARGE = re.compile(
    r"<mo(?![^>]*stretchy)([^>]*)>\s*([" + re.escape(LARGE_OPERATORS) + r"])\s*</mo>"
)
_MSTYLE_OPEN = re.compile(r"<mstyle\b[^>]*(?<!/)>")
_EMPTY_MTEXT = re.compile(r"<mtext\b[^>]*(?:/>|>\s*</mtext>)")
_TABLE = re.compile(r"<mtable\b([^>]*)>(<mtr\b[^>]*>(.*?)</mtr>)", re.S)


def prepare(mathml: str, display: bool) -> str:
    """temml's MathML as ziamath draws it like a browser does.

    - ``<semantics>``/``<annotation>`` are unknown to ziamath: keep the presentation only
      (and ziamath is 2.6 times faster without them).
    - temml writes ``display="block"`` and nothing for inline; ziamath's default is display
      style (large operators, limits above and below): say ``inline``.
    - temml aligns table cells with classes (its CSS); ziamath reads ``columnalign``.
    - ziamath's operator dictionary makes ∑, ∏, ∫, ⋃ … stretchy: it stretches them to the
      row's height (an inline ∫ with limits grew to 2.8 em, an inline ∑ beside a fraction to
      1.3 em): ``stretchy="false"``, as in MathML Core; display style still picks the large
      variant through ``largeop``.
    - align-like tables get amsmath's spacing (none inside a pair, 2 em between pairs),
      not ziamath's 0.3 em everywhere.
    - ziamath splices an ``<mstyle>``'s children into its parent (an ``<mover>`` then has
      too many children and ziamath fails an assertion): wrap them in an ``<mrow>``, as
      MathML reads ``<mstyle>`` anyway; the attributes still reach them by inheritance.
    - an empty ``<mtext>`` (temml's empty tag cell of an aligned row) makes ziamath fail
      on an empty list: an empty ``<mrow>`` takes no room either.
    """
    mathml = re.sub(r"</?semantics>", "", _SEMANTICS.sub("", mathml))
    if not re.match(r"<math\b[^>]*\sdisplay=", mathml):
        mathml = mathml.replace("<math", f'<math display="{"block" if display else "inline"}"', 1)
    mathml = re.sub(
        r'<mtd class="tml-(right|left)"', r'<mtd columnalign="\1" class="tml-\1"', mathml
    )
    mathml = _LARGE.sub(r'<mo\1 stretchy="false">\2</mo>', mathml)
    mathml = _MSTYLE_OPEN.sub(r"\g<0><mrow>", mathml).replace("</mstyle>", "</mrow></mstyle>")
    mathml = _EMPTY_MTEXT.sub("<mrow></mrow>", mathml)
    return _TABLE.sub(_align_spacing, mathml)


def parse(mathml: str) -> ET.Element:
    """The MathML parsed as ziamath reads a string, but element by element: ziamath turns a
    hyphen that starts a number or is an operator into a minus sign with greedy patterns
    (``<mn.*>\\s*-``) that run from the first ``<mn`` to any later ``>-`` and break the XML
    (``\\text{-}`` in a row after a number). Its entity escapes are applied as it applies them."""
    root = ET.fromstring(escapes.regex.sub(lambda m: escapes.ESCAPES[m.group(0)], mathml))
    for element in root.iter():
        tag, text = element.tag.rsplit("}", 1)[-1], element.text or ""
        if tag == "mn" and text.lstrip().startswith("-"):
            element.text = "\u2212" + text.lstrip()[1:]
        elif tag == "mo" and text.strip() == "-":
            element.text = " \u2212 "
        elif tag == "mtr" and not "".join(element.itertext()).strip():
            # An empty row (TeX's "\\ \\", a blank line in an align): ziamath gives it an
            # empty box whose bounds are its sentinels, and the drawing a height of -200 em.
            # A strut instead, as TeX's blank line has (an invisible parenthesis: ziamath
            # draws <mspace> one size whatever its height says).
            space = element.tag[: -len("mtr")]  # the MathML namespace, as the row has it
            cell = next(iter(element), None)
            if cell is None:
                cell = ET.SubElement(element, f"{space}mtd")
            strut = ET.SubElement(ET.SubElement(cell, f"{space}mphantom"), f"{space}mo")
            strut.set("stretchy", "false")
            strut.text = "("
    return root


def _align_spacing(match: re.Match[str]) -> str:
    attributes, row = match.group(1), match.group(3)
    if "columnspacing" in attributes:
        return match.group(0)
    cells = re.findall(r"<mtd\b[^>]*>", row)
    want = ["right" if i % 2 == 0 else "left" for i in range(len(cells))]
    got = [m.group(1) if (m := re.search(r'columnalign="(\w+)"', c)) else "" for c in cells]
    if len(cells) > 1 and got == want:
        gaps = " ".join("0em" if i % 2 == 0 else "2em" for i in range(len(cells) - 1))
        return f'<mtable{attributes} columnspacing="{gaps}">{match.group(2)}'
    return match.group(0)


# -- After ziamath: as few SVG elements as possible --------------------------------------

_PLAIN_PATH = frozenset({"d", "fill"})
_PLAIN_RECT = frozenset({"x", "y", "width", "height", "fill"})


def simplify(root: ET.Element) -> list[ET.Element]:
    """ziamath's drawing as few elements: every filled glyph and bar of one colour in a row
    becomes one ``<path>``. WeasyPrint parses, styles and draws each SVG element on its own,
    which costs more than the path data; the drawing is the same (glyph outlines and bars
    share one winding direction, so under the nonzero rule overlaps stay filled)."""
    out: list[ET.Element] = []
    run: list[str] = []
    fill: str | None = None

    def flush() -> None:
        if run:
            attributes = {"d": "".join(run)}
            if fill is not None:
                attributes["fill"] = fill
            out.append(ET.Element("path", attributes))
            run.clear()

    for element in _flat(root):
        data = _path_data(element)
        if data is None:
            flush()
            out.append(element)
            continue
        if element.get("fill") != fill:
            flush()
            fill = element.get("fill")
        run.append(data)
    flush()
    return out


def _flat(root: ET.Element) -> list[ET.Element]:
    """The drawing's elements in paint order, plain groups (ziamath's assembled glyphs,
    maybe with a fill their parts take) opened, the title left out (the caller writes the
    speech as title)."""
    found: list[ET.Element] = []
    for child in root:
        if child.tag == "g" and set(child.attrib) <= {"fill"}:
            for inner in _flat(child):
                if "fill" in child.attrib and "fill" not in inner.attrib:
                    inner.set("fill", child.attrib["fill"])  # what the group gave it
                found.append(inner)
        elif child.tag != "title":
            found.append(child)
    return found


def _path_data(element: ET.Element) -> str | None:
    """The element as compact path data, or None when it is not a plain filled shape."""
    keys = set(element.attrib)
    if element.tag == "path" and keys <= _PLAIN_PATH:
        return compact(element.get("d", ""))
    if element.tag == "rect" and keys <= _PLAIN_RECT:
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        w, h = float(element.get("width", 0)), float(element.get("height", 0))
        # The glyphs' winding (measured on STIX Two's minus sign): bottom right, bottom left,
        # top left, top right.
        return f"M{_n(x + w)} {_n(y + h)}H{_n(x)}V{_n(y)}H{_n(x + w)}Z"
    return None


_MOVE_THEN_SAME = re.compile(r"M ?(-?[\d.]+) (-?[\d.]+) L ?\1 \2 ")
_SPACE_BEFORE = re.compile(r" (?=[A-Za-z-])")
_SPACE_AFTER = re.compile(r"(?<=[A-Za-z]) ")


def compact(d: str) -> str:
    """ziafont's path data without its repeated first point (``M x y L x y``) and with no
    space a parser does not need: fewer points and bytes, the same outline."""
    d = _MOVE_THEN_SAME.sub(r"M\1 \2 ", d)
    return _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", d.strip()))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
