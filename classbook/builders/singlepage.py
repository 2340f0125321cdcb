"""Repairs for print HTML: unique ids and links on the one-page book, footnotes in place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import __
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from classbook.builders import parts
from classbook.builders.translators import PrintTranslator
from classbook.ext.blocks import block_class

logger = logging.getLogger(__name__)

#: Ids docutils generates per document ("id1", "footnote-1"); they clash once inlined.
_AUTO_ID = re.compile(r"^(id|footnote-|citation-)\d+$")


def inline_documents(env: Any, docname: str, seen: list[str]) -> nodes.document:
    """``docname``'s doctree with every document its toctrees include inlined, each in a
    ``start_of_file`` node, depth first, each document once (``seen``).

    What Sphinx's ``inline_all_toctrees`` does for its single-page builder, without the
    deep copy it makes of every document: ``env.get_doctree`` unpickles a tree of its own
    each time, and copying them all was a quarter of a 200-chapter book's assembly. As
    there, the inlined children keep their parent pointers (see :func:`own_nodes`).
    """
    tree = env.get_doctree(docname)
    for toctree in list(tree.findall(addnodes.toctree)):
        inlined = []
        for included in map(str, toctree["includefiles"]):
            if included in seen:
                continue
            seen.append(included)
            try:
                subtree = inline_documents(env, included, seen)
            except Exception:
                logger.warning(
                    __("toctree contains ref to nonexisting file %r"),
                    included,
                    location=docname,
                    type="toc",
                    subtype="not_readable",
                )
                continue
            start = addnodes.start_of_file(docname=included)
            start.children = subtree.children
            for section in start.findall(nodes.section):
                section.setdefault("docname", included)
            inlined.append(start)
        toctree.parent.replace(toctree, inlined)
    return tree


def repair(
    tree: nodes.document, chapters: set[str] | frozenset[str] = frozenset()
) -> dict[tuple[str, str], str]:
    """Give each inlined document a unique anchor and ids, and fix links to match.

    - The first section of each document carries ``document-<name>``, the anchor Sphinx
      links to, on a real element: WeasyPrint loses anchors of empty spans before a page
      break.
    - Generated ids are prefixed per document: two chapters that both use ``[^1]`` would
      otherwise send the second chapter's reader to the first chapter's footnote.
    - ``#document-x#target`` becomes ``#target``: Sphinx 9 no longer collapses the double
      fragment in single-page output (sphinx-doc/sphinx#14221).
    - Sections of ``chapters`` get the class ``chapter``, for the print theme's openers.

    Returns the renamed ids, ``(docname, old id) -> new id``, for :func:`repair_links` on
    trees rendered apart from the book (its table of contents).
    """
    renamed: dict[tuple[str, str], str] = {}
    for start in tree.findall(addnodes.start_of_file):
        docname = start["docname"]
        prefix = nodes.make_id(docname) + "-"
        section = next(iter(start.findall(nodes.section)), None)
        if section is not None:
            section["ids"].insert(0, f"document-{docname}")
            section["classes"].append("document")
            if docname in chapters:
                section["classes"].append("chapter")
        for node in own_nodes(start):
            _prefix_ids(node, prefix, docname, renamed)
    _unique_ids(tree, renamed)
    repair_links(tree, renamed)
    return renamed


def _unique_ids(tree: nodes.document, renamed: dict[tuple[str, str], str]) -> None:
    """An id a document before it already uses (the book's title and its first chapter's
    heading, ``Exercises`` in two chapters) is prefixed with the document's name: anchors are
    unique by construction, so a collision is never the writer's to fix."""
    taken: set[str] = set()
    for start in [tree, *tree.findall(addnodes.start_of_file)]:
        docname = start.get("docname", "")
        prefix = (nodes.make_id(docname) or "book") + "-"
        mine: dict[str, str] = {}
        for node in own_nodes(start):
            ids: list[str] = node.get("ids", [])
            for index, old in enumerate(ids):
                if old not in taken:
                    continue
                new, count = prefix + old, 1
                while new in taken:
                    count += 1
                    new = f"{prefix}{old}-{count}"
                node["ids"][index] = mine[old] = renamed[(docname, old)] = new
            taken.update(node.get("ids", []))
        if mine:  # this document's own links to the ids it lost
            for node in own_nodes(start):
                if node.get("refid") in mine:
                    node["refid"] = mine[node["refid"]]
                uri = node.get("refuri", "")
                if uri.startswith("#") and uri.count("#") == 1 and uri[1:] in mine:
                    node["refuri"] = "#" + mine[uri[1:]]


def mark_print_blocks(tree: nodes.document, root_doc: str) -> None:
    """Give each numbered block of the assembled print book its class (bookpdf only)."""
    for start in [tree, *tree.findall(addnodes.start_of_file)]:
        docname = start.get("docname", root_doc)
        for node in own_nodes(start):
            if "classbook_block" in node:
                node["classes"].append(block_class(docname, node["classbook_block"]))


def repair_links(tree: nodes.Node, renamed: dict[tuple[str, str], str]) -> None:
    """``#document-x#target`` becomes ``#target`` (renamed as :func:`repair` renamed it)."""
    for ref in tree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if uri.startswith("#document-") and uri.count("#") > 1:
            doc, fragment = uri[len("#document-") :].split("#", 1)
            ref["refuri"] = "#" + renamed.get((doc, fragment), fragment)


def own_nodes(start: nodes.Element) -> Iterator[nodes.Element]:
    """The nodes of ``start``'s document, without the documents inlined in it.

    Walks the children lists: Sphinx's ``inline_all_toctrees`` leaves the parent pointers of
    inlined documents stale, so walking up from a node is not reliable.
    """
    stack = [start]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(
            child
            for child in node.children
            if isinstance(child, nodes.Element) and not isinstance(child, addnodes.start_of_file)
        )


def _prefix_ids(
    node: nodes.Element, prefix: str, docname: str, renamed: dict[tuple[str, str], str]
) -> None:
    # A named footnote ([^note]) keeps its name as id: two chapters may use the same one.
    footnote = isinstance(node, (nodes.footnote, nodes.footnote_reference))

    def fix(value: str) -> str:
        if footnote or _AUTO_ID.match(value):
            renamed[(docname, value)] = prefix + value
            return prefix + value
        return value

    ids: list[str] = node.get("ids", [])
    node["ids"] = [fix(i) for i in ids]
    if "refid" in node:
        node["refid"] = fix(node["refid"])
    if "backrefs" in node:
        node["backrefs"] = [fix(i) for i in node["backrefs"]]
    uri = node.get("refuri", "")
    if uri.startswith("#") and uri.count("#") == 1 and _AUTO_ID.match(uri[1:]):
        node["refuri"] = "#" + fix(uri[1:])


class SinglePageTranslator(PrintTranslator):
    """HTML for the one-page book: the document anchor sits on its section (see repair),
    and internal links use the parts' scheme (classbook.builders.parts.XREF)."""

    def __init__(self, document: nodes.document, builder: Any) -> None:
        super().__init__(document, builder)
        #: Ids of the section just opened, for its heading (see visit_section).
        self._heading_ids: list[str] = []

    def visit_start_of_file(self, node: Any) -> None:
        self.docnames.append(node["docname"])

    def visit_section(self, node: nodes.section) -> None:
        # A section's anchor goes on its heading (its first child, visited next): a
        # section may begin at the foot of a page (its margin) and its heading on the
        # next, and the contents and "see p. N" must give the page where the reader finds
        # the heading. The root document's own section keeps its ids: the print theme
        # hides its title.
        if node.parent is self.document or not node["ids"]:
            super().visit_section(node)
            return
        ids, node["ids"] = node["ids"], []
        try:
            super().visit_section(node)
        finally:
            node["ids"] = ids
        self._heading_ids = ids

    def visit_title(self, node: nodes.title) -> None:
        # Parent pointers of inlined documents are stale (see own_nodes): the heading is
        # known as the title visited right after its section.
        ids, self._heading_ids = self._heading_ids, []
        if not ids:
            super().visit_title(node)
            return
        own, node["ids"] = node["ids"], [*ids, *node["ids"]]
        try:
            super().visit_title(node)
        finally:
            node["ids"] = own

    def starttag(
        self, node: Any, tagname: str, suffix: str = "\n", empty: bool = False, **attributes: Any
    ) -> str:
        # Every ``<a href="#...">`` the translator writes (references, citations, the
        # contents): its target may be laid out in another part of the book.
        href = attributes.get("href")
        if tagname == "a" and isinstance(href, str) and href.startswith("#") and len(href) > 1:
            attributes["href"] = parts.XREF + href[1:]
        return super().starttag(node, tagname, suffix, empty, **attributes)


class PrintFootnotes(SphinxPostTransform):
    """Move each footnote's text to its call, where WeasyPrint's ``float: footnote`` needs it.

    Paged media puts a floated footnote at the foot of the page that holds the element, so
    the note must stand where it is called, not in a list at the end of the chapter.
    """

    builders: tuple[str, ...] = ("bookpdf", "handouts")
    default_priority = 950

    def run(self, **kwargs: Any) -> None:
        # One document at a time: generated ids ("id2") repeat across the inlined chapters,
        # and a call must get its own chapter's footnote.
        for scope in [self.document, *self.document.findall(addnodes.start_of_file)]:
            own = list(own_nodes(scope))
            notes = {
                node_id: note
                for note in own
                if isinstance(note, nodes.footnote)
                for node_id in note["ids"]
            }
            for call in [node for node in own if isinstance(node, nodes.footnote_reference)]:
                note = notes.get(call.get("refid", ""))
                if note is None:
                    continue
                text = nodes.inline(classes=["print-footnote"])
                for paragraph in note.findall(nodes.paragraph):
                    text += paragraph.children
                call.replace_self(text)
            for note in set(notes.values()):
                note.parent.remove(note)
