"""Where the formulas are in WeasyPrint's PDF: which /Figure boxes, which glyphs (for pdfua.py)."""

from __future__ import annotations

import re
from html import unescape
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

#: How WeasyPrint names a formula font of classbook/formulas/font.py: a subset prefix, this,
#: and "-" with the digest of the font's file.
FORMULA_FONT = "+Classbook-Formulas"
#: font.py's first formula glyph: .notdef and space come first. WeasyPrint keeps glyph ids
#: when it subsets a font, so a glyph id in the page names the formula.
FIRST_GLYPH = 2
FIRST_CODE_POINT = 0xF0000
_GLYPH_SPAN = re.compile(
    r'<span class="formula" role="math" aria-label="([^"]*)" style="[^"]*">&#x([0-9A-F]+);</span>'
)


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
