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

import argparse
import math
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util import logging
from sphinx.util.display import progress_message
from sphinx.util.osutil import relative_uri

from classbook.builders import (
    HandoutBuilder,
    PrintMixin,
    chapters,
    context,
    downloads,
    singlepage,
)
from classbook.ext import nodes as cb_nodes
from classbook.ext import schemas, yamldata
from classbook.ext.schemas import INCLUDE_CHOICES, Assignment, Chapter
from classbook.gate import Gate
from classbook.render import PAPER_LABELS
from classbook.sources import slugify

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 200
#: Writing lines under each question on the response sheet.
ANSWER_LINES = 4
#: Templates of the packet (print) and of the assignment's web page.
TEMPLATES = Path(__file__).parents[1] / "templates"
STYLESHEET = Path(__file__).parents[1] / "packets.css"
#: Folder of the packets builder's own HTML, inside its output folder.
WORKDIR = "_packets"
#: Folder of the site's assignment pages, and where the site keeps downloads.
WEB_FOLDER = "assignments"
DOWNLOADS = "downloads"


# -- The chapters an assignment may name ------------------------------------------------


def catalogue(builder: StandaloneHTMLBuilder) -> list[Chapter]:
    """The book's chapters in reading order, numbered as their handouts are."""
    env = builder.env
    labels: dict[str, list[str]] = {}
    std = env.get_domain("std")
    for label, (docname, _labelid, sectname) in std.labels.items():  # type: ignore[attr-defined]
        title = env.titles.get(docname)
        if title is not None and sectname == title.astext():
            labels.setdefault(docname, []).append(label)
    result = []
    for number, docname in enumerate(chapters(builder), start=1):
        stem = docname.rsplit("/", 1)[-1]
        slug = stem.split("-", 1)[1] if stem[:2].isdigit() and "-" in stem else stem
        title = env.titles[docname].astext() if docname in env.titles else docname
        result.append(Chapter(number, docname, slug, title, tuple(sorted(labels.get(docname, [])))))
    return result


# -- Assignment files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A mistake in an assignment file: where it is and what to do about it."""

    path: Path
    line: int
    message: str


def assignment_files(srcdir: str | Path, config: Config) -> list[Path]:
    """The assignment files: every ``*.yml`` of the configured folder, or the one file."""
    setting = config.classbook_assignments
    if not setting:
        return []
    where = Path(srcdir, setting)
    if where.is_file():
        return [where]
    if where.is_dir():
        return sorted(p for p in where.iterdir() if p.suffix in {".yml", ".yaml"} and p.is_file())
    return []


def read_assignment(
    path: Path, book: Sequence[Chapter], config: Config, gate: Gate | None = None
) -> tuple[Assignment | None, list[Problem]]:
    """Read and check one assignment file: the assignment, or the problems that stop it."""
    found: list[tuple[int, str]] = []
    name = schemas.file_name_problem(path)
    if name is not None:
        found.append((0, name))  # the file as a whole, not one of its lines
    data = yamldata.load_mapping(path, schemas.keys(Assignment), gate)
    found += data.problems
    context = {
        "path": path,
        "book": book,
        "paper_sizes": list(config.classbook_paper_sizes),
        "default_paper": config.classbook_default_paper,
    }
    valid, invalid = schemas.validate(Assignment, data.records, context)
    found += invalid
    if found or not valid:
        return None, [Problem(path, line, message) for line, message in found]
    return valid[0][1], []


def read_all(
    srcdir: str | Path, config: Config, book: Sequence[Chapter], *, report: bool = True
) -> list[Assignment]:
    """Every valid assignment; each problem of the others is logged as a warning."""
    assignments = []
    # The folder conf.py names (the book's, or the one-off packets' in the build folder):
    # an assignment file is read only from inside it.
    folder = Path(srcdir, config.classbook_assignments or ".")
    gate = Gate.for_book(
        folder if folder.is_dir() else folder.parent,
        max_text_bytes=config.classbook_max_text_bytes,
        max_file_bytes=config.classbook_max_file_bytes,
    )
    for path in assignment_files(srcdir, config):
        assignment, problems = read_assignment(path, book, config, gate)
        for p in problems if report else ():
            shown = yamldata.describe(p.path, Path(srcdir), p.line)
            logger.warning(
                "assignment (%s): %s",
                shown,
                p.message,
                location=yamldata.where(p.path, p.line),
                type="classbook",
                subtype="assignment",
            )
        if assignment is not None:
            assignments.append(assignment)
    return assignments


