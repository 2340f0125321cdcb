"""The assignments on the web site: a page per assignment, its packets as downloads."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from classbook import outputs
from classbook.builders import downloads
from classbook.builders.assignments import (
    catalogue,
    chapter_words,
    read_all,
    reading_minutes,
    summary,
)
from classbook.builders.packets import WEB_FOLDER
from classbook.outputs import PAPER_LABELS

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)


def _is_site(app: Sphinx) -> bool:
    return app.builder.name == "html"


def collect_pages(app: Sphinx) -> Iterable[tuple[str, dict[str, Any], str]]:
    """``assignments/<slug>.html``: the reading list linked to the chapters, the packets."""
    if not _is_site(app):
        return []
    builder = app.builder
    # The site's builder ("html") is Sphinx's HTML builder; app.builder is typed Builder.
    book = catalogue(builder)  # type: ignore[arg-type]
    pages = []
    for assignment in read_all(app.srcdir, app.config, book):
        reading = [
            {
                "number": c.number,
                "title": c.title,
                "docname": c.docname,
                # The HTML builder, as above.
                "minutes": reading_minutes(chapter_words(builder, c.docname)),  # type: ignore[arg-type]
            }
            for c in assignment.chapters
        ]
        packets = []
        for paper in assignment.papers:
            name = assignment.packet_name(paper)
            beside = Path(app.outdir).parent / outputs.PACKETS / name  # a plain sphinx-build's
            if downloads.in_progress(app, outputs.label(outputs.PACKETS, name)) or (
                beside.is_file()
            ):
                label = f"Printable packet, {PAPER_LABELS.get(paper, paper)} (PDF)"
                packets.append({"name": f"{downloads.FOLDER}/{name}", "label": label})
            elif beside.parent.is_dir():  # the packets were built, but not this one
                logger.warning(
                    "packet %s is missing: build the packets first (make packets), then the site",
                    name,
                    type="classbook",
                    subtype="assignment",
                )
        ctx = {
            "title": assignment.title,
            "assignment": {
                **summary(assignment, reading),
                "include": sorted(assignment.include),
                "packets": packets,
            },
        }
        pages.append((f"{WEB_FOLDER}/{assignment.slug}", ctx, "classbook-assignment.html"))
    return pages


def publish_packets(app: Sphinx, exception: Exception | None) -> None:
    """Copy the packets the assignment pages link to into the site's downloads."""
    if exception is not None or not _is_site(app):
        return
    # The site's builder ("html") is Sphinx's HTML builder; app.builder is typed Builder.
    book = catalogue(app.builder)  # type: ignore[arg-type]
    valid = read_all(app.srcdir, app.config, book, report=False)  # reported while collecting
    names = sorted({a.packet_name(p) for a in valid for p in a.papers})
    # The packets the pages link to (collect_pages): those of this build, or built beside.
    wanted = [
        name
        for name in names
        if downloads.in_progress(app, outputs.label(outputs.PACKETS, name))
        or (Path(app.outdir).parent / outputs.PACKETS / name).is_file()
    ]
    downloads.copy_into_site(
        app, [(outputs.PACKETS, name) for name in wanted], Path(app.outdir, downloads.FOLDER)
    )


def setup(app: Sphinx) -> None:
    """Connect the assignment pages and the packets' copies into the site."""
    app.connect("html-collect-pages", collect_pages)
    app.connect("build-finished", publish_packets)
