"""The write stage: Sphinx builders for the EPUB, the book PDF, the handouts and the packets,
and the web edition's hooks; one builder a module, as ``sphinx/builders/`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbook.builders import printlinks, singlepage, translators
from classbook.builders.bookpdf import BookPdfBuilder
from classbook.builders.epub import ClassbookEpubBuilder
from classbook.builders.handouts import HandoutBuilder
from classbook.builders.printing import THEMES

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    """Register the builders and the themes they use."""
    app.add_builder(ClassbookEpubBuilder, override=True)
    app.set_translator("epub", translators.EpubTranslator)
    app.add_builder(BookPdfBuilder)
    app.set_translator("bookpdf", singlepage.SinglePageTranslator)
    app.add_post_transform(singlepage.PrintFootnotes)
    app.add_post_transform(printlinks.AddressShown)
    app.add_builder(HandoutBuilder)
    app.set_translator("handouts", translators.PrintTranslator)
    app.set_translator("packets", translators.PrintTranslator)
    app.add_html_theme("print", str(THEMES / "print"))
    app.add_html_theme("classbook_epub", str(THEMES / "classbook_epub"))
