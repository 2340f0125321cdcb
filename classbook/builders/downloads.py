"""Publish the EPUB, book PDFs, handouts and cartridges in the web site, linked from every page."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from classbook import outputs, render
from classbook.builders.printing import chapters
from classbook.builders.rendering import handed, provisional
from classbook.ext.words import gettext
from classbook.outputs import PAPER_LABELS

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

#: The header menu's icon of each kind of download (Font Awesome, which the theme ships).
ICONS = {"pdf": "fas fa-file-pdf", "cartridge": "fas fa-chalkboard-teacher"}
#: Where the site keeps the files, so the links work on any static host.
FOLDER = "downloads"


@dataclass(frozen=True)
class Download:
    """One file offered for download: where it comes from and how it is labelled."""

    label: str
    output: str  # the output that makes it (classbook.outputs)
    name: str
    kind: str  # "epub", "pdf" or "cartridge"
    scope: str  # "book" or "chapter"


def book_downloads(app: Sphinx) -> list[Download]:
    """The whole-book files: the EPUB and the book PDF in every paper size."""
    slug = app.config.classbook_slug
    epub = outputs.epub(app.config.epub_basename)
    files = [Download(gettext("EPUB (e-readers)"), outputs.EPUB, epub, "epub", "book")]
    files += [
        Download(label, outputs.PDF, outputs.book_pdf(slug, p), "pdf", "book")
        for p in app.config.classbook_paper_sizes
        for label in [gettext("Book PDF, {paper}").format(paper=gettext(PAPER_LABELS[p]))]
    ]
    # The course package for teachers' LMSs: built only where the site has a real address
    # (its web links lead there), which the extension leaves in html_baseurl or clears.
    if app.config.html_baseurl:
        files += [
            Download(
                gettext("For teachers: the book for an LMS (Common Cartridge {version})").format(
                    version=version
                ),
                outputs.CARTRIDGE,
                outputs.cartridge(slug, suffix),
                "cartridge",
                "book",
            )
            for suffix, version in outputs.CARTRIDGE_VERSIONS.items()
        ]
    return files


def chapter_downloads(app: Sphinx) -> dict[str, list[Download]]:
    """Each chapter's handouts, by document name."""
    # Both callers run under HTML builders (html-page-context; the site's build-finished):
    # app.builder is typed Builder.
    return {
        doc: [
            Download(
                gettext("This chapter as a handout, {paper}").format(
                    paper=gettext(PAPER_LABELS[p])
                ),
                outputs.HANDOUTS,
                outputs.handout(number, doc, p),
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
                    "icon": ICONS.get(link["kind"], "fas fa-book"),
                    "label": f"download-{i}",
                }
                for i, link in enumerate(links)
            ],
        }
    )


def in_progress(app: Sphinx, label: str) -> bool:
    """Whether the PDF ``label`` (``packets/x-a4.pdf``) is being laid out in this build
    (python -m classbook build writes the site meanwhile)."""
    sink = handed(app)
    return sink is not None and sink.future(label) is not None


def made(app: Sphinx, output: str, name: str) -> Path | None:
    """Where the file ``name`` of ``output`` is, once done: the PDF this build laid out
    (waiting for it), or, under a plain ``sphinx-build``, the file beside the site in that
    output's folder (each output built into ``<folder>/<output>``). None if the PDF failed:
    the build reports it and publishes nothing."""
    sink = handed(app)
    future = sink.future(outputs.label(output, name)) if sink is not None else None
    if sink is None or future is None:
        return Path(app.outdir).parent / output / name
    try:
        [result] = sink.wait([future])
    except render.RenderError:
        return None
    return result.job.pdf


def copy_into_site(app: Sphinx, wanted: list[tuple[str, str]], folder: Path) -> None:
    """Copy each ``(output, name)`` into the site's ``folder``; a missing one is a warning.

    In one build of every output the site is written while its PDFs are laid out and
    copies them once they are done."""
    found = [(output, name, made(app, output, name)) for output, name in wanted]
    if any(path is None for _output, _name, path in found):
        return  # a PDF failed: the build says which, and publishes nothing
    folder.mkdir(parents=True, exist_ok=True)
    for output, name, path in found:
        assert path is not None
        if not path.is_file():
            if provisional(app):
                continue  # a live preview's site: the build of every output brings it
            logger.warning(
                "download %s is missing: build it first (make %s), then the site", path, output
            )
            continue
        shutil.copy2(path, folder / name)


def publish_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Copy the other outputs' files into the site; a missing one fails the build."""
    if exception is not None or app.builder.name != "html":
        return
    files = book_downloads(app) + [f for fs in chapter_downloads(app).values() for f in fs]
    copy_into_site(app, [(f.output, f.name) for f in files], Path(app.outdir, FOLDER))


def setup(app: Sphinx) -> None:
    """Connect the download links and the publishing step."""
    # Before pydata-sphinx-theme drops footer templates that render empty (priority 500).
    app.connect("html-page-context", add_download_context, priority=400)
    # After sphinx-book-theme has reset and filled its header buttons (priority 501).
    app.connect("html-page-context", add_download_menu, priority=600)
    app.connect("build-finished", publish_downloads)
