"""The claims register: each checked claim of the source, what the record shows, sources.

The data file (``classbook_claims_file``) is a YAML list; the ``{claims-register}``
directive renders it as a table. Once every document is read, each entry is checked
against the book: its chapter label must exist, its words must stand in that chapter's
source text, and each source must be a BibTeX key. A problem is a warning that names
the data file and the entry's line, so ``-W`` fails the build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from classbook import yamldata
from classbook.source import normalise

if TYPE_CHECKING:
    from docutils.nodes import Node
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: Status words, as the register prints them: words, never colour alone.
STATUSES = {
    "supported": "Supported",
    "disputed": "Disputed",
    "unverified": "Unverified",
    "corrected": "Corrected",
}
REQUIRED = ("id", "chapter", "claim", "record", "reported_by", "status", "sources")
HEADERS = (
    "Claim (as quoted in the source)",
    "Chapter",
    "What the record shows",
    "Reported by",
    "Status",
    "Sources",
)
#: Relative column widths; the record needs the most room.
WIDTHS = (18, 13, 30, 14, 13, 12)

_STORE = "classbook_registers"


# -- Shared helpers (the timeline uses them too) -----------------------------------------


def known_keys(env: BuildEnvironment) -> tuple[Any, list[str]]:
    """The BibTeX entries sphinxcontrib-bibtex read, and the names of its .bib files."""
    bibdata = env.domains["cite"].bibdata  # type: ignore[attr-defined]
    return bibdata.data.entries, [Path(name).name for name in bibdata.bibfiles]


def source_problems(value: Any, entries: Any, bibfiles: Sequence[str]) -> list[str]:
    """What is wrong with a ``sources`` value: missing, empty, or naming unknown keys."""
    if value is None or value == []:
        return ["has no sources; list at least one BibTeX key under 'sources'"]
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        return ["'sources' must be a list of BibTeX keys, like [key1, key2]"]
    return [
        f"cites '{key}', which is not a key in {', '.join(bibfiles) or 'the BibTeX files'}"
        for key in value
        if key not in entries
    ]


def data_path(directive: SphinxDirective, config_name: str) -> tuple[str, Path]:
    """The data file a directive names (``:file:``, relative to the source folder)."""
    relative = directive.options.get("file") or getattr(directive.config, config_name)
    return relative, Path(directive.env.srcdir, relative).resolve()


def note_dependencies(directive: SphinxDirective, path: Path) -> None:
    """Re-read the page when its data file or a BibTeX file changes."""
    directive.env.note_dependency(str(path))
    for bibfile in directive.env.domains["cite"].bibdata.bibfiles:  # type: ignore[attr-defined]
        directive.env.note_dependency(str(bibfile))


def call_role(directive: SphinxDirective, domain: str, role: str, target: str) -> list[Node]:
    """The nodes a role such as ``{cite:p}`` makes, in either MyST or reST documents."""
    function = directive.env.domains[domain].role(role)
    if function is None:  # pragma: no cover - both domains always define these roles
        return [nodes.Text(target)]
    name = f"{domain}:{role}"
    made, messages = function(
        name, f":{name}:`{target}`", target, directive.lineno, directive.state.inliner, {}, []
    )
    return [*made, *messages]


Cell = str | Sequence["Node"]


def make_table(
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[Cell]],
    classes: Sequence[str] = (),
) -> nodes.table:
    """An accessible table: a caption, a header row, and the first column as row headers."""
    # The full width, so that the given column widths hold in narrow web layouts too.
    table = nodes.table(classes=["colwidths-given", *classes], width="100%")
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for number, width in enumerate(widths):
        group += nodes.colspec(colwidth=width, stub=1 if number == 0 else 0)
    head = nodes.thead()
    group += head
    head += _row(list(headers))
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, str):
            entry += nodes.paragraph(cell, cell)
        else:
            paragraph = nodes.paragraph()
            for node in cell:
                block = isinstance(node, (nodes.Body, nodes.system_message))
                (entry if block else paragraph).append(node)
            if paragraph.children:
                entry.insert(0, paragraph)
        row += entry
    return row


def report(path: Path, srcdir: Path, line: int, what: str, message: str) -> None:
    """One warning naming the data file and line: ``… (_data/claims.yml, line 12): …``."""
    logger.warning(
        "%s (%s): %s",
        what,
        yamldata.describe(path, srcdir, line),
        message,
        location=yamldata.where(path, line),
    )


# -- The register --------------------------------------------------------------------------


class ClaimsRegister(SphinxDirective):
    """Render the claims register as a table; the data are checked once all docs are read."""

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {  # type: ignore[misc]
        "file": directives.unchanged_required,
        "caption": directives.unchanged,
    }

    def run(self) -> list[Node]:
        relative, path = data_path(self, "classbook_claims_file")
        note_dependencies(self, path)
        getattr(self.env, _STORE).setdefault(self.env.docname, []).append((self.lineno, relative))
        data = yamldata.load(path)
        rows = [self._row(record) for record in data.records]
        caption = self.options.get("caption") or (
            "Claims register: each claim of the source text we checked, what the public "
            "record shows, and its status"
        )
        table = make_table(caption, HEADERS, WIDTHS, rows, classes=["claims-register"])
        self.set_source_info(table)
        return [table]

    def _row(self, record: yamldata.Record) -> list[Cell]:
        def text(key: str) -> str:
            value = record.get(key)
            return " ".join(str(value).split()) if value is not None else ""

        status_key = text("status").lower()
        status_word = STATUSES.get(status_key, text("status"))
        status = nodes.strong(status_word, status_word, classes=["status", f"status-{status_key}"])
        chapter = text("chapter")
        sources = record.get("sources")
        keys = [k for k in sources if isinstance(k, str)] if isinstance(sources, list) else []
        claim = nodes.inline(text("claim"), text("claim"), classes=["claim-words"])
        return [
            [claim],
            call_role(self, "std", "ref", chapter) if chapter else "",
            text("record"),
            text("reported_by"),
            [status],
            call_role(self, "cite", "p", ",".join(keys)) if keys else "",
        ]


def validate(
    data: yamldata.DataFile,
    srcdir: Path,
    *,
    entries: Any,
    bibfiles: Sequence[str],
    chapters: dict[str, str | None],
    texts: dict[str, str],
) -> None:
    """Warn about every problem of the register ``data``.

    ``chapters`` maps each label to its document (None: the label is not a chapter);
    ``texts`` maps each chapter document to its source text, normalised.
    """
    path = data.path
    for line, message in data.problems:
        report(path, srcdir, line, "claims register", message)
    seen: dict[str, int] = {}
    for record in data.records:
        ident = record.get("id")
        what = f"claims register entry '{ident}'" if ident else "claims register entry"
        for problem_line, message in _entry_problems(record, entries, bibfiles, chapters, texts):
            report(path, srcdir, problem_line, what, message)
        if isinstance(ident, str):
            if ident in seen:
                report(
                    path,
                    srcdir,
                    record.line,
                    what,
                    f"the id is already used by the entry on line {seen[ident]}",
                )
            seen.setdefault(ident, record.line)


def _entry_problems(
    record: yamldata.Record,
    entries: Any,
    bibfiles: Sequence[str],
    chapters: dict[str, str | None],
    texts: dict[str, str],
) -> Iterable[tuple[int, str]]:
    for key in REQUIRED:
        value = record.get(key)
        if key != "sources" and (value is None or not str(value).strip()):
            yield record.line, f"'{key}' is missing; every entry needs {', '.join(REQUIRED)}"
    for key in record:
        if key not in REQUIRED:
            yield record.line_of(key), f"unknown key '{key}'; the keys are {', '.join(REQUIRED)}"

    status = record.get("status")
    if status is not None and str(status) not in STATUSES:
        yield (
            record.line_of("status"),
            f"status '{status}' is not one of {', '.join(STATUSES)}",
        )
    for message in source_problems(record.get("sources"), entries, bibfiles):
        yield record.line_of("sources"), message

    label, claim = record.get("chapter"), record.get("claim")
    if label is None or not str(label).strip():
        return
    # Sphinx keeps labels in lower case, as the {ref} role looks them up.
    label = str(label).lower()
    if label not in chapters:
        yield (
            record.line_of("chapter"),
            f"chapter '{label}' is not a label in the book; use the label on the chapter's "
            f"'({label})=' line, such as {_examples(chapters)}",
        )
        return
    docname = chapters[label]
    if docname is None:
        yield (
            record.line_of("chapter"),
            f"'{label}' labels a page with no source text; name a chapter such as "
            f"{_examples(chapters)}",
        )
        return
    if claim is not None and str(claim).strip() and normalise(str(claim)) not in texts[docname]:
        yield (
            record.line_of("claim"),
            f"the claim {str(claim)!r} is not in the source text of chapter '{label}' "
            f"({docname}); quote the source's words exactly",
        )


def _examples(chapters: dict[str, str | None]) -> str:
    names = sorted(label for label, doc in chapters.items() if doc is not None)
    return ", ".join(f"'{name}'" for name in names[:4]) + (", …" if len(names) > 4 else "")


def check(app: Sphinx, env: BuildEnvironment) -> None:
    """Validate every register the book renders against the whole, read book."""
    stores = getattr(env, _STORE, {})
    if not stores:
        return
    source_texts = getattr(env, "classbook_source_texts", {})
    texts = {
        docname: normalise(" ".join(p for _line, paragraphs in blocks for p in paragraphs))
        for docname, blocks in source_texts.items()
        if blocks
    }
    chapters: dict[str, str | None] = {
        label: (docname if docname in texts else None)
        for label, (docname, _anchor, _title) in env.domains.standard_domain.labels.items()
    }
    entries, bibfiles = known_keys(env)
    checked: set[str] = set()
    for docname in sorted(stores):
        for _line, relative in stores[docname]:
            path = Path(env.srcdir, relative).resolve()
            if str(path) in checked:
                continue
            checked.add(str(path))
            validate(
                yamldata.load(path),
                Path(env.srcdir),
                entries=entries,
                bibfiles=bibfiles,
                chapters=chapters,
                texts=texts,
            )


# -- Environment bookkeeping ----------------------------------------------------------------


def init_store(name: str) -> Callable[..., None]:
    """An ``env-before-read-docs`` handler that makes sure the env has store ``name``."""

    def handler(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        if not hasattr(env, name):
            setattr(env, name, {})

    return handler


def purge_store(name: str) -> Callable[..., None]:
    """An ``env-purge-doc`` handler for store ``name``."""

    def handler(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        getattr(env, name, {}).pop(docname, None)

    return handler


def merge_store(name: str) -> Callable[..., None]:
    """An ``env-merge-info`` handler (parallel reads) for store ``name``."""

    def handler(
        app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
    ) -> None:
        mine = getattr(env, name)
        theirs = getattr(other, name, {})
        for docname in docnames:
            if docname in theirs:
                mine[docname] = theirs[docname]

    return handler


def setup(app: Sphinx) -> None:
    """Register the directive, its configuration and the whole-book check."""
    app.add_config_value("classbook_claims_file", "_data/claims.yml", "env", str)
    app.add_directive("claims-register", ClaimsRegister)
    app.connect("env-before-read-docs", init_store(_STORE))
    app.connect("env-purge-doc", purge_store(_STORE))
    app.connect("env-merge-info", merge_store(_STORE))
    app.connect("env-check-consistency", check)
