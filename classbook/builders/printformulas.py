"""Print HTML's formulas as glyphs of a font made per file: WeasyPrint draws text fast."""

# WeasyPrint parses an SVG path's numbers in Python on every draw, in every PDF: about 9 ms
# a formula a PDF (docs/formulas.md). A glyph costs nothing measurable. So
# before a print HTML file is laid out, each formula SVG the converter also made a glyph for
# becomes one character of a font of that file's formulas (classbook/formulas/font.py); a
# formula without a glyph (colour, strokes) keeps its SVG. The font's name is a digest of
# its glyphs: an unchanged part refers to the same bytes, and the render cache keeps its PDF.

from __future__ import annotations

import os
import re
from pathlib import Path

from classbook.formulas import Converted, Formula, Result, font
from classbook.formulas.svg import MATH_SCALE

#: An SVG of classbook/formulas/svg.py as the HTML writer put it (no SVG nests another).
_SVG = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" class="formula".*?</svg>', re.S)
#: Where the fonts go, inside the builder's output folder (which the renderer may read).
FOLDER = Path("_static") / "formulas"


def glyph_form(html: Path, outdir: Path, results: dict[Formula, Result]) -> None:
    """Rewrite ``html`` in place: each formula SVG with a glyph becomes the glyph, the font
    and its stylesheet added to the head. Idempotent (a file rewritten has no such SVG)."""
    by_svg = {
        result.svg: result
        for result in results.values()
        if isinstance(result, Converted) and result.glyph is not None
    }
    text = html.read_text(encoding="utf-8")
    order: dict[str, int] = {}
    for match in _SVG.finditer(text):
        if match[0] in by_svg:
            order.setdefault(match[0], len(order))
    if not order:
        return
    glyphs = [by_svg[svg].glyph for svg in order]
    path = font.write([g for g in glyphs if g is not None], outdir / FOLDER)
    url = Path(os.path.relpath(path, html.parent)).as_posix()

    def swap(match: re.Match[str]) -> str:
        index = order.get(match[0])
        return match[0] if index is None else font.snippet(by_svg[match[0]], index)

    text = _SVG.sub(swap, text)
    style = f"<style>{font.css(url, MATH_SCALE)}</style>"
    head_end = text.index("</head>")
    html.write_text(text[:head_end] + style + text[head_end:], encoding="utf-8")
