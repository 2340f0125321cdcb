"""The cover drawn from the title at build time (no binary art in the repository): for the web
site, its Open Graph image and the EPUB."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classbook.ext.words import base_language, direction, gettext, is_english, script

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: The generated cover, in each output's ``_static`` folder (conf.py names it too).
COVER = "classbook-cover.png"
#: Pixel size of the cover (2:3, as e-book stores and readers expect).
COVER_SIZE = (1200, 1800)
FONTS = Path(__file__).parents[1] / "themes" / "print" / "static" / "fonts"
#: Cover colours: light text on a dark slate ground (contrast above 12:1).
INK, PAPER, MUTED, ACCENT = "#f7f3ea", "#1d2833", "#c8d2dc", "#c9772b"
#: The faces of a cover not in English (title, other lines), by script.
COVER_FACES = {
    "arabic": ("NotoNaskhArabic-Bold.ttf", "NotoSansArabic-Regular.ttf"),
    "hebrew": ("NotoSerifHebrew-Bold.ttf", "NotoSansHebrew-Regular.ttf"),
    "latin": ("NotoSerif-Bold.ttf", "NotoSans-Regular.ttf"),
}


def draw(path: Path, title: str, subtitle: str, footer: str, language: str | None) -> None:
    """Draw the cover into the PNG file ``path``: with matplotlib in English, with Pillow
    (whose text engine joins Arabic letters and sets them right to left) otherwise."""
    if is_english(language):
        _draw_latin(path, title, subtitle, footer)
    else:
        _draw_script(path, (title, subtitle, footer), language)


def cover_alt(app: Sphinx) -> str:
    """The cover's text alternative: what it says."""
    config = app.config
    cover_of = gettext("Cover of {title}").format(title=config.project)
    parts = [cover_of, config.classbook_subtitle, config.classbook_publisher]
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


def _draw_latin(path: Path, title: str, subtitle: str, footer: str) -> None:
    """Draw a plain typographic cover for ``title`` into the PNG file ``path``."""
    # Imported here: matplotlib is heavy and only the cover needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    dpi = 200
    width, height = COVER_SIZE[0] / dpi, COVER_SIZE[1] / dpi
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor=PAPER)
    canvas = FigureCanvasAgg(fig)  # a renderer to measure text with
    serif = FontProperties(fname=FONTS / "NotoSerif-Bold.ttf")
    sans = FontProperties(fname=FONTS / "NotoSans-Regular.ttf")

    left, top = 0.11, 0.76
    fig.patches.append(_bar(fig, left, top + 0.04, 0.16, 0.008))
    lines = "\n".join(textwrap.wrap(title, 16))
    heading = fig.text(left, top, lines, font=serif, size=40, color=INK, va="top", linespacing=1.1)
    if subtitle:
        # Measure the title as drawn and set the subtitle a line's gap below it.
        extent = heading.get_window_extent(renderer=canvas.get_renderer())
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


def _draw_script(path: Path, lines: tuple[str, str, str], language: str | None) -> None:
    """The web cover's layout (title, subtitle, footer) for a book not in English, drawn
    with Pillow: its text engine (Raqm) joins Arabic letters and sets them right to left,
    which matplotlib, the English cover's, cannot."""
    from PIL import Image, ImageDraw, ImageFont

    title, subtitle, footer = lines
    ink, paper, muted, accent = INK, PAPER, MUTED, ACCENT
    width, height = size = COVER_SIZE
    rtl = direction(language) == "rtl"
    text_dir = "rtl" if rtl else "ltr"
    lang = base_language(language)
    heading_face, text_face = COVER_FACES[script(language)]
    image = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(image)
    # The English cover's proportions (matplotlib's at 200 dpi), mirrored right to left.
    margin, measure = round(width * 0.11), round(width * 0.78)
    x = width - margin if rtl else margin
    anchor = "ra" if rtl else "la"

    def block(text: str, face: str, px: int, top: float, colour: str, *, leading: float) -> float:
        font = ImageFont.truetype(str(FONTS / face), px, layout_engine=ImageFont.Layout.RAQM)
        wrapped: list[str] = []
        for word in text.split():
            line = f"{wrapped[-1]} {word}" if wrapped else word
            fits = draw.textlength(line, font=font, direction=text_dir, language=lang)
            if wrapped and fits <= measure:
                wrapped[-1] = line
            else:
                wrapped.append(word)
        for line in wrapped:
            draw.text(
                (x, top), line, fill=colour, font=font, anchor=anchor,
                direction=text_dir, language=lang,
            )  # fmt: skip
            top += px * leading
        return top

    def bar(top: float, bar_width: int, bar_height: float, colour: str) -> None:
        left = width - margin - bar_width if rtl else margin
        draw.rectangle((left, top, left + bar_width, top + bar_height), fill=colour)

    bar(height * 0.192, round(width * 0.16), height * 0.008, accent)
    below = block(title, heading_face, 111, height * 0.24, ink, leading=1.25)
    if subtitle:
        block(subtitle, text_face, 42, below + height * 0.03, muted, leading=1.4)
    bar(height * 0.878, measure, max(2, height * 0.002), muted)
    block(footer, text_face, 36, height * 0.91, ink, leading=1.3)
    image.save(path, format="PNG")
