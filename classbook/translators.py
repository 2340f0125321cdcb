"""HTML translators for the EPUB: markup that EPUBCheck and Ace by DAISY accept."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator


class EpubTranslator(HTML5Translator):
    """Sphinx's HTML5 translator with two EPUB accessibility fixes."""

    def visit_citation(self, node: nodes.Element) -> None:
        # Docutils marks entries "doc-biblioentry", a role EPUBCheck reports as deprecated
        # (RSC-017); a plain list item keeps the list semantics.
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))

    def visit_caption(self, node: Any) -> None:
        super().visit_caption(node)
        if node.parent.get("toctree"):
            # A toctree caption has role "heading" but no level (Ace: aria-required-attr).
            # Docutils writes the opening tag just before the caption text's span.
            for index in range(len(self.body) - 1, -1, -1):
                if 'role="heading"' in self.body[index]:
                    self.body[index] = self.body[index].replace(
                        'role="heading"', 'role="heading" aria-level="2"', 1
                    )
                    break
