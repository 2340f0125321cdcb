"""Any script: the book's language and writing direction, print fonts and our own words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import format_date as babel_date

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.config import Config

#: The message catalog of the pipeline's own words (classbook/locale/<lang>/LC_MESSAGES).
CATALOG = "classbook"
LOCALE_DIR = Path(__file__).parents[1] / "locale"
#: Languages written right to left (ISO 639 codes; a region such as ``ar_SY`` is ignored).
RTL_LANGUAGES = frozenset({"ar", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
#: The digits a language prints page and chapter numbers with (a CSS counter style);
#: every other language prints 0–9.
COUNTER_STYLES = {"ar": "arabic-indic", "fa": "persian", "ps": "persian"}
#: The print theme's stylesheet for books not in English: fonts and direction by language.
SCRIPTS_CSS = Path(__file__).parents[1] / "themes" / "print" / "static" / "scripts.css"
#: The generated stylesheet of a print build with the words CSS prints (in its outdir).
LANGUAGE_CSS = "classbook-language.css"

_ = locale.get_translation(CATALOG)


def base_language(language: str | None) -> str:
    """``ar`` for ``ar``, ``ar_SY`` or ``ar-SY``; ``en`` when no language is set."""
    return re.split(r"[-_]", language or "en")[0].lower()


def direction(language: str | None) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    return "rtl" if base_language(language) in RTL_LANGUAGES else "ltr"


def is_english(language: str | None) -> bool:
    """Whether the book is in English, the language of our own words as written."""
    return base_language(language) == "en"


def gettext(message: str) -> str:
    """``message`` in the book's language (as written when the catalog lacks it)."""
    return str(_(message))


def format_date(date: dt.datetime, language: str | None) -> str:
    """The edition's date as a reader of the book's language writes it."""
    if is_english(language):
        return date.strftime("%d %B %Y").lstrip("0")
    return babel_date("%-d %B %Y", date=date, language=language or "en")


# -- Our words in the doctree --------------------------------------------------------------

#: The headings and lead-ins the directives write in English, translated once read.
DIRECTIVE_WORDS = (
    "Learning objectives",
    "Discussion questions",
    "Editor's note",
    "The source says: ",
    "Our verdict: ",
    "Evidence (teacher edition)",
    "For teachers",
)


class TranslateDirectiveWords(SphinxTransform):
    """Put the directives' own headings and lead-ins in the book's language."""

    # After the directives ran, before anything reads the titles.
    default_priority = 200

    def apply(self, **kwargs: Any) -> None:
        if is_english(self.config.language):
            return
        # Imported here: classbook.nodes imports this module for its own words.
        from classbook.ext import nodes as cb_nodes

        editorial = (cb_nodes.editorial, cb_nodes.editor_note)
        for block in self.document.findall(lambda node: isinstance(node, editorial)):
            if "title" in block:
                block["title"] = gettext(block["title"])
            for text in list(block.findall(nodes.Text)):
                if str(text) in DIRECTIVE_WORDS and isinstance(
                    text.parent, (nodes.rubric, nodes.paragraph)
                ):
                    text.parent.replace(text, nodes.Text(gettext(str(text))))


# -- Print: the words and digits CSS prints ------------------------------------------------


def css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def css_content(message: str, **counters: str) -> str:
    """A CSS ``content`` value: ``message`` translated, its ``{name}`` fields the given
    counters (``Page {page} of {pages}``, ``page=counter(page)``)."""
    parts = re.split(r"\{(\w+)\}", gettext(message))
    values = [counters[part] if i % 2 else css_string(part) for i, part in enumerate(parts)]
    return " ".join(value for value in values if value != '""')


def language_css(config: Config) -> str:
    """The print rules that print our words and numbers in the book's language."""
    style = counter_style(config)
    page = f"counter(page, {style})"
    chapter = css_content("Chapter {number}", number=f"counter(chapter, {style})")
    handout_page = css_content(
        "Page {page} of {pages}", page=page, pages=f"counter(pages, {style})"
    )
    rtl = direction(config.language) == "rtl"
    # Margin boxes are physical: a right-to-left page starts its running head on the right.
    start, end = ("right", "left") if rtl else ("left", "right")
    return "\n".join(
        [
            f"/* Generated by classbook.scripts for language {config.language!r}. */",
            "@page {",
            f"  @top-{start} {{ content: string(book-title); font: 8.5pt var(--sans);"
            " color: var(--muted); }",
            f"  @top-{end} {{ content: string(chapter); font: 8.5pt var(--sans);"
            " color: var(--muted); }",
            "}",
            f"@page front {{ @top-{start} {{ content: none; }} @top-{end} {{ content: none; }} }}",
            f"@page :blank {{ @top-{start} {{ content: none; }} @top-{end} {{ content: none; }} }}",
            "@page handout {",
            f"  @bottom-{start} {{ content: element(footer); width: 75%; }}",
            f"  @bottom-{end} {{ content: {handout_page};"
            " font: 9pt var(--sans); color: var(--muted); }",
            "}",
            f"body.book section.chapter > h2::before {{ content: {chapter}; }}",
            "",
        ]
    )


#: The generated stylesheet of a book's parts: page-number placeholders (in its outdir).
PARTS_CSS = "classbook-parts.css"


def counter_style(config: Config) -> str:
    """The CSS counter style of the book's page and chapter numbers."""
    return COUNTER_STYLES.get(base_language(config.language), "decimal")


