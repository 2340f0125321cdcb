"""Sphinx builders for the EPUB, the whole-book PDF and the per-chapter handouts."""

from __future__ import annotations

import dataclasses
import html
import re
import weakref
import xml.etree.ElementTree as ET
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.builders.epub3 import Epub3Builder
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.builders.singlehtml import SingleFileHTMLBuilder
from sphinx.environment.adapters.toctree import global_toctree_for_doc
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.display import progress_message

from classbook import render
from classbook.builders import parts, singlepage, translators
from classbook.ext import pagemap, scripts
from classbook.publish import reproducible

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

THEMES = Path(__file__).parents[1] / "themes"


class ClassbookError(SphinxError):
    """A failure of the classbook pipeline; Sphinx prints it without a traceback."""

    category = "Classbook error"


# -- EPUB --------------------------------------------------------------------------


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
        return scripts.direction(self.config.epub_language or self.config.language) == "rtl"

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
        if (epoch := reproducible.source_date_epoch()) is not None:
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
        if pagemap.page_map(self) is not None:
            features += ["printPageNumbers", "pageBreakMarkers", "pageNavigation"]
        summary = (
            "This publication meets WCAG 2.1 Level AA. Its chapters are marked up with "
            "headings, lists and tables in reading order, with a navigable table of "
            "contents"
            + ("; every image has a text alternative" if images else "")
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
            label = html.escape(scripts.gettext("Pages"))
            page_list = (
                f'<nav epub:type="page-list" role="doc-pagelist" aria-label="{label}" '
                f'hidden="hidden"><ol>{items}</ol></nav>\n'
            )
            fixed = fixed.replace("</body>", page_list + "</body>", 1)
        if self.rtl:
            # Sphinx's nav template gives its root element a language but no direction.
            fixed = re.sub(r"<html(?=\s)", '<html dir="rtl"', fixed, count=1)
        nav.write_text(fixed, encoding="utf-8")


# -- Print: one HTML page for the whole book, then PDF ---------------------------------


def chapters(builder: StandaloneHTMLBuilder) -> list[str]:
    """Documents that mirror a source section, in reading order."""
    ordered = _reading_order(builder)
    return [doc for doc in ordered if "source_heading" in builder.env.metadata.get(doc, {})]


def _reading_order(builder: StandaloneHTMLBuilder) -> list[str]:
    """All documents in table-of-contents order, depth first from the root."""
    includes = builder.env.toctree_includes
    seen: list[str] = []

    def walk(doc: str) -> None:
        if doc in seen:
            return
        seen.append(doc)
        for child in includes.get(doc, []):
            walk(child)

    walk(builder.config.root_doc)
    return seen


class PrintMixin:
    """What the print builders share: the lean print theme and the WeasyPrint stage."""

    # As Sphinx's EPUB builder does: no search index, permalinks or sources in print.
    search = False
    add_permalinks = False
    copysource = False
    embedded = True
    allow_sharp_as_current_path = False

    config: Any
    outdir: Path
    env: Any
    events: Any

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return self.config.classbook_print_theme, {}

    def init(self) -> None:
        super().init()  # type: ignore[misc]
        self.own_pool: render.RenderService | None = None
        if render.active is None:
            # Under a plain sphinx-build the builder renders in a pool of its own, started
            # as reading starts: its workers set WeasyPrint up while Sphinx reads; the book
            # is merged here, the idle workers stopped first (a smaller peak). Sphinx
            # emits build-finished after a failure too, which stops it first of all; a build
            # that ends without it (Ctrl-C) stops it when the builder goes.
            pool = self.own_pool = render.RenderService(merge_in_caller=True)
            self.events.connect("env-before-read-docs", lambda *_: pool.start(), 500)
            self.events.connect("build-finished", lambda *_: pool.close(), 1)
            weakref.finalize(self, pool.close)

    def render_service(self) -> render.RenderService:
        """The build's render service (python -m classbook build), or the builder's own."""
        service = render.active or self.own_pool
        assert service is not None
        return service

    def print_stylesheets(self) -> list[Path]:
        theme = THEMES / self.config.classbook_print_theme / "static" / "print.css"
        return [theme, *scripts.print_stylesheets(self)]  # type: ignore[arg-type]

    def print_job(self, html: Path, pdf: Path, paper: str) -> render.Job:
        """A render job with this builder's stylesheets, sandbox and progress label."""
        outdir = Path(self.outdir)
        return render.Job(
            html,
            pdf,
            paper,
            stylesheets=tuple(self.print_stylesheets()),
            roots=(outdir, THEMES),
            label=f"{outdir.name}/{pdf.relative_to(outdir).as_posix()}",
            timeout=self.config.classbook_render_timeout,
        )

    def render_pdfs(
        self, jobs: list[render.Job], what: str, *, wait: bool = False
    ) -> list[render.Result]:
        """Render ``jobs`` with WeasyPrint.

        Inside ``python -m classbook build`` the jobs join the build's one worker pool and
        render cache, and the build reports them; the results are returned only when
        ``wait`` is set (the builder needs them to go on). Under a plain ``sphinx-build``
        the builder renders them itself and routes WeasyPrint's log into Sphinx's.
        """
        service = self.render_service()
        try:
            futures = [service.submit(job, urgent=wait) for job in jobs]
            if service is render.active:
                return service.wait(futures) if wait else []
            results = service.wait(futures)
        except render.RenderError as error:
            raise ClassbookError(str(error)) from None
        self.log_results(results, what)
        return results

    def log_results(self, results: list[render.Result], what: str) -> None:
        """Route WeasyPrint's messages of a plain ``sphinx-build`` into Sphinx's log."""
        for result in results:
            for level, message in result.messages:
                # WeasyPrint warns about what it could not lay out or fetch: under -W
                # these fail the build like any Sphinx warning.
                log = logger.warning if level >= 30 else logger.debug
                log("WeasyPrint (%s): %s", result.job.pdf.name, message)
            logger.info("%s %s (%d pages)", what, result.job.pdf.name, result.pages)


class BookPdfBuilder(PrintMixin, SingleFileHTMLBuilder):
    """The whole book as print HTML in parts (classbook.builders.parts), laid out side by
    side and merged into one PDF per paper size (classbook.render.merge)."""

    name = "bookpdf"
    format = "html"  # so extensions treat it as HTML output
    epilog = "The PDFs are in %(outdir)s."

    _part: parts.Part | None = None
    _parts: tuple[parts.Part, ...] = ()
    #: The book on each paper, and the futures of its parts, sent as they are written.
    _books: tuple[tuple[render.Book, list[Future[render.Result]]], ...] = ()

    def get_doc_context(self, docname: str, body: str, metatags: str) -> dict[str, Any]:
        # SingleFileHTMLBuilder's context, without its contents: it renders the whole
        # book's toctree for every page, and only the front matter prints it (below).
        front = self._part is None or self._part.front
        context: dict[str, Any] = {
            "parents": [],
            "prev": None,
            "next": None,
            "docstitle": None,
            "title": self.config.html_title,
            "meta": None,
            "body": body,
            "metatags": metatags,
            "rellinks": [],
            "sourcename": "",
            "toc": "",
            "display_toc": False,
            "classbook_kind": "book",
            "classbook_front": front,
            "classbook_counters": "" if front or self._part is None else self._part.counters,
        }
        if front:
            # The printed contents is rendered apart from the book's doctree: its section
            # entries need the same link repair, or they point at '#document-x#section'.
            toctree = global_toctree_for_doc(
                self.env, self.config.root_doc, self, tags=self.tags, collapse=False
            )
            if toctree is not None:
                singlepage.repair_links(toctree, getattr(self, "_renamed", {}))
                context["toc"] = self.render_partial(toctree)["fragment"]
                context["display_toc"] = True
        return context

    def assemble_doctree(self) -> nodes.document:
        # SingleFileHTMLBuilder's, with singlepage.inline_documents for Sphinx's
        # inline_all_toctrees (the same tree, without a deep copy of every document).
        root = self.config.root_doc
        tree = singlepage.inline_documents(self.env, root, [root])
        tree["docname"] = root
        self.env.resolve_references(tree, root, self)
        self._renamed = singlepage.repair(tree, chapters=set(chapters(self)))
        pagemap.mark_print_blocks(tree, self.config.root_doc)
        return tree

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        """Write the book as parts: the front matter, then groups of whole documents. Each
        part goes to the render pool as soon as it is written, and is laid out while the
        next ones are written."""
        self._parts = tuple(parts.split(doctree, self.config.classbook_pdf_part_words))
        parts.number_counters(list(self._parts), set(chapters(self)))
        digits = self.config.classbook_pdf_page_digits or parts.estimated_digits(
            doctree, len(self._parts)
        )
        numbers = render.Numbers(scripts.counter_style(self.config), digits)
        # What a part's layout reads must be in place before the first one is sent: the
        # book's images (finish() would copy them only after the last part) and the
        # parts' stylesheet.
        self.post_process_images(doctree)
        super().copy_image_files()
        sheet = scripts.write_generated(
            self, scripts.PARTS_CSS, scripts.parts_css(self.config, numbers.placeholder)
        )
        self._books = tuple(
            (self.book(paper, numbers, sheet, len(self._parts)), [])
            for paper in self.config.classbook_paper_sizes
        )
        service = self.render_service()
        try:
            for part in self._parts:
                self._part = part
                with parts.alone(doctree, part, first_body=part.number == 1):
                    super().write_doc(docname, doctree)
                for book, submitted in self._books:
                    submitted.append(service.submit(book.parts[part.number]))
        except render.RenderError as error:
            raise ClassbookError(str(error)) from None
        finally:
            self._part = None
            # The parts' nodes are the whole book's doctree: not needed once written, and
            # no reason to hold it while the PDFs are laid out.
            self._parts = ()

    def copy_image_files(self) -> None:
        """Done by write_doc, before the first part is laid out."""

    def handle_page(
        self,
        pagename: str,
        addctx: dict[str, Any],
        templatename: str = "page.html",
        *,
        outfilename: str | None = None,
        event_arg: Any = None,
    ) -> None:
        if self._part is not None and pagename == self.config.root_doc:
            outfilename = str(self.part_html(self._part.number))
        super().handle_page(
            pagename, addctx, templatename, outfilename=outfilename, event_arg=event_arg
        )

    def part_html(self, number: int) -> Path:
        return Path(self.outdir, f"{self.config.root_doc}-part-{number:02d}{self.out_suffix}")

    def book(self, paper: str, numbers: render.Numbers, sheet: Path, count: int) -> render.Book:
        """The book PDF on ``paper``: its own job and the jobs of its ``count`` parts."""
        edition = "-teacher" if self.tags.has("teacher") else ""
        pdf = Path(self.outdir, f"{self.config.classbook_slug}{edition}-{paper}.pdf")
        job = self.print_job(self.part_html(0), pdf, paper)
        part_jobs = tuple(
            dataclasses.replace(
                self.print_job(self.part_html(number), folder / f"{pdf.stem}.pdf", paper),
                stylesheets=(*job.stylesheets, sheet),
                label=f"{job.label} (part {number + 1} of {count})",
                part=True,
            )
            for number in range(count)
            for folder in [Path(self.outdir, parts.FOLDER, f"{number:02d}")]
        )
        return render.Book(job, part_jobs, numbers)

    def finish(self) -> None:
        super().finish()
        with progress_message("rendering the book PDF"):
            self.render_books()

    def render_books(self) -> None:
        """Number and merge the books once their parts are laid out, in the build's pool
        (or in one of their own)."""
        service = self.render_service()
        try:
            futures = [service.submit_book(book, submitted) for book, submitted in self._books]
            if service is render.active:
                return
            results = service.wait(futures)
        except render.RenderError as error:
            raise ClassbookError(str(error)) from None
        self.log_results(results, "book")


class HandoutBuilder(PrintMixin, StandaloneHTMLBuilder):
    """One print page per chapter, each rendered to its own PDF with its own page numbers."""

    name = "handouts"
    format = "html"
    epilog = "The handouts are in %(outdir)s."

    def get_doc_context(self, docname: str, body: str, metatags: str) -> dict[str, Any]:
        context = super().get_doc_context(docname, body, metatags)
        context["classbook_kind"] = "handout"
        return context

    def get_relative_uri(self, from_: str, to: str, typ: str | None = None) -> str:
        # A handout stands alone on paper: links to other chapters go to the web edition.
        if to == from_:
            return ""
        return self.config.html_baseurl.rstrip("/") + "/" + self.get_target_uri(to, typ)

    def finish(self) -> None:
        super().finish()
        jobs = [
            self.print_job(Path(self.outdir, doc + self.out_suffix), Path(self.outdir, name), paper)
            for number, doc in enumerate(chapters(self), start=1)
            for paper in self.config.classbook_paper_sizes
            for name in [handout_name(number, doc, paper)]
        ]
        with progress_message(f"rendering {len(jobs)} handouts"):
            self.render_pdfs(jobs, "handout")


def handout_name(number: int, docname: str, paper: str) -> str:
    """``03-events-leading-a4.pdf`` for chapter 3, ``chapters/03-events-leading``."""
    stem = docname.rsplit("/", 1)[-1]
    slug = stem.split("-", 1)[1] if stem[:2].isdigit() and "-" in stem else stem
    return f"{number:02d}-{slug}-{paper}.pdf"


def register(app: Sphinx) -> None:
    """Register the builders and the themes they use."""
    app.add_builder(ClassbookEpubBuilder, override=True)
    app.set_translator("epub", translators.EpubTranslator)
    app.add_builder(BookPdfBuilder)
    app.set_translator("bookpdf", singlepage.SinglePageTranslator)
    app.add_post_transform(singlepage.PrintFootnotes)
    app.add_builder(HandoutBuilder)
    app.add_html_theme("print", str(THEMES / "print"))
    app.add_html_theme("classbook_epub", str(THEMES / "classbook_epub"))
