"""The claims register checked against the whole book once every document is read: the schema,
chapters, claim words in their chapter's source text, BibTeX keys, and each note's sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from classbook.ext import schemas, yamldata
from classbook.ext.datafiles import known_keys, load, report
from classbook.ext.register import STORE
from classbook.sources import normalise

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


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
    stores = getattr(env, STORE, {})
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


def setup(app: Sphinx) -> None:
    """Check the registers and the notes once the whole book is read."""
    app.connect("env-check-consistency", check)
