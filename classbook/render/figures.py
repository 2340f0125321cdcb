"""Where the formulas are in WeasyPrint's PDF: which /Figure boxes, which glyphs (for pdfua.py)."""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterable
from html import unescape
from pathlib import Path
from typing import Any

import pikepdf

SVG_NS = "{http://www.w3.org/2000/svg}"
#: The elements WeasyPrint tags as /Figure (weasyprint/pdf/tags.py).
FIGURE_TAGS = frozenset({"img", f"{SVG_NS}svg"})


def formula_alts(document: Any) -> list[list[str | None]]:
    """Per page, each box WeasyPrint tags as /Figure, in its order: the spoken text of a
    formula (an ``<svg class="formula">``, classbook/builders/formulas.py), None for a picture.

    Walks the boxes as WeasyPrint's tagging does: margin boxes apart (their elements stay
    out of the tree), a table's captions among its rows.
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder

    def walk(box: Any, found: list[str | None]) -> None:
        if isinstance(box, AbsolutePlaceholder):
            box = box._box
        if isinstance(box, boxes.MarginBox):
            return
        # A picture drawn (a replaced box); an image that failed to load is its alt text.
        if isinstance(box, boxes.ReplacedBox) and box.element_tag in FIGURE_TAGS:
            found.append(_formula_speech(box.element))
        if not isinstance(box, boxes.ParentBox):
            return
        children = list(box.children)
        if getattr(box, "is_table_wrapper", False) and (table := box.get_wrapped_table()):
            children = [g for c in box.children for g in (c.children if c is table else [c])]
        for child in children:
            walk(child, found)

    result = []
    for page in document.pages:
        found: list[str | None] = []
        walk(page._page_box, found)
        result.append(found)
    return result


def _formula_speech(element: Any) -> str | None:
    if element.tag != f"{SVG_NS}svg" or "formula" not in (element.get("class") or "").split():
        return None
    title = element.find(f"{SVG_NS}title")
    return title.text if title is not None and title.text else None


# -- The glyph form (classbook/builders/printformulas.py) ------------------------------------

#: The family of classbook/formulas/font.py's fonts; a print HTML declares each under this
#: and the digest of its file.
FORMULA_FAMILY = "Classbook Formulas"
#: How WeasyPrint names a formula font in the PDF: a subset prefix, this, "-" and the digest.
FORMULA_FONT = "+" + FORMULA_FAMILY.replace(" ", "-")
#: font.py's first formula glyph: .notdef and space come first. WeasyPrint keeps glyph ids
#: when it subsets a font, so a glyph id in the page names the formula.
FIRST_GLYPH = 2
FIRST_CODE_POINT = 0xF0000
_GLYPH_SPAN = re.compile(
    r'<span class="formula" role="math" aria-label="([^"]*)" style="[^"]*">&#x([0-9A-F]+);</span>'
)


#: The rule classbook/formulas/font.py's ``css`` writes for a formula font.
_FONT_FACE = re.compile(r'@font-face \{ font-family: "([^"]+)"; src: url\("([^"]+)"\); \}')


def foreign_formula_fonts(fonts: Iterable[Any], html: Path, text: str) -> list[str]:
    """The families of the formula fonts WeasyPrint drew ``html`` with (``fonts``: its written
    document's ``Font`` objects, subset) whose glyphs are not those of the file ``text`` (the
    HTML) declares under that family: another PDF's formulas, a fault of the font setup."""
    declared = {family: url for family, url in _FONT_FACE.findall(text)}
    foreign = []
    for face in fonts:
        if not face.family.startswith(FORMULA_FAMILY):
            continue
        url = declared.get(face.family)
        drawn = _glyph_shapes(face.file_content)
        own = _glyph_shapes((html.parent / url).read_bytes(), drawn) if url else {}
        if any(own.get(gid) != shape for gid, shape in drawn.items()):
            foreign.append(face.family)
    return sorted(foreign)


def _glyph_shapes(data: bytes, only: Iterable[int] | None = None) -> dict[int, bytes]:
    """Each outlined glyph of a TrueType font (or those of ``only``) by id: its header, the
    contour count and box (WeasyPrint's subset keeps the glyph ids and outlines). Read from
    the raw tables: decoding 500 formula glyphs with fontTools takes a quarter second."""
    from fontTools.ttLib.sfnt import SFNTReader

    tables = SFNTReader(io.BytesIO(data))
    (glyph_count,) = struct.unpack_from(">H", tables["maxp"], 4)
    (long_offsets,) = struct.unpack_from(">h", tables["head"], 50)
    loca, glyf = tables["loca"], tables["glyf"]
    if long_offsets:
        offsets = struct.unpack_from(f">{glyph_count + 1}I", loca)
    else:
        offsets = tuple(2 * o for o in struct.unpack_from(f">{glyph_count + 1}H", loca))
    return {
        gid: glyf[offsets[gid] : offsets[gid] + 10]
        for gid in (range(glyph_count) if only is None else only)
        if gid < glyph_count and offsets[gid + 1] > offsets[gid]
    }


def glyph_speech(html: str) -> dict[int, str]:
    """Each formula glyph's id in the font of this print HTML -> its spoken text."""
    return {
        int(code, 16) - FIRST_CODE_POINT + FIRST_GLYPH: unescape(label)
        for label, code in _GLYPH_SPAN.findall(html)
    }


def is_formula_font(base_font: str) -> bool:
    """Whether a PDF font's ``/BaseFont`` names a formula font."""
    _, plus, name = base_font.partition(FORMULA_FONT)
    return bool(plus) and name[:1] in ("", "-")


def glyph_marks(page: pikepdf.Page) -> list[tuple[int, int]]:
    """The marked content (MCID) of ``page`` that draws a formula glyph, with its glyph id,
    in the order drawn; none when the page uses no formula font."""
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(fonts, pikepdf.Dictionary):
        return []
    names = {
        str(name) for name, face in fonts.items() if is_formula_font(str(face.get("/BaseFont", "")))
    }
    if not names:
        return []
    found: list[tuple[int, int]] = []
    marks: list[int | None] = []
    current = ""
    for instruction in pikepdf.parse_content_stream(page):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue  # an inline image
        operands, name = instruction.operands, str(instruction.operator)
        if name == "BDC":
            properties = operands[1]
            mcid = properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
            marks.append(None if mcid is None else int(mcid))
        elif name == "BMC":
            marks.append(None)
        elif name == "EMC" and marks:
            marks.pop()
        elif name == "Tf":
            current = str(operands[0])
        elif name in {"TJ", "Tj"} and current in names and marks and marks[-1] is not None:
            strings = operands[0] if name == "TJ" else [operands[0]]
            for string in strings:
                if isinstance(string, pikepdf.String):
                    data = bytes(string)
                    for at in range(0, len(data) - 1, 2):
                        found.append((marks[-1], int.from_bytes(data[at : at + 2], "big")))
    return found
