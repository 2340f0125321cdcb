"""Template context shared by the print and web pages: edition facts, URLs, QR codes."""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from typing import TYPE_CHECKING, Any

from docutils import nodes

from classbook.builders import pagemap
from classbook.ext.words import direction, format_date, gettext
from classbook.outputs import PAPER_LABELS

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders.html import StandaloneHTMLBuilder


def build_date() -> dt.datetime:
    """The edition's date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the
    start of today (UTC). The day, not the second: every print page carries the date, and
    a build an hour later must not lay out every PDF again for a new time (the render
    cache keys each PDF by its HTML); the printed date names only the day."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def page_url(app: Sphinx, docname: str) -> str:
    """The address of a document's page on the published web site."""
    if not app.config.html_baseurl:  # a book not (yet) published on the web
        return ""
    base = app.config.html_baseurl.rstrip("/") + "/"
    return base + ("" if docname == app.config.root_doc else docname + ".html")


@cache
def qr_svg(url: str) -> str:
    """A QR code for ``url`` as inline SVG (vector, so it prints sharply at any size).

    Its ``<title>`` is the alternative text: WeasyPrint takes a Figure's /Alt from an inline
    SVG's title, never from the ARIA label of the element around it.
    """
    import segno

    code = segno.make(url, error="m")
    return code.svg_inline(scale=4, border=0, omitsize=False, title=f"QR code linking to {url}")


def content_note(builder: StandaloneHTMLBuilder) -> str:
    """The content note's body as HTML, without its heading, for handouts' first page."""
    docname = builder.config.classbook_content_note_doc
    if not docname or docname not in builder.env.all_docs:
        return ""
    doctree = builder.env.get_and_resolve_doctree(docname, builder, tags=builder.tags)
    section = next(iter(doctree.findall(nodes.section)), doctree)
    title = next(iter(section.findall(nodes.title)), None)
    if title is not None:
        title.parent.remove(title)
    # The chapter on the same page has its own generated ids ("id1"): drop the note's.
    for node in section.findall(nodes.Element):
        node["ids"] = []
    return builder.render_partial(section)["fragment"]


def chapter_title(app: Sphinx, docname: str) -> str:
    """A document's title as plain text."""
    title = app.env.titles.get(docname)
    return title.astext() if title is not None else docname


def add_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Expose ``classbook`` to templates: the facts a print or web page shows."""
    config = app.config
    date = build_date()
    url = page_url(app, pagename)
    facts: dict[str, Any] = {
        "author": config.author,
        "publisher": config.classbook_publisher,
        "subtitle": config.classbook_subtitle,
        "description": config.classbook_description,
        "edition_label": gettext("Teacher edition") if app.tags.has("teacher") else "",
        "license": config.classbook_license,
        "license_url": config.classbook_license_url,
        "base_url": config.html_baseurl,
        "build_date": date.isoformat(),
        "build_date_text": format_date(date, config.language),
        "page_url": url,
        "attribution": " · ".join(
            part
            for part in (
                config.project,
                config.classbook_publisher,
                url,
                config.classbook_license
                and gettext("Our additions: {license}").format(license=config.classbook_license),
            )
            if part
        ),
    }
    if getattr(app.builder, "name", "") == "handouts":
        facts["qr_svg"] = qr_svg(url) if url else ""
        facts["chapter_label"] = chapter_title(app, pagename)
        pages = pagemap.page_map(app.builder)
        first, last = pages.pages.get(pagename, (0, 0)) if pages is not None else (0, 0)
        paper = app.config.classbook_page_numbers
        facts["page_numbers_paper"] = gettext(PAPER_LABELS.get(paper, paper))
        facts["book_pages"] = (
            ""
            if not first
            else gettext("page {page}").format(page=first)
            if first == last
            else gettext("pages {first}–{last}").format(first=first, last=last)
        )
        cache_key = "_classbook_content_note"
        if not hasattr(app.builder, cache_key):
            # Handouts (above) are an HTML builder; app.builder is typed Builder.
            setattr(app.builder, cache_key, content_note(app.builder))  # type: ignore[arg-type]
        facts["content_note"] = getattr(app.builder, cache_key)
    context["classbook"] = facts
    context["classbook_dir"] = direction(config.language)
    context["classbook_gettext"] = gettext
