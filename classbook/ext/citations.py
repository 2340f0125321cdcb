"""Citations as input: a malformed ``{cite}`` role is the writer's mistake, told once with its line.

sphinxcontrib-bibtex stops the whole build with a Python error on an empty key (``{cite:p}`a,```),
and MyST shows an empty role as plain text. Before a document is parsed, each citation role is
checked; a malformed one is reported (file and line, what to do) and replaced by the citation the
writer meant (its keys on one line, stray commas dropped), followed by the same number of line
breaks, so parsing goes on, later checks see the intended keys (one message, not a cascade) and
line numbers stay true. An empty one becomes plain text. Unknown keys are reported by
sphinxcontrib-bibtex itself, with a hint added in :mod:`classbook.safety`.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from sphinx.util import logging

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

#: A citation role and its backtick-quoted keys; the keys may (wrongly) span lines.
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`(?P<keys>[^`]*)`")
#: An empty role: MyST reads ``{cite:p}``…`` as two backticks of code, so match it alone.
EMPTY_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}``(?!`)")
EXAMPLE = "{cite:p}`key1,key2`"


def problem(keys: str) -> str | None:
    """What is wrong with the text between a citation role's backticks, or None."""
    if not keys.strip():
        return f"an empty citation: write the BibTeX key(s) between the backticks, like {EXAMPLE}"
    if "\n" in keys:
        return (
            f"the citation's key list is broken over lines: keep it on one line, like {EXAMPLE} "
            "(your editor may wrap the line on screen, but not in the file)"
        )
    parts = keys.split(",")
    if any(not part.strip() for part in parts):
        return (
            f"the citation {keys!r} has an empty key (a stray comma): separate keys with one comma "
            f"each, like {EXAMPLE}"
        )
    if any(len(part.split()) > 1 for part in parts):
        return f"the citation {keys!r} separates keys with spaces: use commas, like {EXAMPLE}"
    return None


def check_citations(app: Sphinx, docname: str, source: list[str]) -> None:
    """Report each malformed citation role and neutralise it (a ``source-read`` handler)."""
    text = source[0]

    def refuse(match: re.Match[str], message: str) -> str:
        line = text.count("\n", 0, match.start()) + 1
        logger.warning(message, location=(docname, line), type="classbook", subtype="citation")
        whole = match.group(0)
        keys = [
            key for part in (match.groupdict().get("keys") or "").split(",") for key in part.split()
        ]
        role = whole[: whole.index("}") + 1]
        meant = f"{role}`{','.join(keys)}`" if keys else "(citation left out)"
        # Same number of line breaks, so every later line keeps its number.
        return meant + "\n" * whole.count("\n")

    def fix(match: re.Match[str]) -> str:
        message = problem(match["keys"])
        return match.group(0) if message is None else refuse(match, message)

    text = EMPTY_ROLE.sub(lambda m: refuse(m, problem("") or ""), text)
    source[0] = CITE_ROLE.sub(fix, text)


def memoise_pybtex_plugins() -> None:
    """Look each pybtex plugin up once per process.

    sphinxcontrib-bibtex finds a pybtex plugin for every citation it resolves, and pybtex
    scans the entry points of every installed package for each lookup: a book of 200
    chapters spent 5 s of each build on it. The installed plugins do not change during a
    build; a plugin not found is not remembered.
    """
    import pybtex.plugin

    load = pybtex.plugin._load_entry_point
    if not hasattr(load, "cache_info"):
        pybtex.plugin._load_entry_point = functools.lru_cache(maxsize=None)(load)


def setup(app: Sphinx) -> None:
    """Check citations before the parser (and sphinxcontrib-bibtex) sees them."""
    app.connect("source-read", check_citations)
    memoise_pybtex_plugins()
