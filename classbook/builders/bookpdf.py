"""The book PDF builder: the whole book as print HTML in parts, laid out side by side, merged."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.builders.singlehtml import SingleFileHTMLBuilder
from sphinx.environment.adapters.toctree import global_toctree_for_doc
from sphinx.util.display import progress_message

from classbook import outputs, render
from classbook.builders import parts, printcss, singlepage
from classbook.builders.printing import ClassbookError, PrintMixin, chapters
from classbook.ext import words


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
        singlepage.mark_print_blocks(tree, self.config.root_doc)
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
        numbers = render.Numbers(words.counter_style(self.config), digits)
        # What a part's layout reads must be in place before the first one is sent: the
        # book's images (finish() would copy them only after the last part) and the
        # parts' stylesheet.
        self.post_process_images(doctree)
        super().copy_image_files()
        sheet = printcss.write_generated(
            self, printcss.PARTS_CSS, printcss.parts_css(self.config, numbers.placeholder)
        )
        self._books = tuple(
            (self.book(paper, numbers, sheet, len(self._parts)), [])
            for paper in self.config.classbook_paper_sizes
        )
        service = self.rendering.sink
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
        outfilename: Path | None = None,
        event_arg: Any = None,
    ) -> None:
        if self._part is not None and pagename == self.config.root_doc:
            outfilename = self.part_html(self._part.number)
        super().handle_page(
            pagename, addctx, templatename, outfilename=outfilename, event_arg=event_arg
        )

    def part_html(self, number: int) -> Path:
        return Path(self.outdir, f"{self.config.root_doc}-part-{number:02d}{self.out_suffix}")

    def book(self, paper: str, numbers: render.Numbers, sheet: Path, count: int) -> render.Book:
        """The book PDF on ``paper``: its own job and the jobs of its ``count`` parts."""
        edition = outputs.TEACHER if self.tags.has(outputs.TEACHER) else outputs.STUDENT
        pdf = Path(self.outdir, outputs.book_pdf(self.config.classbook_slug, paper, edition))
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
        service = self.rendering.sink
        try:
            futures = [service.submit_book(book, submitted) for book, submitted in self._books]
            if not self.rendering.own:
                return
            results = service.wait(futures)
        except render.RenderError as error:
            raise ClassbookError(str(error)) from None
        self.log_results(results, "book")
