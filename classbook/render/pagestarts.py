"""Where each page of a WeasyPrint layout begins: the block, and how far into it."""

from __future__ import annotations

from typing import Any

#: Print-only classes of the blocks whose page breaks the EPUB and the web site mark
#: (``cbb-<n>-<document id>``, given by classbook.pagemap; a class, not an id, so that
#: the anchors "see p. N" counts pages from stay where they are).
PREFIX = "cbb-"
#: Characters a reader never sees as text: hyphens WeasyPrint adds where it breaks a word.
_ADDED = str.maketrans("", "", "\u00ad\u2010")


def _chars(text: str) -> int:
    return len("".join(text.translate(_ADDED).split()))


def page_starts(document: Any) -> list[dict[str, Any]]:
    """For each page of a rendered ``weasyprint.Document``, the block its text starts in.

    Returns one dict per page that has text of a marked block: ``page`` (1-based), ``block``
    (the block's class), ``chars`` (non-blank characters of that block printed on earlier
    pages: 0 when the page starts with the block) and ``blocks`` (the classes of every
    marked block with text on the page, in order). Margin boxes (running heads, page
    numbers), footnote areas and generated content are not the text.
    """
    from weasyprint.formatting_structure import boxes

    seen: dict[str, int] = {}
    starts: list[dict[str, Any]] = []
    for number, page in enumerate(document.pages, start=1):
        start: dict[str, Any] | None = None
        on_page: dict[str, None] = {}
        stack: list[tuple[Any, str | None]] = [(page._page_box, None)]
        while stack:
            box, block = stack.pop()
            if isinstance(box, boxes.MarginBox | boxes.FootnoteAreaBox):
                continue
            if "::" in (box.element_tag or ""):
                continue  # ::before, ::marker, footnote calls: the theme's, not the text
            if box.element_tag in {"thead", "tfoot"}:
                continue  # repeated on every page a table spans: never where a page begins
            element = box.element
            classes = element.get("class", "") if hasattr(element, "get") else ""
            marked = [name for name in classes.split() if name.startswith(PREFIX)]
            if marked and box.element_tag != "html":
                block = marked[0]
            if isinstance(box, boxes.TextBox):
                if block is None or not box.text.strip():
                    continue
                on_page[block] = None
                if start is None:
                    start = {"page": number, "block": block, "chars": seen.get(block, 0)}
                seen[block] = seen.get(block, 0) + _chars(box.text)
                continue
            children = list(box.all_children()) if hasattr(box, "all_children") else []
            stack.extend((child, block) for child in reversed(children))
        if start is not None:
            start["blocks"] = list(on_page)
            starts.append(start)
    return starts
