"""Text blocks numbered as a document is read, so every builder of an edition names the same
paragraph the same way (the print page numbers of the EPUB and the web site point at them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes

from classbook.render.pagestarts import PREFIX

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Nodes that print as a block of text a page can start in.
BLOCKS = (
    nodes.paragraph,
    nodes.title,
    nodes.rubric,
    nodes.term,
    nodes.caption,
    nodes.literal_block,
    nodes.line,
)


def block_class(docname: str, number: int) -> str:
    """The print-only class of block ``number`` of ``docname``."""
    return f"{PREFIX}{number}-{nodes.make_id(docname)}"


def number_blocks(app: Sphinx, doctree: nodes.document) -> None:
    """Number the text blocks of a document as it is read (the same for every builder)."""
    blocks = (node for node in doctree.findall(nodes.Element) if isinstance(node, BLOCKS))
    for number, node in enumerate(blocks, start=1):
        node["classbook_block"] = number


def setup(app: Sphinx) -> None:
    """Number the blocks of each document as it is read."""
    app.connect("doctree-read", number_blocks)
