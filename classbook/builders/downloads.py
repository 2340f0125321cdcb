"""Publish the EPUB, book PDFs and handouts inside the web site, and link them from every page."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from classbook import render
from classbook.builders import chapters, handout_name
from classbook.ext.scripts import gettext
from classbook.render import PAPER_LABELS

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

#: Where the site keeps the files, so the links work on any static host.
FOLDER = "downloads"
#: Paper names, translated where they are printed.


@dataclass(frozen=True)
class Download:
    """One file offered for download: where it comes from and how it is labelled."""

    label: str
    builder_dir: str  # sibling output folder of the site that builds it
    name: str
    kind: str  # "epub" or "pdf"
    scope: str  # "book" or "chapter"


def book_downloads(app: Sphinx) -> list[Download]:
    """The whole-book files: the EPUB and the book PDF in every paper size."""
    slug = app.config.classbook_slug
    epub = f"{app.config.epub_basename}.epub"
    files = [Download(gettext("EPUB (e-readers)"), "epub", epub, "epub", "book")]
    files += [
        Download(label, "pdf", f"{slug}-{p}.pdf", "pdf", "book")
        for p in app.config.classbook_paper_sizes
        for label in [gettext("Book PDF, {paper}").format(paper=gettext(PAPER_LABELS[p]))]
    ]
    return files


def chapter_downloads(app: Sphinx) -> dict[str, list[Download]]:
    """Each chapter's handouts, by document name."""
    return {
        doc: [
            Download(
                gettext("This chapter as a handout, {paper}").format(
                    paper=gettext(PAPER_LABELS[p])
                ),
                "handouts",
                handout_name(number, doc, p),
                "pdf",
                "chapter",
            )
            for p in app.config.classbook_paper_sizes
        ]
        for number, doc in enumerate(chapters(app.builder), start=1)  # type: ignore[arg-type]
    }


def add_download_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Offer the downloads on every web page: a visible block and the theme's menu."""
    if app.builder.name != "html":
        return
    files = chapter_downloads(app).get(pagename, []) + book_downloads(app)
    pathto = context["pathto"]
    links = [
        {"label": f.label, "url": pathto(f"{FOLDER}/{f.name}", 1), "kind": f.kind, "scope": f.scope}
        for f in files
    ]
    context["classbook_downloads"] = links


def add_download_menu(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The same links in sphinx-book-theme's header menu (its own one is off in conf.py)."""
    links = context.get("classbook_downloads")
    if not links:
        return
    buttons = context.setdefault("header_buttons", [])
    buttons.append(
        {
            "type": "group",
            "tooltip": gettext("Download the book or this chapter"),
            "icon": "fas fa-download",
            "label": "classbook-download-buttons",
            "buttons": [
                {
                    "type": "link",
                    "url": link["url"],
                    "text": link["label"],
                    "tooltip": link["label"],
                    "icon": "fas fa-file-pdf" if link["kind"] == "pdf" else "fas fa-book",
                    "label": f"download-{i}",
                }
                for i, link in enumerate(links)
            ],
        }
    )


def in_progress(label: str) -> bool:
    """Whether the PDF ``label`` (``packets/x-a4.pdf``) is being laid out in this build
    (python -m classbook build writes the site meanwhile)."""
    return render.active is not None and label in render.active.by_label


def rendered(labels: Iterable[str]) -> bool:
    """Wait for the PDFs of ``labels`` this build is laying out; False if one failed.

    In one build of every output the site is written while its PDFs are laid out, and
    copies them once they are done. A PDF that failed is the build's to report (it
    publishes nothing then), not a missing download.
    """
    service = render.active
    if service is None:
        return True
    wanted = set(labels)
    try:
        service.wait([future for label, future in service.by_label.items() if label in wanted])
    except render.RenderError:
        return False
    return True


def publish_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Copy the other builders' files into the site; a missing one fails the build."""
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    target = outdir / FOLDER
    target.mkdir(exist_ok=True)
    files = book_downloads(app) + [f for fs in chapter_downloads(app).values() for f in fs]
    if not rendered(f"{f.builder_dir}/{f.name}" for f in files):
        return
    for f in files:
        source = outdir.parent / f.builder_dir / f.name
        if not source.is_file():
            logger.warning(
                "download %s is missing: build it first (make %s), then the site",
                source,
                {"pdf": "pdf", "epub": "epub", "handouts": "handouts"}[f.builder_dir],
            )
            continue
        shutil.copy2(source, target / f.name)


def setup(app: Sphinx) -> None:
    """Connect the download links and the publishing step."""
    # Before pydata-sphinx-theme drops footer templates that render empty (priority 500).
    app.connect("html-page-context", add_download_context, priority=400)
    # After sphinx-book-theme has reset and filled its header buttons (priority 501).
    app.connect("html-page-context", add_download_menu, priority=600)
    app.connect("build-finished", publish_downloads)
