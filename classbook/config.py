"""Every ``classbook_*`` setting of ``conf.py`` in one table: name, default, type, help, check.

The table is registered with Sphinx in one loop (:func:`register`), checked in one place
when the configuration is read (:func:`check`: a wrong type or value is one message naming
the setting and what to give), and the configuration reference in ``docs/configuration.md``
is generated from it (``python -m classbook.config > docs/configuration.md``; a test keeps
them the same).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from classbook.gate import MAX_FILE_BYTES, MAX_TEXT_BYTES
from classbook.outputs import PAPER_SIZES

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: Default of ``classbook_max_paragraph``: longer paragraphs are a pasting accident.
MAX_PARAGRAPH = 20_000


@dataclass(frozen=True)
class Setting:
    """One setting: its default (or a function of the configuration that gives it), what
    Sphinx rebuilds when it changes, its type, what it is for, and a check of its value
    that says what is wrong (None: it is fine)."""

    name: str
    default: Any
    type: type
    help: str
    rebuild: Literal["", "env", "html"] = "env"  # those of Sphinx's kinds the table uses
    choices: tuple[str, ...] = ()
    check: Callable[[Any, Config], str | None] | None = None

    @property
    def shown_default(self) -> str:
        if callable(self.default):
            return "from `project`"
        return f"`{self.default!r}`"


def _positive(value: Any, config: Config) -> str | None:
    return None if value > 0 else "give a number above 0"


def _not_negative(value: Any, config: Config) -> str | None:
    return None if value >= 0 else "give 0 (from the book's length) or a number of digits"


def _macros(value: Any, config: Config) -> str | None:
    for name, expansion in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"\\?[A-Za-z]+", name):
            return f"{name!r} is not a command's name: give letters, as 'R' for \\R"
        if not isinstance(expansion, str) or not expansion.strip():
            return f"give {name!r} its TeX, a string (#1, #2 for its arguments)"
    return None


def _papers(value: Any, config: Config) -> str | None:
    unknown = [paper for paper in value if paper not in PAPER_SIZES]
    if not value or unknown:
        return f"give one or more of {', '.join(map(repr, PAPER_SIZES))}"
    return None


def _page_numbers(value: Any, config: Config) -> str | None:
    papers = list(config.classbook_paper_sizes)
    if value and value not in papers:
        return (
            f"it is not one of classbook_paper_sizes ({', '.join(map(repr, papers))}); name "
            "the paper whose page numbers the EPUB and the web site carry, or '' for none"
        )
    return None


SETTINGS: tuple[Setting, ...] = (
    # -- The book -----------------------------------------------------------------------
    Setting(
        "classbook_slug",
        lambda config: config.project.lower().replace(" ", "-"),
        str,
        "The book's short name: its PDFs' file names (`<slug>-a4.pdf`).",
    ),
    Setting("classbook_publisher", "", str, "Who publishes the book (cover, title page, PDFs)."),
    Setting("classbook_subtitle", "", str, "The book's subtitle (cover, title page)."),
    Setting("classbook_description", "", str, "One or two sentences on the book (about page)."),
    Setting("classbook_license", "", str, "The licence of our additions, e.g. `CC BY 4.0`."),
    Setting("classbook_license_url", "", str, "The address of that licence's text."),
    Setting(
        "classbook_repository_url",
        "",
        str,
        "The book's public repository: adds the repository, source and edit buttons.",
        rebuild="html",
    ),
    # -- The source and our additions ---------------------------------------------------
    Setting(
        "classbook_source_document",
        "",
        str,
        "The source document, relative to the book folder (`_source/x.txt`); every build "
        "compares each chapter's `source-text` with it.",
    ),
    Setting(
        "classbook_source_title",
        "",
        str,
        "How the fact-check markup (ClaimReview) names the source document.",
    ),
    Setting(
        "classbook_content_note_doc",
        "",
        str,
        "The document holding the content note, printed on each handout's first page.",
    ),
    Setting(
        "classbook_undescribed_images",
        "refuse",
        str,
        "An image without alt text: `refuse` fails the build naming it; `leave-out` (what "
        "new-book writes) builds without it, a note in its place and a line naming it, until "
        "its description is written. No output ever shows it without one.",
        choices=("refuse", "leave-out"),
    ),
    Setting(
        "classbook_claims_file",
        "_data/claims.yml",
        str,
        "The claims register (evidence for every editor's note), relative to the book folder.",
    ),
    Setting(
        "classbook_timeline_file",
        "_data/timeline.yml",
        str,
        "The timeline's events, relative to the book folder.",
    ),
    Setting(
        "classbook_assignments",
        "assignments",
        str,
        "The folder of assignment files (one packet each), relative to the book folder.",
        rebuild="",
    ),
    Setting(
        "classbook_edition",
        "student",
        str,
        "Which edition this parse is; set by `-t teacher` in `conf.py`, not by hand.",
        choices=("student", "teacher"),
    ),
    # -- Print ----------------------------------------------------------------------------
    Setting(
        "classbook_paper_sizes",
        ["a4", "letter"],
        list,
        "The papers every PDF is made on.",
        check=_papers,
    ),
    Setting(
        "classbook_default_paper",
        "a4",
        str,
        "The paper of a packet whose file says none.",
        choices=tuple(PAPER_SIZES),
    ),
    Setting(
        "classbook_page_numbers",
        "a4",
        str,
        "The book PDF whose page numbers the EPUB and the web site carry ('' for none).",
        check=_page_numbers,
    ),
    Setting("classbook_print_theme", "print", str, "The print theme (Sphinx theme name)."),
    Setting(
        "classbook_render_timeout",
        300,
        int,
        "Seconds one PDF's layout may take before the build gives up, naming it.",
        check=_positive,
    ),
    Setting(
        "classbook_pdf_part_words",
        6000,
        int,
        "The book PDF is laid out in parts of about this many words, side by side.",
        check=_positive,
    ),
    Setting(
        "classbook_pdf_page_digits",
        0,
        int,
        "Digits of the book PDF's page numbers (0: from the book's length).",
        check=_not_negative,
    ),
    Setting(
        "classbook_math_macros",
        {},
        dict,
        "The book's own TeX commands, for every formula: name → TeX, with #1, #2 for its "
        "arguments (`{'R': r'\\mathbb{R}', 'liff': r'\\quad\\iff\\quad'}`), as MathJax's "
        "`macros` or LaTeX's `\\newcommand`.",
        check=_macros,
    ),
    Setting(
        "classbook_formula_cache",
        "",
        str,
        "Folder of converted formulas kept between builds (empty: `.cache/formulas` beside "
        "the output folder; `python -m classbook build` uses `_build/.cache/formulas`).",
        rebuild="",
    ),
    # -- Limits (docs/security.md) --------------------------------------------------------
    Setting(
        "classbook_max_paragraph",
        MAX_PARAGRAPH,
        int,
        "Characters a paragraph may have (a longer one is a pasting accident).",
        check=_positive,
    ),
    Setting(
        "classbook_max_text_bytes",
        MAX_TEXT_BYTES,
        int,
        "Bytes a text file of the book may have: a chapter, an included file, a data or "
        "BibTeX file (and what a BibTeX value may expand to).",
        check=_positive,
    ),
    Setting(
        "classbook_max_file_bytes",
        MAX_FILE_BYTES,
        int,
        "Bytes any other file of the book may have (an image, a download).",
        check=_positive,
    ),
)


def register(app: Sphinx) -> None:
    """Register every setting with Sphinx."""
    from sphinx.config import ENUM

    for setting in SETTINGS:
        kind = ENUM(*setting.choices) if setting.choices else frozenset({setting.type})
        app.add_config_value(
            setting.name, setting.default, setting.rebuild, kind, description=setting.help
        )


def problems(config: Config) -> list[str]:
    """What is wrong with the settings' values in ``config``, one message each."""
    found = []
    for setting in SETTINGS:
        value = getattr(config, setting.name)
        wrong = None
        if not isinstance(value, setting.type) or isinstance(value, bool) != (setting.type is bool):
            wrong = f"give a {setting.type.__name__}"
        elif setting.choices and value not in setting.choices:
            wrong = f"give one of {', '.join(map(repr, setting.choices))}"
        elif setting.check is not None:
            wrong = setting.check(value, config)
        if wrong is not None:
            found.append(f"conf.py: {setting.name} = {value!r}: {wrong}")
    return found


def check(app: Sphinx, config: Config) -> None:
    """Stop at once on a wrong setting: named in conf.py, not inside a worker later."""
    from sphinx.errors import ConfigError

    if found := problems(config):
        raise ConfigError("; ".join(found))


def reference() -> str:
    """The configuration reference (``docs/configuration.md``), from the table."""
    lines = [
        "# Configuration reference",
        "",
        "Every `classbook_*` setting a book's `conf.py` may set. This page is generated from",
        "the table in `classbook/config.py` (`python -m classbook.config > "
        "docs/configuration.md`);",
        "a test keeps the two the same. A wrong type or value stops the build at once with",
        "one message naming the setting.",
        "",
        "| Setting | Default | Type | What it is for |",
        "|---|---|---|---|",
    ]
    for setting in SETTINGS:
        kind = " or ".join(f"`{c!r}`" for c in setting.choices) or setting.type.__name__
        lines.append(f"| `{setting.name}` | {setting.shown_default} | {kind} | {setting.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")  # noqa: T201 - the command's output is the page
