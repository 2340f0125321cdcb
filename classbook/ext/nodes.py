"""Doctree nodes for the source text and the editors' additions, with their HTML forms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

from classbook.ext.words import DIRECTIVE_WORDS, gettext, is_english

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator


class source_text(nodes.General, nodes.Element):  # noqa: N801 - docutils node naming
    """Paragraphs of the source document, exactly as received."""


class editorial(nodes.General, nodes.Element):  # noqa: N801
    """A labelled block of the editors' material: objectives, questions, teacher guidance."""


class editor_note(nodes.General, nodes.Element):  # noqa: N801
    """An editor's note on one claim of the source text."""


def _visit_source_text(self: HTML5Translator, node: source_text) -> None:
    self.body.append(self.starttag(node, "div"))


def _depart_div(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append("</div>\n")


def _visit_editorial(self: HTML5Translator, node: editorial) -> None:
    self.body.append(self.starttag(node, "section", **{"aria-label": node["title"]}))


def _depart_section(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append("</section>\n")


def _visit_editor_note(self: HTML5Translator, node: editor_note) -> None:
    # An aside with role "note": screen readers announce it apart from the source's prose.
    # Any, as starttag's **attributes are: to mypy, a dict of str could also fill ``empty``.
    attributes: dict[str, Any] = {"aria-label": gettext("Editor's note")}
    self.body.append(self.starttag(node, "aside", role="note", **attributes))


def _depart_aside(self: HTML5Translator, node: nodes.Element) -> None:
    self.body.append("</aside>\n")


def _pass(self: object, node: nodes.Element) -> None:
    """Render only the children: plain-text formats need no wrapper."""


class TranslateDirectiveWords(SphinxTransform):
    """Put the directives' own headings and lead-ins in the book's language."""

    # After the directives ran, before anything reads the titles.
    default_priority = 200

    def apply(self, **kwargs: Any) -> None:
        if is_english(self.config.language):
            return
        editorial_nodes = (editorial, editor_note)
        elements = self.document.findall(nodes.Element)
        for block in (node for node in elements if isinstance(node, editorial_nodes)):
            if "title" in block:
                block["title"] = gettext(block["title"])
            for text in list(block.findall(nodes.Text)):
                if str(text) in DIRECTIVE_WORDS and isinstance(
                    text.parent, (nodes.rubric, nodes.paragraph)
                ):
                    text.parent.replace(text, nodes.Text(gettext(str(text))))


def register(app: Sphinx) -> None:
    """Register the nodes with HTML visitors; other formats render just their children."""
    plain = (_pass, _pass)
    # Visitor pairs by format. Any: to mypy, a dict spread into add_node could fill its
    # ``override`` flag as well as its **kwargs.
    others: dict[str, Any] = {"latex": plain, "text": plain, "man": plain, "texinfo": plain}
    app.add_node(source_text, html=(_visit_source_text, _depart_div), **others)
    app.add_node(editorial, html=(_visit_editorial, _depart_section), **others)
    app.add_node(editor_note, html=(_visit_editor_note, _depart_aside), **others)
    app.add_transform(TranslateDirectiveWords)