# -- What the cover and the web page say -------------------------------------------------


def render_markdown(text: str) -> str:
    """Teacher-written Markdown as safe HTML: raw HTML is escaped, images are left out
    (a packet must not fetch anything), headings sit below the page's own."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    return md.renderer.render(tokens, md.options, {})


def _without_questions(doctree: nodes.document) -> list[cb_nodes.editorial]:
    """Take the discussion questions out of ``doctree``; return them."""
    found = [n for n in doctree.findall(cb_nodes.editorial) if n.get("kind") == "questions"]
    for node in found:
        node.parent.remove(node)
    return found


def reading_minutes(words: int) -> int:
    """Minutes to read ``words`` at 200 words a minute, rounded up (at least one)."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def chapter_words(builder: StandaloneHTMLBuilder, docname: str) -> int:
    """Words a student reads in a chapter: everything but its discussion questions."""
    doctree = builder.env.get_doctree(docname)
    _without_questions(doctree)
    return len(doctree.astext().split())


def web_url(config: Config, pagename: str) -> str:
    """A page's address on the published site (``assignments/x``, ``chapters/01-x``)."""
    return config.html_baseurl.rstrip("/") + f"/{pagename}.html"


# -- The packets builder ---------------------------------------------------------------


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
        questions = _without_questions(doctree)
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
        doctree.walkabout(visitor)  # type: ignore[arg-type]
        items = [
            # docutils' deepcopy: copy.deepcopy would follow .parent and copy the whole
            # document for every item (most of the packets' time).
            "".join(self.render_partial(child.deepcopy())["fragment"] for child in item)
            for question in questions
            for lst in question.children
            if isinstance(lst, (nodes.enumerated_list, nodes.bullet_list))
            for item in lst.children
        ]
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
        reading = [
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
            **_summary(assignment, reading),
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


# -- The web site: a page per assignment, the packets as downloads ----------------------------


def _is_site(app: Sphinx) -> bool:
    return app.builder.name == "html"


def _packets_dir(app: Sphinx) -> Path:
    """Where ``make packets`` puts them: beside the site's output folder."""
    return Path(app.outdir).parent / "packets"


def collect_pages(app: Sphinx) -> Iterable[tuple[str, dict[str, Any], str]]:
    """``assignments/<slug>.html``: the reading list linked to the chapters, the packets."""
    if not _is_site(app):
        return []
    builder = app.builder
    book = catalogue(builder)  # type: ignore[arg-type]
    pages = []
    for assignment in read_all(app.srcdir, app.config, book):
        reading = [
            {
                "number": c.number,
                "title": c.title,
                "docname": c.docname,
                "minutes": reading_minutes(chapter_words(builder, c.docname)),  # type: ignore[arg-type]
            }
            for c in assignment.chapters
        ]
        packets = []
        for paper in assignment.papers:
            name = assignment.packet_name(paper)
            if (_packets_dir(app) / name).is_file() or downloads.in_progress(f"packets/{name}"):
                label = f"Printable packet, {PAPER_LABELS.get(paper, paper)} (PDF)"
                packets.append({"name": f"{DOWNLOADS}/{name}", "label": label})
            elif _packets_dir(app).is_dir():
                logger.warning(
                    "packet %s is missing: build the packets first (make packets), then the site",
                    _packets_dir(app) / name,
                    type="classbook",
                    subtype="assignment",
                )
        ctx = {
            "title": assignment.title,
            "assignment": {
                **_summary(assignment, reading),
                "include": sorted(assignment.include),
                "packets": packets,
            },
        }
        pages.append((f"{WEB_FOLDER}/{assignment.slug}", ctx, "classbook-assignment.html"))
    return pages


def publish_packets(app: Sphinx, exception: Exception | None) -> None:
    """Copy the packets the assignment pages link to into the site's downloads."""
    if exception is not None or not _is_site(app) or not _packets_dir(app).is_dir():
        return
    target = Path(app.outdir, DOWNLOADS)
    book = catalogue(app.builder)  # type: ignore[arg-type]
    valid = read_all(app.srcdir, app.config, book, report=False)  # reported while collecting
    wanted = {a.packet_name(p) for a in valid for p in a.papers}
    if not downloads.rendered(f"packets/{name}" for name in wanted):
        return
    for name in sorted(wanted):
        source = _packets_dir(app) / name
        if source.is_file():
            target.mkdir(exist_ok=True)
            shutil.copy2(source, target / name)


# -- The command line: one packet without a file ------------------------------------------------


def write_adhoc(args: argparse.Namespace) -> Path:
    """Write the one-off assignment file the command line describes; return its path."""
    data: dict[str, Any] = {"title": args.title}
    if args.course:
        data["course"] = args.course
    if args.due:
        data["due"] = args.due
    if args.instructions:
        data["instructions"] = args.instructions
    data["chapters"] = [int(c) if c.isdigit() else c for c in args.chapters]
    if args.include is not None:
        data["include"] = [i for i in args.include if i != "none"]
    if args.paper:
        data["paper"] = args.paper
    folder = Path(args.build, "adhoc-assignments")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slugify(args.title, 'packet')}.yml"
    path.write_text(
        "# Written by `python -m classbook packet`; rebuilt on every run.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def packet_command(args: argparse.Namespace) -> int:
    """Build one packet from the command line, as ``make packets`` builds the files."""
    from sphinx.cmd.build import build_main

    from classbook import publish  # the build lock and the command shape

    build = Path(args.build)
    path = write_adhoc(args)
    outdir = build / "adhoc-packets"
    try:
        # Not through a staging folder: earlier one-off packets stay beside this one.
        with publish.build_lock(build):
            status = build_main(
                publish.sphinx_args(
                    "packets",
                    outdir,
                    source_dir=Path(args.source),
                    conf_dir=Path(args.conf),
                    doctrees=build / "doctrees",
                    extra=["-D", f"classbook_assignments={path.resolve()}"],
                )
            )
    except publish.PublishError as error:
        publish.say(str(error))
        return error.status
    if status == 0:
        for pdf in sorted(outdir.glob(f"{path.stem}-*.pdf")):
            sys.stdout.write(f"{pdf}\n")
    return status


def add_commands(commands: Any) -> None:
    """``python -m classbook packet``: register the subcommand."""
    parser = commands.add_parser(
        "packet",
        help="build one assignment packet without an assignment file",
        description="Write an assignment file into <build>/adhoc-assignments/ and build its "
        "packet into <build>/adhoc-packets/<slug>-<paper>.pdf.",
    )
    parser.add_argument(
        "--chapters",
        nargs="+",
        required=True,
        metavar="CHAPTER",
        help="chapter numbers or slugs, in reading order (e.g. 2 3 background)",
    )
    parser.add_argument("--title", required=True, help='the packet\'s title, e.g. "Week 1"')
    parser.add_argument("--due", help="due date, YYYY-MM-DD")
    parser.add_argument("--course", help="course or class name")
    parser.add_argument("--instructions", help="instructions (Markdown)")
    parser.add_argument(
        "--include",
        nargs="*",
        choices=[*INCLUDE_CHOICES, "none"],
        help="what the response sheet has (default: questions answer-space)",
    )
    parser.add_argument(
        "--paper",
        choices=["a4", "letter", "both"],
        help="paper size (default: classbook_default_paper in conf.py)",
    )
    parser.add_argument("--source", default="book", help="the book's folder (default: book)")
    parser.add_argument("--conf", default=".", help="folder of conf.py (default: .)")
    parser.add_argument("--build", default="_build", help="build folder (default: _build)")
    parser.set_defaults(run=packet_command)  # fmt: skip


# -- Registration ---------------------------------------------------------------------------


def setup(app: Sphinx) -> None:
    """Register the builder, its configuration and the web site's steps."""
    app.add_config_value("classbook_assignments", "assignments", "", str)
    app.add_builder(PacketBuilder)
    app.add_post_transform(PacketFootnotes)
    app.connect("html-collect-pages", collect_pages)
    app.connect("build-finished", publish_packets)


def _summary(assignment: Assignment, reading: list[dict[str, Any]]) -> dict[str, Any]:
    """What the packet's cover and the assignment's web page both show."""
    return {
        "title": assignment.title,
        "course": assignment.course,
        "due": assignment.due.isoformat() if assignment.due else "",
        "due_text": assignment.due_text,
        "instructions": render_markdown(assignment.instructions),
        "reading": reading,
        "total_minutes": sum(r["minutes"] for r in reading),
    }
