"""Print page numbers in the EPUB and on the web: a marker where each printed page begins.

The reference layout is the student edition's book PDF on ``classbook_page_numbers`` paper,
laid out in the same build: WeasyPrint reports the block each page starts in and how much
of it earlier pages hold (classbook.render.pagestarts), and the EPUB and web builders put a
page marker there, to the word, in the blocks numbered when each document was read
(classbook.ext.blocks).
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util import logging

from classbook import outputs, render
from classbook.builders.rendering import handed
from classbook.ext.words import gettext
from classbook.render.pagestarts import PREFIX

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)


class pagebreak(nodes.Inline, nodes.Element):  # noqa: N801 - docutils names nodes so
    """The place where a printed page begins (``page``: its number)."""


@dataclass
class PageMap:
    """Where the reference layout's pages begin, by document, and each chapter's pages."""

    source: str  # the print edition the numbers are from, for dc:source
    #: docname -> [(block number, characters of it on earlier pages, page)]
    starts: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: docname -> (first page, last page) holding its text
    pages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def all_pages(self) -> list[tuple[int, str]]:
        """(page, docname) of every marked page, in page order."""
        return sorted((start[2], doc) for doc, starts in self.starts.items() for start in starts)


def _parse(block: str, docs: dict[str, str]) -> tuple[str, int] | None:
    number, _, docid = block.removeprefix(PREFIX).partition("-")
    if docid not in docs or not number.isdigit():
        return None
    return docs[docid], int(number)


#: The page map of each builder, once made (it waits for the book PDF's layout).
_PAGE_MAPS: weakref.WeakKeyDictionary[Builder, PageMap | None] = weakref.WeakKeyDictionary()


def page_map(builder: Builder) -> PageMap | None:
    """The reference layout's page map, waiting for it if it is still being laid out.

    None under a plain ``sphinx-build`` (no book PDF is laid out in the same build) or when
    ``classbook_page_numbers`` is empty.
    """
    if builder in _PAGE_MAPS:
        return _PAGE_MAPS[builder]
    result = None
    paper = builder.config.classbook_page_numbers
    sink = handed(builder._app)
    if paper and sink is not None:
        name = outputs.book_pdf(builder.config.classbook_slug, paper)
        future = sink.future(outputs.label(outputs.PDF, name))
        if future is not None:
            [done] = sink.wait([future])
            result = _build(builder, done, paper)
    _PAGE_MAPS[builder] = result
    return result


def _build(builder: Builder, result: render.Result, paper: str) -> PageMap:
    docs = {nodes.make_id(doc): doc for doc in builder.env.all_docs}
    size = outputs.PAPER_LABELS.get(paper, paper)
    pages = PageMap(f"{builder.config.project}, print edition ({size} PDF)")
    for start in result.page_starts:
        where = _parse(start["block"], docs)
        if where is not None:
            doc, number = where
            entry = (number, start["chars"], start["page"])
            pages.starts.setdefault(doc, []).append(entry)
        for block in start["blocks"]:
            if (held := _parse(block, docs)) is not None:
                first, _last = pages.pages.get(held[0], (start["page"], start["page"]))
                pages.pages[held[0]] = (first, start["page"])
    return pages


def add_markers(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Put a page marker where each page of the reference layout begins (EPUB, web)."""
    if app.builder.name not in {"epub", "html"}:
        return
    pages = page_map(app.builder)
    if pages is None:
        return
    blocks = {
        node["classbook_block"]: node
        for node in doctree.findall(nodes.Element)
        if "classbook_block" in node.attributes
    }
    for number, chars, page in pages.starts.get(docname, []):
        if (node := blocks.get(number)) is not None:
            _insert(node, chars, page)


def _insert(block: nodes.Element, chars: int, page: int) -> None:
    """Put the marker of ``page`` into ``block``, before the word the page starts with."""
    marker = pagebreak(page=page)
    if isinstance(block, nodes.title) and isinstance(block.parent, nodes.section):
        # Before the heading, not in it: a marker inside would become part of its name.
        block.parent.insert(block.parent.index(block), marker)
        return
    starts = list(_word_starts(block))
    if chars == 0 or not starts:
        block.insert(0, marker)
        return
    # The page's first word is the one whose start is nearest the characters the earlier
    # pages hold (a word hyphenated across the pages: its start, on the earlier page).
    _, text, index = min(starts, key=lambda start: abs(start[0] - chars))
    parent = text.parent
    before, after = str(text)[:index], str(text)[index:]
    position = parent.index(text)
    parent.remove(text)
    parent.insert(position, [nodes.Text(before), marker, nodes.Text(after)])


def _word_starts(block: nodes.Element) -> Iterator[tuple[int, nodes.Text, int]]:
    """Each word of ``block``: non-blank characters before it, its Text node and offset."""
    counted = 0
    for text in block.findall(nodes.Text):
        value = str(text)
        for index, char in enumerate(value):
            if not char.isspace():
                if index == 0 or value[index - 1].isspace():
                    yield counted, text, index
                counted += 1


def visit_pagebreak(self: HTML5Translator, node: pagebreak) -> None:
    page = node["page"]
    if self.builder.name == "epub":
        self.body.append(
            f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{page}" '
            f'aria-label="{page}"></span>'
        )
    else:
        label = html.escape(gettext("Page {page}").format(page=page))
        short = html.escape(gettext("p."))
        self.body.append(
            f'<span class="classbook-page" role="doc-pagebreak" id="page-{page}" '
            f'aria-label="{label}">{short}&#160;{page}</span>'
        )
    raise nodes.SkipNode


def skip(self: Any, node: pagebreak) -> None:
    raise nodes.SkipNode


#: The web site's map of print pages to addresses, for ``#page-12`` and for search.
PAGES_JS = "classbook-pages.js"


def _add_pages_script(app: Sphinx) -> None:
    if app.builder.name == "html":
        app.add_js_file(PAGES_JS, priority=890)


def write_pages_script(app: Sphinx, exception: BaseException | None) -> None:
    """``_static/classbook-pages.js``: each print page's chapter page and marker."""
    if exception is not None or app.builder.name != "html":
        return
    import json
    from pathlib import Path

    pages = page_map(app.builder)
    entries = {}
    for page, doc in pages.all_pages() if pages is not None else []:
        title = app.env.titles[doc].astext() if doc in app.env.titles else ""
        entries[str(page)] = [f"{app.builder.get_target_uri(doc)}#page-{page}", title]
    script = Path(app.outdir, "_static", PAGES_JS)
    script.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(entries, ensure_ascii=False, sort_keys=True)
    script.write_text(f"window.classbookPages = {data};\n", encoding="utf-8")


def setup(app: Sphinx) -> None:
    """Mark pages in the EPUB and on the web."""
    app.connect("builder-inited", _add_pages_script)
    app.connect("build-finished", write_pages_script)
    app.add_node(
        pagebreak,
        html=(visit_pagebreak, None),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.connect("doctree-resolved", add_markers)
