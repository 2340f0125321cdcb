"""The EPUB 3 builder: Sphinx's, with the NCX identifier, accessibility metadata, page list."""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from sphinx.builders.epub3 import Epub3Builder

from classbook import reproducible
from classbook.builders import formulas, pagemap
from classbook.builders.printing import ClassbookError
from classbook.dates import source_date_epoch
from classbook.ext import words


class ClassbookEpubBuilder(Epub3Builder):
    """Sphinx's EPUB 3 builder with the NCX identifier and accessibility metadata fixed."""

    #: What the book offers every reader (schema.org accessibilityFeature values).
    accessibility_features = ("structuralNavigation", "tableOfContents", "readingOrder")
    #: The standard the EPUB is checked against (Ace by DAISY, EPUBCheck).
    conforms_to = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
    #: An image in a content document: <img> or inline <svg>.
    image_tag = re.compile(r"<(img|svg)[\s>]")

    def init(self) -> None:
        super().init()
        # Sphinx's XHTML root element carries no language (EPUBCheck and Ace want it).
        lang = html.escape(self.config.epub_language or self.config.language or "en")
        self.html_tag = (
            '<html xmlns="http://www.w3.org/1999/xhtml" '
            f'xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}"'
            + (' dir="rtl">' if self.rtl else ">")
        )

    @property
    def rtl(self) -> bool:
        """Whether the book is written right to left (from its language)."""
        return words.direction(self.config.epub_language or self.config.language) == "rtl"

    def content_metadata(self) -> dict[str, Any]:
        metadata = super().content_metadata()
        # Sphinx derives the spine's direction from epub_writing_mode (horizontal: ltr);
        # a right-to-left book turns its pages the other way.
        if self.rtl:
            metadata["page_progression_direction"] = "rtl"
        return metadata

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return self.config.epub_theme, self.config.epub_theme_options

    def toc_metadata(self, level: int, navpoints: list[Any]) -> dict[str, Any]:
        # Sphinx writes the OPF's id *name* into the NCX; EPUBCheck (NCX-001) wants the
        # identifier *value* there (sphinx-doc/sphinx#11184).
        metadata = super().toc_metadata(level, navpoints)
        metadata["uid"] = self.config.epub_identifier
        return metadata

    def build_epub(self) -> None:
        super().build_epub()
        # Sphinx dates each zip entry from its file's local mtime: reproducible builds
        # date them all from SOURCE_DATE_EPOCH instead.
        if (epoch := source_date_epoch()) is not None:
            epub = Path(self.outdir, self.config.epub_basename + ".epub")
            reproducible.normalise_zip(epub, epoch)

    def build_content(self) -> None:
        """Write content.opf, then add the EPUB Accessibility 1.1 metadata to it."""
        super().build_content()
        opf, ns = Path(self.outdir, "content.opf"), "http://www.idpf.org/2007/opf"
        ET.register_namespace("", ns)  # write the OPF namespace unprefixed, as Sphinx does
        ET.register_namespace("dc", "http://purl.org/dc/elements/1.1/")
        tree = ET.parse(opf)
        metadata = tree.getroot().find(f"{{{ns}}}metadata")
        if metadata is None:
            raise ClassbookError(f"{opf} has no <metadata>: has Sphinx's template changed?")
        for prop, value in self.accessibility_metadata():
            ET.SubElement(metadata, f"{{{ns}}}meta", property=prop).text = value
        self.mark_mathml(tree.getroot().find(f"{{{ns}}}manifest"))
        if (pages := pagemap.page_map(self)) is not None:
            # The print edition whose page numbers the markers and the page list carry.
            source = ET.SubElement(
                metadata, "{http://purl.org/dc/elements/1.1/}source", id="print-source"
            )
            source.text = pages.source
            # EPUB 3: this source is where the pagination comes from (Ace: epub-pagesource).
            refine = {"refines": "#print-source", "property": "source-of"}
            ET.SubElement(metadata, f"{{{ns}}}meta", refine).text = "pagination"
        ET.indent(tree, space="  ")
        tree.write(opf, encoding="UTF-8", xml_declaration=True)

    @functools.cached_property
    def mathml_documents(self) -> set[str]:
        """The content documents that hold MathML."""
        return formulas.mathml_documents(Path(self.outdir), list(self.files))

    def mark_mathml(self, manifest: ET.Element | None) -> None:
        """EPUB 3 (and EPUBCheck, OPF-014): each content document with MathML says so."""
        if manifest is None:
            raise ClassbookError("content.opf has no <manifest>: has Sphinx's template changed?")
        for item in manifest:
            if item.get("href") in self.mathml_documents:
                properties = (item.get("properties") or "").split()
                item.set("properties", " ".join([*properties, "mathml"]))

    def accessibility_metadata(self) -> list[tuple[str, str]]:
        """The schema.org accessibility properties (with dcterms:conformsTo) of this book."""
        # Images (the cover included) make the book visual too; their alt text keeps it
        # fully readable as text alone.
        images = any(
            self.image_tag.search(Path(self.outdir, name).read_text(encoding="utf-8"))
            for name in self.files
            if name.endswith(self.out_suffix)
        )
        modes = ["textual", "visual"] if images else ["textual"]
        features = [*self.accessibility_features, *(["alternativeText"] if images else [])]
        if self.mathml_documents:
            # Formulas are MathML with a spoken alternative (alttext): readable by AT.
            features += ["MathML"]
        if pagemap.page_map(self) is not None:
            features += ["printPageNumbers", "pageBreakMarkers", "pageNavigation"]
        summary = (
            "This publication meets WCAG 2.1 Level AA. Its chapters are marked up with "
            "headings, lists and tables in reading order, with a navigable table of "
            "contents"
            + ("; every image has a text alternative" if images else "")
            + ("; every formula is MathML with a spoken text" if self.mathml_documents else "")
            + ". It can be read entirely as text and contains no flashing, motion or "
            "sound hazards."
        )
        return [
            *(("schema:accessMode", mode) for mode in modes),
            ("schema:accessModeSufficient", "textual"),
            *(("schema:accessibilityFeature", feature) for feature in features),
            ("schema:accessibilityHazard", "none"),
            ("schema:accessibilitySummary", summary),
            ("dcterms:conformsTo", self.conforms_to),
        ]

    def build_navigation_doc(self) -> None:
        """Write nav.xhtml; its toc also gets the ARIA role matching its epub:type."""
        super().build_navigation_doc()
        nav = Path(self.outdir, "nav.xhtml")
        text = nav.read_text(encoding="utf-8")
        # Ace by DAISY: epub-type-has-matching-role (epub:type="toc" wants role="doc-toc").
        fixed = text.replace('<nav epub:type="toc">', '<nav epub:type="toc" role="doc-toc">', 1)
        if fixed == text:
            raise ClassbookError(f'{nav} has no <nav epub:type="toc">: has Sphinx changed?')
        if (pages := pagemap.page_map(self)) is not None:
            # The page list: "go to page 12" in a reading system.
            items = "".join(
                f'<li><a href="{self.get_target_uri(doc)}#page-{page}">{page}</a></li>'
                for page, doc in pages.all_pages()
            )
            label = html.escape(words.gettext("Pages"))
            page_list = (
                f'<nav epub:type="page-list" role="doc-pagelist" aria-label="{label}" '
                f'hidden="hidden"><ol>{items}</ol></nav>\n'
            )
            fixed = fixed.replace("</body>", page_list + "</body>", 1)
        if self.rtl:
            # Sphinx's nav template gives its root element a language but no direction.
            fixed = re.sub(r"<html(?=\s)", '<html dir="rtl"', fixed, count=1)
        nav.write_text(fixed, encoding="utf-8")
