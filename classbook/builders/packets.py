"""Assignment packets: chapters a teacher assigns, printed as one packet and listed online.

An assignment is a YAML file in ``book/assignments/`` (config ``classbook_assignments``)::

    title: "Week 1: Reading the source"      # required
    course: History 10                      # optional
    due: 2026-12-01                         # optional, an ISO date
    instructions: |                         # optional, Markdown (no raw HTML, no images)
      Read the chapters before Tuesday.
    chapters: [1, 2, events-leading]        # required: numbers, slugs or labels, in order
    include: [questions, answer-space]      # optional; the default is both, [] is neither
    paper: both                             # optional: a4, letter or both

The ``packets`` builder renders, for each file and paper, ``<outdir>/<slug>-<paper>.pdf``:
a cover sheet (title, course, due date, instructions, the reading list with each chapter's
page count and reading time, a QR code to the assignment's web page), the chapters as on
their handouts with page numbers running over the whole packet, then a response sheet with
the chapters' discussion questions and lined answer space. The web site (``html`` builder)
gets ``assignments/<slug>.html`` for each, and publishes the packets in ``downloads/``.

A file with a mistake is reported (file, line, key, valid choices) as a Sphinx warning, so
``-W`` fails the build; the other files still build, and the faulty one leaves no packet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util import logging
from sphinx.util.display import progress_message
from sphinx.util.osutil import relative_uri

from classbook.builders import context, singlepage
from classbook.builders.assignments import (
    Assignment,
    Chapter,
    assignment_files,
    catalogue,
    chapter_words,
    read_all,
    reading_minutes,
    summary,
    web_url,
    without_questions,
)
from classbook.builders.handouts import HandoutBuilder
from classbook.builders.printing import PrintMixin
from classbook.outputs import PAPER_LABELS

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

#: Writing lines under each question on the response sheet.
ANSWER_LINES = 4
STYLESHEET = Path(__file__).parents[1] / "themes" / "print" / "static" / "packets.css"
#: Folder of the packets builder's own HTML, inside its output folder.
WORKDIR = "_packets"
#: Folder of the site's assignment pages.
WEB_FOLDER = "assignments"


@dataclass
class _Part:
    """A chapter as the packet prints it."""

    chapter: Chapter
    body: str
    words: int
    questions: list[str] = field(default_factory=list)  # HTML of each discussion question


class PacketBuilder(PrintMixin, StandaloneHTMLBuilder):
    """One print document per assignment and paper: cover, chapters, response sheet."""

    name = "packets"
    format = "html"
    epilog = "The packets are in %(outdir)s."
    # Links to other chapters go to the web edition, as on the handouts.
    get_relative_uri = HandoutBuilder.get_relative_uri

    # Chapters come from the write phase's resolved doctrees: resolving a document twice in
    # one run makes sphinxcontrib-bibtex list its bibliography twice. So the documents are
    # written in this process (no -j), where write_doc can keep them.
    allow_parallel = False

    def init(self) -> None:
        super().init()
        self._parts: dict[str, _Part] = {}
        self._chapters: dict[str, Chapter] | None = None

    def print_stylesheets(self) -> list[Path]:
        return [*super().print_stylesheets(), STYLESHEET]

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        """No page per document: keep each chapter's part for the packets (images are
        still collected, in ``write_doc_serialized``)."""
        if self._chapters is None:
            self._chapters = {c.docname: c for c in catalogue(self)}
        if docname in self._chapters:
            self._parts[docname] = self._make_part(self._chapters[docname], doctree)

    def finish(self) -> None:
        super().finish()
        book = catalogue(self)
        assignments = read_all(self.srcdir, self.config, book)
        self._remove_stale(assignments)
        if not assignments:
            logger.info("no assignment to build a packet for")
            return
        with progress_message("measuring the chapters of the packets"):
            pages = self._measure(
                {(c, p) for a in assignments for c in a.chapters for p in a.papers}
            )
        jobs = []
        for assignment in assignments:
            for paper in assignment.papers:
                html = self._write_packet(assignment, paper, pages)
                jobs.append(
                    self.print_job(html, Path(self.outdir, assignment.packet_name(paper)), paper)
                )
        with progress_message(f"rendering {len(jobs)} packets"):
            self.render_pdfs(jobs, "packet")

    def _remove_stale(self, valid: list[Assignment]) -> None:
        """A faulty or changed assignment leaves no packet behind from an earlier build."""
        keep = {a.packet_name(p) for a in valid for p in a.papers}
        for path in assignment_files(self.srcdir, self.config):
            for paper in self.config.classbook_paper_sizes:
                pdf = Path(self.outdir, f"{path.stem}-{paper}.pdf")
                if pdf.name not in keep:
                    pdf.unlink(missing_ok=True)

    def part(self, chapter: Chapter) -> _Part:
        """A chapter as the packets print it (resolved here if this build did not write it)."""
        if chapter.docname not in self._parts:
            doctree = self.env.get_and_resolve_doctree(chapter.docname, self, tags=self.tags)
            self._parts[chapter.docname] = self._make_part(chapter, doctree)
        return self._parts[chapter.docname]

    def _make_part(self, chapter: Chapter, doctree: nodes.document) -> _Part:
        """A chapter's HTML for the packet, its ids unique in the packet, questions apart."""
        docname = chapter.docname
        questions = without_questions(doctree)
        _prefix_ids(doctree, f"c{chapter.number}-")
        for question in questions:
            _prefix_ids(question, f"c{chapter.number}-q-")
        doctree.settings = self.docsettings
        self.secnumbers = self.env.toc_secnumbers.get(docname, {})
        self.fignumbers = self.env.toc_fignumbers.get(docname, {})
        # The packet's HTML sits one folder deep, like the chapters it comes from.
        self.imgpath = relative_uri(f"{WORKDIR}/x.html", "_images")
        self.dlpath = relative_uri(f"{WORKDIR}/x.html", "_downloads")
        self.current_docname = docname
        visitor = self.create_translator(doctree, self)
        doctree.walkabout(visitor)
        items = [
            # docutils' deepcopy: copy.deepcopy would follow .parent and copy the whole
            # document for every item (most of the packets' time).
            "".join(self.render_partial(child.deepcopy())["fragment"] for child in item.children)
            for question in questions
            for lst in question.children
            if isinstance(lst, (nodes.enumerated_list, nodes.bullet_list))
            for item in lst.children
        ]
        # create_translator is typed NodeVisitor; this builder's is an HTML translator.
        body = "".join(visitor.fragment)  # type: ignore[attr-defined]
        return _Part(chapter, body, chapter_words(self, docname), items)

    def _measure(self, needed: set[tuple[Chapter, str]]) -> dict[tuple[str, str], int]:
        """Each chapter's page count as the packet prints it: rendered alone, starting on
        a new page with the packet's page layout, it takes the same pages as in a packet."""
        jobs = []
        for chapter, paper in sorted(needed, key=lambda cp: (cp[0].number, cp[1])):
            stem = f"{chapter.number:02d}-{chapter.slug}"
            html = self._page(f"{WORKDIR}/measure/{stem}", None, [self.part(chapter)], "")
            jobs.append(
                self.print_job(
                    html, Path(self.outdir, WORKDIR, "measure", f"{stem}-{paper}.pdf"), paper
                )
            )
        pages = {}
        for result, (chapter, paper) in zip(
            self.render_pdfs(jobs, "measured", wait=True),
            sorted(needed, key=lambda cp: (cp[0].number, cp[1])),
            strict=True,
        ):
            pages[(chapter.docname, paper)] = result.pages
        return pages

    def _write_packet(
        self, assignment: Assignment, paper: str, pages: dict[tuple[str, str], int]
    ) -> Path:
        parts = [self.part(c) for c in assignment.chapters]
        url = web_url(self.config, f"{WEB_FOLDER}/{assignment.slug}")
        reading: list[dict[str, Any]] = [
            {
                "number": p.chapter.number,
                "title": p.chapter.title,
                "anchor": f"packet-part-{i}",
                "pages": pages[(p.chapter.docname, paper)],
                "minutes": reading_minutes(p.words),
            }
            for i, p in enumerate(parts, start=1)
        ]
        cover = {
            **summary(assignment, reading),
            "total_pages": sum(r["pages"] for r in reading),
            "url": url,
            "qr_svg": context.qr_svg(url),
            "content_note": self._content_note(),
            "paper": PAPER_LABELS.get(paper, paper),
        }
        responses = [p for p in parts if p.questions] if assignment.questions else []
        return self._page(
            f"{WORKDIR}/{assignment.slug}-{paper}",
            cover,
            parts,
            assignment.title,
            responses=responses,
            answer_space=assignment.answer_space,
        )

    def _content_note(self) -> str:
        if not hasattr(self, "_note"):
            self._note = context.content_note(self)  # the handouts' content note
        return self._note

    def _page(
        self,
        pagename: str,
        cover: dict[str, Any] | None,
        parts: list[_Part],
        title: str,
        *,
        responses: Sequence[_Part] = (),
        answer_space: bool = False,
    ) -> Path:
        """Write one packet (or measuring) document through the print theme."""
        ctx = {
            "title": title or self.config.project,
            "classbook_kind": "packet",
            "packet": {
                "title": title,
                "cover": cover,
                "parts": [
                    {
                        "number": p.chapter.number,
                        "title": p.chapter.title,
                        "url": web_url(self.config, p.chapter.docname),
                        "body": p.body,
                        "anchor": f"packet-part-{i}",
                    }
                    for i, p in enumerate(parts, start=1)
                ],
                "responses": [
                    {"number": p.chapter.number, "title": p.chapter.title, "questions": p.questions}
                    for p in responses
                ],
                "answer_space": answer_space,
                "answer_lines": ANSWER_LINES,
            },
        }
        outfile = Path(self.outdir, pagename + self.out_suffix)
        self.handle_page(pagename, ctx, "classbook-packet.html", outfilename=outfile)
        return outfile


class PacketFootnotes(singlepage.PrintFootnotes):
    """Footnotes at the foot of their page in packets too, as on the handouts."""

    builders = ("packets",)


def _prefix_ids(tree: nodes.Element, prefix: str) -> None:
    """Make every id and in-page link of ``tree`` unique once chapters share a document."""
    for node in tree.findall(nodes.Element):
        if node.get("ids"):
            node["ids"] = [prefix + i for i in node["ids"]]
        if node.get("refid"):
            node["refid"] = prefix + node["refid"]
        if node.get("backrefs"):
            node["backrefs"] = [prefix + i for i in node["backrefs"]]
        uri = node.get("refuri", "")
        if uri.startswith("#") and len(uri) > 1:
            node["refuri"] = "#" + prefix + uri[1:]


def setup(app: Sphinx) -> None:
    """Register the builder and its configuration."""
    app.add_builder(PacketBuilder)
    app.add_post_transform(PacketFootnotes)
