"""The one-page print book cut into parts at document starts: each part is laid out alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from docutils import nodes
from sphinx import addnodes

from classbook.render import merge

#: Links between parts: WeasyPrint lays a part out alone and would drop a ``#id`` link to
#: another part ("No anchor"), so every internal link takes this scheme in print and
#: classbook.render.merge points it at its anchor once the parts are one PDF.
XREF = merge.XREF
#: Where a book PDF builder keeps its parts' PDFs, in its output folder (never published).
FOLDER = "_parts"


@dataclass
class Part:
    """One part of the book: the top-level documents it prints (none: the front matter)."""

    number: int
    units: list[nodes.Element] = field(default_factory=list)
    words: int = 0
    #: CSS ``counter-reset`` values that carry on the numbers of the parts before it.
    counters: str = ""

    @property
    def front(self) -> bool:
        return not self.units


def split(tree: nodes.document, words_per_part: int) -> list[Part]:
    """Part 0 is the front matter (cover, title, contents); then consecutive top-level
    documents, each part holding about ``words_per_part`` words (never a document cut)."""
    parts = [Part(0)]
    current: Part | None = None
    for unit in top_level_documents(tree):
        words = len(unit.astext().split())
        if current is None or (current.units and current.words + words > words_per_part):
            current = Part(len(parts))
            parts.append(current)
        current.units.append(unit)
        current.words += words
    return parts


def number_counters(parts: list[Part], chapters: set[str]) -> None:
    """Set each part's ``counters``: the chapters and footnotes of the parts before it
    (the print theme numbers both across the whole book)."""
    chapter = footnote = 0
    for part in parts:
        if chapter or footnote:
            part.counters = f"chapter {chapter} footnote {footnote}"
        for unit in part.units:
            documents = [unit, *unit.findall(addnodes.start_of_file, include_self=False)]
            chapter += sum(1 for doc in documents if doc["docname"] in chapters)
            footnote += sum(
                1 for node in unit.findall(nodes.inline) if "print-footnote" in node["classes"]
            )


def top_level_documents(tree: nodes.Node) -> list[nodes.Element]:
    """The documents inlined in the root document, not those inlined in them."""
    found: list[nodes.Element] = []
    stack: list[nodes.Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, addnodes.start_of_file):
            found.append(node)
            continue
        stack.extend(reversed(getattr(node, "children", [])))
    return found


@contextmanager
def alone(tree: nodes.document, part: Part, first_body: bool) -> Iterator[None]:
    """Leave only ``part``'s documents in ``tree`` while it is written, then restore it.

    The root document's own text (outside its inlined documents) goes with the first
    part of the body; the sections and wrappers that hold the part's documents stay, so the
    print theme's selectors (``main > section > h1``) match in every part.
    """
    keep = {id(unit) for unit in part.units}
    saved: list[tuple[nodes.Element, list[nodes.Node]]] = []
    ids: list[tuple[nodes.Element, list[str]]] = []

    def prune(element: nodes.Element) -> bool:
        """Whether ``element`` holds a document of the part (its other children go)."""
        if not first_body and element.get("ids"):
            # The root document's section wraps every part; its anchors are the first
            # part's (Sphinx's writer needs one id on a section: a part's own stands in).
            ids.append((element, element["ids"]))
            element["ids"] = [f"{element['ids'][0]}-part-{part.number}"]
        holds = False
        children: list[nodes.Node] = []
        for child in element.children:
            if isinstance(child, addnodes.start_of_file):
                if id(child) in keep:
                    children.append(child)
                    holds = True
            elif isinstance(child, nodes.Element) and _has_documents(child):
                if prune(child):
                    children.append(child)
                    holds = True
            elif first_body or isinstance(child, nodes.title):
                children.append(child)
        saved.append((element, element.children))
        element.children = children
        return holds

    prune(tree)
    try:
        yield
    finally:
        for element, children in reversed(saved):
            element.children = children
        for element, own in ids:
            element["ids"] = own


def _has_documents(element: nodes.Element) -> bool:
    return any(True for _ in element.findall(addnodes.start_of_file))


def estimated_digits(tree: nodes.document, parts: int) -> int:
    """Digits the book's page numbers will need, from its length (a page holds about
    2,400 characters or more; every document starts a page, every image may take one).
    A book longer than that fails with a message naming ``classbook_pdf_page_digits``."""
    images = sum(1 for _ in tree.findall(nodes.image))
    pages = len(tree.astext()) // 2400 + 2 * len(top_level_documents(tree)) + images + 4 + parts
    return len(str(max(pages, 1)))
