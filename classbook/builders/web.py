"""The web edition: a cover drawn from the title, the landing page, and the site's extras.

The cover is made at build time (no binary art in the repository) for the web site and, as
its cover image, for the EPUB. The theme's accessibility fixes live in templates/ and static/.
"""

from __future__ import annotations

import html
import queue
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classbook.builders import translators
from classbook.ext import scripts

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: The generated cover, in each output's ``_static`` folder (conf.py names it too).
COVER = "classbook-cover.png"
#: Pixel size of the cover (2:3, as e-book stores and readers expect).
COVER_SIZE = (1200, 1800)
#: Builders that publish the web site; the EPUB builder also gets the cover.
WEB_BUILDERS = frozenset({"html", "dirhtml"})
COVER_BUILDERS = WEB_BUILDERS | {"epub"}

STATIC = Path(__file__).parents[1] / "static"
FONTS = Path(__file__).parents[1] / "themes" / "print" / "static" / "fonts"
#: Cover colours: light text on a dark slate ground (contrast above 12:1).
INK, PAPER, MUTED, ACCENT = "#f7f3ea", "#1d2833", "#c8d2dc", "#c9772b"


def draw_cover(path: Path, title: str, subtitle: str, footer: str) -> None:
    """Draw a plain typographic cover for ``title`` into the PNG file ``path``."""
    # Imported here: matplotlib is heavy and only the cover needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    dpi = 200
    width, height = COVER_SIZE[0] / dpi, COVER_SIZE[1] / dpi
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor=PAPER)
    FigureCanvasAgg(fig)  # a renderer to measure text with
    serif = FontProperties(fname=FONTS / "NotoSerif-Bold.ttf")
    sans = FontProperties(fname=FONTS / "NotoSans-Regular.ttf")

    left, top = 0.11, 0.76
    fig.patches.append(_bar(fig, left, top + 0.04, 0.16, 0.008))
    lines = "\n".join(textwrap.wrap(title, 16))
    heading = fig.text(left, top, lines, font=serif, size=40, color=INK, va="top", linespacing=1.1)
    if subtitle:
        # Measure the title as drawn and set the subtitle a line's gap below it.
        extent = heading.get_window_extent(renderer=fig.canvas.get_renderer())
        below = extent.y0 / COVER_SIZE[1] - 0.035
        lines = "\n".join(textwrap.wrap(subtitle, 34))
        fig.text(left, below, lines, font=sans, size=15, color=MUTED, va="top", linespacing=1.25)
    fig.patches.append(_bar(fig, left, 0.12, 0.78, 0.002, colour=MUTED))
    fig.text(left, 0.09, footer, font=sans, size=13, color=INK, va="top")
    # No "Software" text chunk: the same title gives the same file.
    fig.savefig(path, dpi=dpi, facecolor=PAPER, metadata={"Software": None})


def _bar(fig: Any, x: float, y: float, w: float, h: float, *, colour: str = ACCENT) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, transform=fig.transFigure, figure=fig, color=colour, lw=0)


def cover_alt(app: Sphinx) -> str:
    """The cover's text alternative: what it says."""
    config = app.config
    cover_of = scripts.gettext("Cover of {title}").format(title=config.project)
    parts = [cover_of, config.classbook_subtitle, config.classbook_publisher]
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


def make_cover(app: Sphinx) -> None:
    """Draw the cover into the output's ``_static`` (web site, Open Graph, EPUB cover)."""
    if app.builder.name not in COVER_BUILDERS:
        return
    static = Path(app.outdir, "_static")
    static.mkdir(parents=True, exist_ok=True)
    config = app.config
    edition = scripts.gettext("Teacher edition") if app.tags.has("teacher") else ""
    footer = " · ".join(part for part in (config.classbook_publisher, edition) if part)
    if scripts.is_english(config.language):
        draw_cover(static / COVER, config.project, config.classbook_subtitle, footer)
    else:
        lines = (config.project, config.classbook_subtitle, footer)
        colours = (INK, PAPER, MUTED, ACCENT)
        scripts.draw_cover(static / COVER, lines, config.language, COVER_SIZE, colours)


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
    app.sitemap_links = queue.Queue()  # type: ignore[attr-defined]
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
    src = context["pathto"]("_static/" + COVER, resource=True)
    width, height = COVER_SIZE
    figure = (
        f'<figure class="classbook-cover"><img src="{html.escape(src)}" '
        f'alt="{html.escape(cover_alt(app))}" width="{width}" height="{height}">'
        "</figure>"
    )
    head, h1_end, rest = body.partition("</h1>")
    context["body"] = head + h1_end + figure + rest if h1_end else figure + body


def setup(app: Sphinx) -> None:
    """Connect the web edition's steps (called from classbook's own ``setup``)."""
    for builder in WEB_BUILDERS:
        app.set_translator(builder, translators.WebTranslator)
    app.add_config_value("classbook_repository_url", "", "html", str)
    app.connect("builder-inited", configure_builder)
    app.connect("builder-inited", make_cover)
    # After sphinx-sitemap's own builder-inited handler (priority 500) has made its queue.
    app.connect("builder-inited", unshare_sitemap_queue, priority=900)
    app.connect("html-page-context", add_cover_to_landing_page)
