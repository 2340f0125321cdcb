"""HTML translators for the EPUB and the web pages (markup that Ace by DAISY, EPUBCheck
and axe-core accept) and for print (what WeasyPrint reads otherwise than a browser)."""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.writers.html5 import HTML5Translator


class AccessibleHTML5Translator(HTML5Translator):
    """Two fixes of Sphinx's and Docutils' ARIA markup, for every HTML-like output."""

    def visit_citation(self, node: nodes.Element) -> None:
        # Docutils marks entries "doc-biblioentry", a role EPUBCheck (RSC-017) and axe
        # (aria-deprecated-role) report as deprecated; a plain list item keeps the list
        # semantics of Docutils' role="list" wrapper.
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))

    def visit_title(self, node: nodes.title) -> None:
        super().visit_title(node)
        parent = node.parent
        if isinstance(parent, addnodes.compact_paragraph) and parent.get("toctree"):
            # Sphinx gives a toctree caption role "heading" but no level (Ace and axe:
            # aria-required-attr); it sits under the page's title, so level 2.
            for index in range(len(self.body) - 1, -1, -1):
                if 'role="heading"' in self.body[index]:
                    self.body[index] = self.body[index].replace(
                        'role="heading"', 'role="heading" aria-level="2"', 1
                    )
                    break


class EpubTranslator(AccessibleHTML5Translator):
    """The EPUB's translator."""


class WebTranslator(AccessibleHTML5Translator):
    """The web site's translator (the theme adds its Bootstrap mixin on top)."""


class PrintTranslator(HTML5Translator):
    """Print's HTML, laid out by WeasyPrint (the handouts', the packets'; the book's own,
    :class:`~classbook.builders.singlepage.SinglePageTranslator`, builds on it)."""

    def visit_enumerated_list(self, node: nodes.enumerated_list) -> None:
        super().visit_enumerated_list(node)
        start = int(node.get("start", 1))
        if start != 1:
            # WeasyPrint numbers every list from 1 whatever <ol start> says: a Word list
            # resumed after a paragraph printed 1, 1, 1. Its list-item counter says it.
            self.body[-1] = self.body[-1].replace(
                "<ol ", f'<ol style="counter-reset: list-item {start - 1}" ', 1
            )
