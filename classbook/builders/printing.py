"""What the print builders share: the print theme, the reading order, the render stage."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.errors import SphinxError
from sphinx.util import logging

from classbook import outputs, render
from classbook.builders import printcss, printformulas
from classbook.builders.rendering import Rendering, own_service
from classbook.ext.formulas import results as formula_results

logger = logging.getLogger(__name__)

THEMES = Path(__file__).parents[1] / "themes"


class ClassbookError(SphinxError):
    """A failure of the classbook pipeline; Sphinx prints it without a traceback."""

    category = "Classbook error"


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


if TYPE_CHECKING:
    # To mypy the mixin is the HTML builder it is mixed into (its config, outdir, env and
    # the methods the mixin overrides are that builder's); at run time it is a plain class.
    _PrintBase = StandaloneHTMLBuilder
else:
    _PrintBase = object


class PrintMixin(_PrintBase):
    """What the print builders share: the lean print theme and the WeasyPrint stage."""

    # As Sphinx's EPUB builder does: no search index, permalinks or sources in print.
    search = False
    add_permalinks = False
    copysource = False
    embedded = True
    allow_sharp_as_current_path = False

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return self.config.classbook_print_theme, {}

    #: The render service this builder submits to (builders/rendering.py).
    rendering: Rendering

    def init(self) -> None:
        super().init()
        self.rendering = own_service(self._app)
        if self.rendering.own:
            # A build that ends without build-finished (Ctrl-C) stops it when the builder
            # goes. (An own sink is a RenderService, which has close(); a RenderSink has not.)
            weakref.finalize(self, self.rendering.sink.close)  # type: ignore[attr-defined]

    def handle_page(
        self,
        pagename: str,
        addctx: dict[str, Any],
        templatename: str = "page.html",
        *,
        outfilename: Path | None = None,
        event_arg: Any = None,
    ) -> None:
        super().handle_page(
            pagename, addctx, templatename, outfilename=outfilename, event_arg=event_arg
        )
        # Formulas as glyphs of a font of this file's own (builders/printformulas.py).
        written = Path(outfilename) if outfilename else Path(self.get_output_path(pagename))
        if written.suffix == self.out_suffix and written.is_file():
            printformulas.glyph_form(written, Path(self.outdir), formula_results(self._app))

    def print_stylesheets(self) -> list[Path]:
        theme = THEMES / self.config.classbook_print_theme / "static" / "print.css"
        return [theme, *printcss.print_stylesheets(self)]

    def print_job(self, html: Path, pdf: Path, paper: str) -> render.Job:
        """A render job with this builder's stylesheets, sandbox and progress label (the
        output and the PDF's path in it: ``handouts/03-x-a4.pdf``)."""
        outdir = Path(self.outdir)
        return render.Job(
            html,
            pdf,
            paper,
            stylesheets=tuple(self.print_stylesheets()),
            roots=(outdir, THEMES),
            label=outputs.label(outputs.output_of(self.name), pdf.relative_to(outdir).as_posix()),
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
        sink = self.rendering.sink
        try:
            futures = [sink.submit(job, urgent=wait) for job in jobs]
            if not self.rendering.own:
                return sink.wait(futures) if wait else []
            results = sink.wait(futures)
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
