"""Any script: the book's language and writing direction, and our own words in it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx import locale
from sphinx.util.i18n import format_date as babel_date

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The message catalog of the pipeline's own words (classbook/locale/<lang>/LC_MESSAGES).
CATALOG = "classbook"
LOCALE_DIR = Path(__file__).parents[1] / "locale"
#: Languages written right to left (ISO 639 codes; a region such as ``ar_SY`` is ignored).
RTL_LANGUAGES = frozenset({"ar", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
#: The digits a language prints page and chapter numbers with (a CSS counter style);
#: every other language prints 0–9.
COUNTER_STYLES = {"ar": "arabic-indic", "fa": "persian", "ps": "persian"}
#: Scripts by the languages written in them, as far as the shipped faces go.
ARABIC_SCRIPT = frozenset({"ar", "ckb", "fa", "ps", "sd", "ug", "ur"})
HEBREW_SCRIPT = frozenset({"he", "yi"})

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


def counter_style(config: Config) -> str:
    """The CSS counter style of the book's page and chapter numbers."""
    return COUNTER_STYLES.get(base_language(config.language), "decimal")


def script(language: str | None) -> str:
    """The script a language is written in, as far as the shipped faces go."""
    base = base_language(language)
    return "arabic" if base in ARABIC_SCRIPT else "hebrew" if base in HEBREW_SCRIPT else "latin"


def setup(app: Sphinx) -> None:
    """Register the message catalog of our words."""
    # Sphinx merges every catalog it was given into one translator per process: a book
    # built after another in the same process must not inherit its language's words.
    locale.translators.pop(("general", CATALOG), None)
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
