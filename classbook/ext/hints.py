"""What to do, added to Sphinx's and MyST's own messages for common mistakes."""

from __future__ import annotations

import logging as pylogging
from typing import TYPE_CHECKING

from sphinx.util import logging

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Hints by (type, subtype) of the warning, or by the start of its text.
HINTS: dict[tuple[str, str] | str, str] = {
    ("ref", "ref"): "check the label's spelling; a label is the '(name)=' line above a heading",
    ("myst", "xref_missing"): "check the target's spelling: a label defined by a '(name)=' line",
    ("toc", "not_included"): (
        "list the document in a toctree (e.g. in book/index.md), or delete the file"
    ),
    ("toc", "no_title"): "give the document a '# Title' line, or remove it from the toctree",
    ("myst", "directive_unknown"): (
        "check the directive's spelling (e.g. source-text, editor-note, objectives, "
        "questions), or write the text without it"
    ),
    ("myst", "role_unknown"): (
        "check the role's spelling (e.g. {ref}, {term}, {cite:p}), or write the text without it"
    ),
    ("bibtex", "key_not_found"): (
        "check the key's spelling against the BibTeX file (bibtex_bibfiles in conf.py), or add "
        "an entry for the source there"
    ),
    ("image", "not_readable"): (
        "check the path: images live inside book/ and paths are relative to this file"
    ),
    '"raw" directive disabled': (
        "raw output is off in this book: write it in Markdown or with a MyST directive"
    ),
    "duplicate label": "rename one of the two '(name)=' labels; every label must be unique",
}


class HintFilter(pylogging.Filter):
    """Add a "what to do" line to warnings that say only what is wrong."""

    def filter(self, record: pylogging.LogRecord) -> bool:
        key = (getattr(record, "type", None) or "", getattr(record, "subtype", None) or "")
        hint = HINTS.get(key) if all(key) else None
        if hint is None:
            message = str(record.msg)
            hint = next(
                (h for k, h in HINTS.items() if isinstance(k, str) and message.startswith(k)),
                None,
            )
        if hint is not None and "what to do:" not in str(record.msg):
            record.msg = f"{record.msg} (what to do: {hint})"
        return True


def add_hints(app: Sphinx) -> None:
    """Attach the hint filter to this application's warning stream."""
    for handler in pylogging.getLogger(logging.NAMESPACE).handlers:
        if isinstance(handler, logging.WarningStreamHandler):
            handler.addFilter(HintFilter())


def setup(app: Sphinx) -> None:
    """Add the hints to this application's warnings."""
    add_hints(app)