def parts_css(config: Config, placeholder: str) -> str:
    """The book's page numbers as ``placeholder`` (zeros): a part is laid out before the
    pages of the parts before it are known, and classbook.render.merge writes the numbers.
    Every number has the placeholder's width, so the layout does not depend on them."""
    zeros = css_string(placeholder)
    see_page = css_content(" (see p. {page})", page=zeros)
    xref = 'body.book main a.reference.internal[href^="classbook-xref:'
    return "\n".join(
        [
            f"/* Generated by classbook.scripts: page numbers of a book part ({placeholder}). */",
            f"@page {{ @bottom-center {{ content: {zeros}; }} }}",
            # WeasyPrint lays out, draws and tags a leader's string once per repeat: four
            # periods, not dotted's one, make the contents of a 200-chapter book 2.4 times
            # faster and 50 MB lighter to lay out; the dots keep a grid from the right edge.
            f'.print-toc a::after {{ content: leader("....") " " {zeros}; }}',
            f'{xref}"]::after {{ content: {see_page}; }}',
            f'{xref}document-"]::after,',
            # A toctree list left in print (the documents are inlined): no page to see; a
            # citation names its source and a glossary term itself, found by name in the
            # bibliography and the glossary.
            f'{xref}term-"]::after,',
            "body.book main .toctree-wrapper > ul a.reference.internal::after,",
            "body.book main .bibtex-citation a.reference.internal::after { content: none; }",
            "",
        ]
    )


def write_generated(builder: Builder, name: str, text: str) -> Path:
    """``_static/<name>`` of the builder's outdir with ``text``, rewritten only on a change
    (its bytes are in the render cache's key)."""
    generated = Path(builder.outdir, "_static", name)
    if not generated.is_file() or generated.read_text(encoding="utf-8") != text:
        generated.parent.mkdir(parents=True, exist_ok=True)
        generated.write_text(text, encoding="utf-8")
    return generated


def print_stylesheets(builder: Builder) -> list[Path]:
    """The stylesheets a print build adds to the theme's for the book's language: none for
    English (its pages stay exactly as they were), else the scripts' fonts and direction
    and the generated words."""
    if is_english(builder.config.language):
        return []
    return [SCRIPTS_CSS, write_generated(builder, LANGUAGE_CSS, language_css(builder.config))]


# -- The cover ----------------------------------------------------------------------------

FONTS = Path(__file__).parents[1] / "themes" / "print" / "static" / "fonts"
#: The cover's faces (title, other lines) by script.
COVER_FACES = {
    "arabic": ("NotoNaskhArabic-Bold.ttf", "NotoSansArabic-Regular.ttf"),
    "hebrew": ("NotoSerifHebrew-Bold.ttf", "NotoSansHebrew-Regular.ttf"),
    "latin": ("NotoSerif-Bold.ttf", "NotoSans-Regular.ttf"),
}
ARABIC_SCRIPT = frozenset({"ar", "ckb", "fa", "ps", "sd", "ug", "ur"})
HEBREW_SCRIPT = frozenset({"he", "yi"})


def script(language: str | None) -> str:
    """The script a language is written in, as far as the shipped faces go."""
    base = base_language(language)
    return "arabic" if base in ARABIC_SCRIPT else "hebrew" if base in HEBREW_SCRIPT else "latin"


def draw_cover(
    path: Path,
    lines: tuple[str, str, str],
    language: str | None,
    size: tuple[int, int],
    colours: tuple[str, str, str, str],
) -> None:
    """The web cover's layout (title, subtitle, footer) for a book not in English, drawn
    with Pillow: its text engine (Raqm) joins Arabic letters and sets them right to left,
    which matplotlib, the English cover's, cannot."""
    from PIL import Image, ImageDraw, ImageFont

    title, subtitle, footer = lines
    ink, paper, muted, accent = colours
    width, height = size
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


# -- Web pages -----------------------------------------------------------------------------

_HTML_ROOT = re.compile(r"<html(?=[\s>])(?![^>]*\sdir=)")


def with_direction(render: Callable[[str, dict[str, Any]], str]) -> Callable[..., str]:
    """``render`` whose pages' root element also says the writing direction."""

    def render_rtl(template: str, context: dict[str, Any]) -> str:
        return _HTML_ROOT.sub('<html dir="rtl"', render(template, context), count=1)

    return render_rtl


def configure_builder(app: Sphinx) -> None:
    """Right-to-left web pages say so on their root element."""
    builder = app.builder
    templates = getattr(builder, "templates", None)
    # The web theme writes <html lang> itself, with no dir and no hook for one; the print
    # layout and the EPUB builder write dir on their own root elements.
    if direction(app.config.language) == "rtl" and builder.name in {"html", "dirhtml"}:
        templates.render = with_direction(templates.render)  # type: ignore[union-attr]


def add_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Templates get the writing direction and our words in the book's language."""
    context["classbook_dir"] = direction(app.config.language)
    context["classbook_gettext"] = gettext


def setup(app: Sphinx) -> None:
    """Register the message catalog, the directive words' transform and the page hooks."""
    # Sphinx merges every catalog it was given into one translator per process: a book
    # built after another in the same process must not inherit its language's words.
    locale.translators.pop(("general", CATALOG), None)
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
    app.add_transform(TranslateDirectiveWords)
    app.connect("builder-inited", configure_builder)
    app.connect("html-page-context", add_page_context)
