"""The web edition: the cover on the landing page, the site's own styles, the writing direction.

The theme's accessibility fixes live in templates/ and static/.
"""

from __future__ import annotations

import html
import queue
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classbook.builders import cover, translators
from classbook.ext.words import direction, gettext

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Builders that publish the web site; the EPUB builder also gets the cover.
WEB_BUILDERS = frozenset({"html", "dirhtml"})
COVER_BUILDERS = WEB_BUILDERS | {"epub"}

STATIC = Path(__file__).parents[1] / "static"


def make_cover(app: Sphinx) -> None:
    """Draw the cover into the output's ``_static`` (web site, Open Graph, EPUB cover)."""
    if app.builder.name not in COVER_BUILDERS:
        return
    static = Path(app.outdir, "_static")
    static.mkdir(parents=True, exist_ok=True)
    config = app.config
    edition = gettext("Teacher edition") if app.tags.has("teacher") else ""
    footer = " · ".join(part for part in (config.classbook_publisher, edition) if part)
    cover.draw(
        static / cover.COVER, config.project, config.classbook_subtitle, footer, config.language
    )


def configure_builder(app: Sphinx) -> None:
    """Per-builder set-up: web styles and scripts, and the sitemap, for the site only."""
    if app.builder.name in WEB_BUILDERS:
        # classbook/static holds the site's own CSS and JS (theme fixes); the EPUB and
        # print outputs, which also copy html_static_path, never get them.
        app.config.html_static_path = [*app.config.html_static_path, str(STATIC)]
        app.add_css_file("classbook-web.css", priority=900)
        app.add_js_file("classbook-web.js", priority=900)
    else:
        # sphinx-sitemap listens to every HTML-like builder (EPUB, print pages too) and
        # would write a sitemap.xml beside them: exclude every page there.
        app.config.sitemap_excludes = ["*"]


def unshare_sitemap_queue(app: Sphinx) -> None:
    """Give sphinx-sitemap a plain queue when no pages are written in parallel.

    sphinx-sitemap collects the pages' addresses in a ``multiprocessing.Manager`` queue,
    which forks a server process (about 100 MB resident) for every builder, print and
    EPUB too; a queue shared between processes is needed only when Sphinx writes pages
    in parallel processes (``-j``).
    """
    shared = getattr(app, "sitemap_links", None)
    if shared is None or app.parallel > 1:
        return
    app.sitemap_links = queue.Queue()  # type: ignore[attr-defined]  # sphinx-sitemap's
    manager = getattr(shared, "_manager", None)
    if manager is not None:
        manager.shutdown()


def add_cover_to_landing_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Show the cover on the landing page, right after its title."""
    if app.builder.name not in WEB_BUILDERS or pagename != app.config.root_doc:
        return
    body = context.get("body", "")
    src = context["pathto"]("_static/" + cover.COVER, resource=True)
    width, height = cover.COVER_SIZE
    figure = (
        f'<figure class="classbook-cover"><img src="{html.escape(src)}" '
        f'alt="{html.escape(cover.cover_alt(app))}" width="{width}" height="{height}">'
        "</figure>"
    )
    head, h1_end, rest = body.partition("</h1>")
    context["body"] = head + h1_end + figure + rest if h1_end else figure + body


_HTML_ROOT = re.compile(r"<html(?=[\s>])(?![^>]*\sdir=)")


def with_direction(render: Callable[[str, dict[str, Any]], str]) -> Callable[..., str]:
    """``render`` whose pages' root element also says the writing direction."""

    def render_rtl(template: str, context: dict[str, Any]) -> str:
        return _HTML_ROOT.sub('<html dir="rtl"', render(template, context), count=1)

    return render_rtl


def mark_direction(app: Sphinx) -> None:
    """Right-to-left web pages say so on their root element."""
    builder = app.builder
    templates = getattr(builder, "templates", None)
    # The web theme writes <html lang> itself, with no dir and no hook for one; the print
    # layout and the EPUB builder write dir on their own root elements.
    if direction(app.config.language) == "rtl" and builder.name in {"html", "dirhtml"}:
        # The HTML builders named have templates (getattr's default is for the others).
        templates.render = with_direction(templates.render)  # type: ignore[union-attr]


def keep_link_text(app: Sphinx) -> None:
    """Links written as their address keep it: the book theme shortens a GitHub or GitLab
    address to ``owner/repo``, which changes the source's own words on the site alone."""
    theme = getattr(app.builder, "theme", None)
    options = getattr(app.builder, "theme_options", None)
    if theme is not None and options is not None and "shorten_urls" in theme.get_options():
        options["shorten_urls"] = False


def setup(app: Sphinx) -> None:
    """Connect the web edition's steps (called from classbook's own ``setup``)."""
    # Before the theme's own handler reads the option (pydata-sphinx-theme, priority 500).
    app.connect("builder-inited", keep_link_text, priority=400)
    for builder in WEB_BUILDERS:
        app.set_translator(builder, translators.WebTranslator)
    app.connect("builder-inited", configure_builder)
    app.connect("builder-inited", mark_direction)
    app.connect("builder-inited", make_cover)
    # After sphinx-sitemap's own builder-inited handler (priority 500) has made its queue.
    app.connect("builder-inited", unshare_sitemap_queue, priority=900)
    app.connect("html-page-context", add_cover_to_landing_page)
