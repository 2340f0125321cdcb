"""The claims register: each checked claim of the source, what the record shows, sources.

The data file (``classbook_claims_file``) is a YAML list of :class:`classbook.ext.schemas.Claim`
entries: the claim, what the record shows, a verdict and, for every source its editor's
note cites, a short verbatim quote with where it stands and where and when we read it. The
``{claims-register}`` directive renders it as a table (the teacher edition adds the quotes).
Once every document is read, each entry is checked against the book: the schema, its
chapter label, its words in that chapter's source text, BibTeX keys, and that the note
``note-<id>`` cites exactly the sources the entry has evidence from. A problem is a warning
that names the data file (or the chapter) and the line, so ``-W`` fails the build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from classbook.ext import schemas, yamldata
from classbook.ext.datafiles import (
    Cell,
    call_role,
    data_path,
    load,
    make_table,
    note_dependencies,
)

if TYPE_CHECKING:
    from docutils.nodes import Node
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

HEADERS = (
    "Claim (as quoted in the source)",
    "Chapter",
    "What the record shows",
    "Reported by",
    "Verdict",
    "Sources",
)
#: Relative column widths; the record needs the most room.
WIDTHS = (18, 13, 30, 14, 13, 12)

#: The per-document record of the registers each document renders (classbook.ext.stores).
STORE = "classbook_registers"


# -- The register --------------------------------------------------------------------------


class ClaimsRegister(SphinxDirective):
    """Render the claims register as a table; the data are checked once all docs are read."""

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "file": directives.unchanged_required,
        "caption": directives.unchanged,
    }

    def run(self) -> list[Node]:
        if (found := data_path(self, "classbook_claims_file")) is None:
            return []
        relative, path = found
        note_dependencies(self, path)
        getattr(self.env, STORE).setdefault(self.env.docname, []).append((self.lineno, relative))
        claims = read_claims(self.env, path)
        rows = [self._row(claim) for claim in claims]
        caption = self.options.get("caption") or (
            "Claims register: each claim of the source text we checked, what the public "
            "record shows, and our verdict"
        )
        table = make_table(caption, HEADERS, WIDTHS, rows, classes=["claims-register"])
        self.set_source_info(table)
        if self.config.classbook_edition != "teacher":
            return [table]
        return [table, self._evidence(claims)]

    def _row(self, claim: schemas.Claim) -> list[Cell]:
        words = nodes.inline(claim.claim, claim.claim, classes=["claim-words"])
        return [
            [words],
            call_role(self, "std", "ref", claim.chapter),
            " ".join(claim.record.split()),
            " ".join(claim.reported_by.split()),
            [verdict_node(claim)],
            call_role(self, "cite", "p", ",".join(claim.sources)),
        ]

    def _evidence(self, claims: Sequence[schemas.Claim]) -> nodes.Element:
        """The evidence quotes, claim by claim (teacher edition only)."""
        block = nodes.container(classes=["claims-evidence"])
        title = "Evidence for each claim (teacher edition)"
        block += nodes.rubric(title, title)
        for claim in claims:
            head = nodes.paragraph(classes=["evidence-claim"])
            head += nodes.inline(claim.claim, f"\u201c{claim.claim}\u201d", classes=["claim-words"])
            head += nodes.Text(" \u2014 ")
            head += verdict_node(claim)
            block += head
            block += evidence_list(self, claim)
        return block


def verdict_node(claim: schemas.Claim) -> nodes.strong:
    """The verdict as a word (with a class per verdict for the style sheets)."""
    text = claim.verdict_text
    return nodes.strong(text, text, classes=["verdict", f"verdict-{claim.verdict}"])


def evidence_list(directive: SphinxDirective, claim: schemas.Claim) -> nodes.bullet_list:
    """One item per evidence quote: the words, the source, where it stands, how we read it."""
    items = nodes.bullet_list(classes=["evidence"])
    for item in claim.evidence:
        entry = nodes.list_item()
        paragraph = nodes.paragraph()
        paragraph += nodes.inline(item.quote, f"\u201c{item.quote}\u201d", classes=["quote"])
        paragraph += nodes.Text(" \u2014 ")
        paragraph += call_role(directive, "cite", "p", item.source)
        read = item.read_on.strftime("%d %B %Y").lstrip("0")
        copy = f"; read in a reprint: {item.reprint}" if item.reprint else ""
        paragraph += nodes.Text(f", {item.where} (read on {read}{copy}).")
        entry += paragraph
        items += entry
    return items


#: Claims files read, by their identity: every editor's note looks its entry up, and a
#: book with a note per chapter would parse the whole register once per note.
_CLAIMS: dict[tuple[Any, ...], list[schemas.Claim]] = {}


def read_claims(env: BuildEnvironment, path: Path) -> list[schemas.Claim]:
    """The well-formed entries of a claims file (the whole-book check reports the others);
    read once per version of the file (callers must not change the list)."""
    version = yamldata.identity(path)
    if version is None:  # unreadable: yamldata reports it; nothing to remember
        return _valid_claims(env, path)
    key = (*version, env.srcdir)
    if key not in _CLAIMS:
        _CLAIMS[key] = _valid_claims(env, path)
    return _CLAIMS[key]


def _valid_claims(env: BuildEnvironment, path: Path) -> list[schemas.Claim]:
    valid, _problems = schemas.validate(schemas.Claim, load(env, path).records, {})
    return [claim for _record, claim in valid]


def setup(app: Sphinx) -> None:
    """Register the directive."""
    app.add_directive("claims-register", ClaimsRegister)
