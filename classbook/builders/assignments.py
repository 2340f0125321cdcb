"""Assignments: the YAML files a teacher writes, read and checked against the book's chapters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util import logging

from classbook.builders.printing import chapters
from classbook.ext import nodes as cb_nodes
from classbook.ext import schemas, yamldata
from classbook.ext.schemas import Assignment, Chapter
from classbook.gate import Gate

if TYPE_CHECKING:
    from sphinx.config import Config

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 200


# -- The chapters an assignment may name ------------------------------------------------


def catalogue(builder: StandaloneHTMLBuilder) -> list[Chapter]:
    """The book's chapters in reading order, numbered as their handouts are."""
    env = builder.env
    labels: dict[str, list[str]] = {}
    std = env.domains.standard_domain
    for label, (docname, _labelid, sectname) in std.labels.items():
        heading = env.titles.get(docname)
        if heading is not None and sectname == heading.astext():
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


def without_questions(doctree: nodes.document) -> list[cb_nodes.editorial]:
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
    without_questions(doctree)
    return len(doctree.astext().split())


def web_url(config: Config, pagename: str) -> str:
    """A page's address on the published site (``assignments/x``, ``chapters/01-x``)."""
    return config.html_baseurl.rstrip("/") + f"/{pagename}.html"


def summary(assignment: Assignment, reading: list[dict[str, Any]]) -> dict[str, Any]:
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
