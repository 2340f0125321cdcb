"""The handouts builder: one print page per chapter, each its own PDF with its own page numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util.display import progress_message

from classbook import outputs
from classbook.builders.printing import PrintMixin, chapters


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
            for name in [outputs.handout(number, doc, paper)]
        ]
        with progress_message(f"rendering {len(jobs)} handouts"):
            self.render_pdfs(jobs, "handout")
