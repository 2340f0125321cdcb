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

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from classbook.ext import safety, schemas, yamldata
from classbook.sources import normalise

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

_STORE = "classbook_registers"


# -- Shared helpers (the timeline uses them too) -----------------------------------------


def known_keys(env: BuildEnvironment) -> tuple[Any, list[str]]:
    """The BibTeX entries sphinxcontrib-bibtex read, and the names of its .bib files."""
    bibdata = env.domains["cite"].bibdata  # type: ignore[attr-defined]
    return bibdata.data.entries, [Path(name).name for name in bibdata.bibfiles]


def data_path(directive: SphinxDirective, config_name: str) -> tuple[str, Path] | None:
    """The data file a directive names (``:file:``, relative to the source folder), or None
    when the book's gate refuses it (a warning at the directive says why); read it with
    :func:`load`."""
    relative = directive.options.get("file") or getattr(directive.config, config_name)
    path = Path(directive.env.srcdir, relative)
    try:
        safety.book_gate(directive.env).admit(path, what="data file")
    except FileNotFoundError:
        pass  # load() says so, naming the file
    except OSError as error:
        logger.warning(
            "%s: %s", directive.name, error, location=directive.get_location(),
            type="classbook", subtype="content",
        )  # fmt: skip
        return None
    return relative, path


def load(env: BuildEnvironment, path: Path) -> yamldata.DataFile:
    """A data file of the book, admitted by its gate (classbook.gate) before it is read."""
    return yamldata.load(path, safety.book_gate(env))


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
        if (found := data_path(self, "classbook_claims_file")) is None:
            return []
        relative, path = found
        note_dependencies(self, path)
        getattr(self.env, _STORE).setdefault(self.env.docname, []).append((self.lineno, relative))
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
    key = yamldata.identity(path)
    if key is None:  # unreadable: yamldata reports it; nothing to remember
        return _valid_claims(env, path)
    key = (*key, env.srcdir)
    if key not in _CLAIMS:
        _CLAIMS[key] = _valid_claims(env, path)
    return _CLAIMS[key]


def _valid_claims(env: BuildEnvironment, path: Path) -> list[schemas.Claim]:
    valid, _problems = schemas.validate(schemas.Claim, load(env, path).records, {})
    return [claim for _record, claim in valid]


def validate(
    data: yamldata.DataFile,
    srcdir: Path,
    *,
    entries: Any,
    bibfiles: Sequence[str],
    chapters: dict[str, str | None],
    texts: dict[str, str],
) -> list[tuple[yamldata.Record, schemas.Claim]]:
    """Warn about every problem of the register ``data``; return its valid entries.

    ``chapters`` maps each label to its document (None: the label is not a chapter);
    ``texts`` maps each chapter document to its source text, normalised.
    """
    path = data.path
    for line, message in data.problems:
        report(path, srcdir, line, "claims register", message)
    context = {"entries": entries, "bibfiles": bibfiles, "chapters": chapters, "texts": texts}
    seen: dict[str, int] = {}
    valid: list[tuple[yamldata.Record, schemas.Claim]] = []
    for record in data.records:
        ident = record.get("id")
        what = f"claims register entry '{ident}'" if ident else "claims register entry"
        checked, problems = schemas.validate(schemas.Claim, [record], context)
        valid += checked
        for problem_line, message in problems:
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
    return valid


def check_notes(
    env: BuildEnvironment, path: Path, valid: Sequence[tuple[yamldata.Record, schemas.Claim]]
) -> None:
    """Every editor's note has an entry whose evidence covers exactly the sources it cites."""
    srcdir = Path(env.srcdir)
    relative = yamldata.describe(path, srcdir, 0)
    by_id = {claim.id: (record, claim) for record, claim in valid}
    noted: set[str] = set()
    for docname, notes in sorted(getattr(env, "classbook_claims", {}).items()):
        for note in notes:
            line, label, keys = note["line"], note["label"], note["keys"]
            where = (docname, line)
            ident = label.removeprefix("note-") if label else ""
            if not label or not label.startswith("note-"):
                logger.warning(
                    "editor-note: give the note a label ':label: note-<id>', where <id> is the "
                    "id of its entry in %s",
                    relative,
                    location=where,
                )
                continue
            noted.add(ident)
            if ident not in by_id:
                logger.warning(
                    "editor-note '%s' has no entry in %s: add one with 'id: %s', the claim, "
                    "a verdict and evidence from each source the note cites",
                    label,
                    relative,
                    ident,
                    location=where,
                )
                continue
            record, claim = by_id[ident]
            if env.domains.standard_domain.labels.get(claim.chapter, ("",))[0] != docname:
                report(
                    path,
                    srcdir,
                    record.line_of("chapter"),
                    f"claims register entry '{ident}'",
                    f"its editor's note '{label}' is in {docname}, not in chapter "
                    f"'{claim.chapter}'",
                )
            sourced = set(claim.sources)
            entries, _bibfiles = known_keys(env)
            for key in keys:
                # An unknown key is reported by sphinxcontrib-bibtex already: one message.
                if key not in sourced and key in entries:
                    logger.warning(
                        "editor-note '%s' cites '%s', but its entry in %s (line %d) has no "
                        "evidence from that source: add a quote from it under 'evidence'",
                        label,
                        key,
                        relative,
                        record.line,
                        location=where,
                    )
            for index, item in enumerate(claim.evidence):
                if item.source not in keys:
                    evidence = record["evidence"][index]
                    report(
                        path,
                        srcdir,
                        evidence.line if isinstance(evidence, yamldata.Record) else record.line,
                        f"claims register entry '{ident}'",
                        f"the evidence from '{item.source}' belongs to no note: the editor's "
                        f"note '{label}' ({docname}) does not cite it; cite it there or "
                        f"remove the evidence",
                    )
    for ident, (record, _claim) in by_id.items():
        if ident not in noted:
            report(
                path,
                srcdir,
                record.line,
                f"claims register entry '{ident}'",
                f"its evidence belongs to no note: no editor's note has ':label: note-{ident}'",
            )


def _examples(chapters: dict[str, str | None]) -> str:
    names = sorted(label for label, doc in chapters.items() if doc is not None)
    return ", ".join(f"'{name}'" for name in names[:4]) + (", …" if len(names) > 4 else "")


def check(app: Sphinx, env: BuildEnvironment) -> None:
    """Validate every register the book renders, and every note, against the whole book."""
    stores = getattr(env, _STORE, {})
    notes = any(getattr(env, "classbook_claims", {}).values())
    if not stores and not notes:
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
    main = Path(env.srcdir, app.config.classbook_claims_file)
    files = [main] if notes else []
    for docname in sorted(stores):
        files += [Path(env.srcdir, relative) for _line, relative in stores[docname]]
    for path in dict.fromkeys(files):
        valid = validate(
            load(env, path),
            Path(env.srcdir),
            entries=entries,
            bibfiles=bibfiles,
            chapters=chapters,
            texts=texts,
        )
        if path == main and notes:
            check_notes(env, path, valid)


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
