"""Which boxes WeasyPrint tags as /Figure are formulas, page by page (for render/pdfua.py)."""

from __future__ import annotations

from typing import Any

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
        if box.element is not None and box.element_tag in FIGURE_TAGS:
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
