"""Build-time integrity checks: every source section mapped once, every paragraph verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

from classbook.ext.directives import is_plain_text
from classbook.sources import Section, SourceError, normalise, read_source
from classbook.sources.myst import as_written

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


def source_sections(app: Sphinx) -> list[Section]:
    """The sections of the configured source document."""
    return read_source(Path(app.srcdir, app.config.classbook_source_document))


def chapter_map(env: BuildEnvironment) -> dict[str, str]:
    """Map each document that mirrors a source section to that section's heading."""
    return {
        docname: str(meta["source_heading"])
        for docname, meta in env.metadata.items()
        if "source_heading" in meta
    }


def check_source_fidelity(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn (an error under -W) where the book and the source document disagree."""
    try:
        sections = source_sections(app)
    except SourceError as error:
        logger.warning("%s", error)
        return
    # A plain-text source is compared character for character; Markdown and Word sources
    # by their text (markup may be written another way), whitespace folded.
    exact = is_plain_text(app.config.classbook_source_document)
    by_heading: dict[str, int] = {}
    for position, section in enumerate(sections, start=1):
        by_heading.setdefault(section.heading, position)
    groups = {section.group for section in sections if section.group}
    mapped: dict[int, list[str]] = {}
    source_file = app.config.classbook_source_document

    for docname, heading in sorted(chapter_map(env).items()):
        # A chapter names its section by position (source_section) when headings repeat
        # ("CHORUS" twice); by heading alone otherwise.
        number = _position(env.metadata[docname], heading, sections) or by_heading.get(heading)
        if number is None:
            logger.warning(
                "front matter 'source_heading: %s' names no heading of %s; headings: %s",
                heading,
                source_file,
                "; ".join(by_heading),
                location=(docname, 1),
            )
            continue
        section = sections[number - 1]
        mapped.setdefault(number, []).append(docname)
        group = env.metadata[docname].get("source_group")
        if (group or None) != section.group:
            logger.warning(
                "front matter 'source_group' is %r but %s files %r under %r",
                group,
                source_file,
                heading,
                section.group,
                location=(docname, 1),
            )
        # The stores are attributes set on the environment (classbook.ext.stores).
        blocks = env.classbook_source_texts.get(docname, [])  # type: ignore[attr-defined]
        written = [paragraph for _line, paragraphs in blocks for paragraph in paragraphs]
        line = blocks[0][0] if blocks else 1
        same = written == list(section.paragraphs) or (
            not exact
            and [normalise(w) for w in written] == list(map(normalise, section.paragraphs))
        )
        if not same:
            _report_difference(docname, line, written, section, source_file)

    for number, docnames in mapped.items():
        if len(docnames) > 1:
            logger.warning(
                "source heading %r is mirrored by %d chapters: %s",
                sections[number - 1].heading,
                len(docnames),
                ", ".join(docnames),
                location=(docnames[1], 1),
            )
    for number, section in enumerate(sections, start=1):
        if number not in mapped:
            logger.warning(
                "%s line %d: section %r is mirrored by no chapter; add a chapter whose "
                "front matter says 'source_heading: %s'",
                source_file,
                section.line,
                section.heading,
                section.heading,
            )
    for group in groups - {sections[number - 1].group for number in mapped}:
        logger.warning("%s: grouping label %r is mapped by no chapter", source_file, group)


def _position(meta: dict, heading: str, sections: list[Section]) -> int | None:
    """The section a chapter's ``source_section: N`` names, if it is one headed ``heading``."""
    try:
        number = int(meta.get("source_section", 0))
    except (TypeError, ValueError):
        return None
    if 1 <= number <= len(sections) and sections[number - 1].heading == heading:
        return number
    return None


def _report_difference(
    docname: str, line: int, written: list[str], section: Section, source_file: str
) -> None:
    """Name the first paragraph that differs from the source, with the first differing words."""
    if len(written) != len(section.paragraphs):
        logger.warning(
            "source-text has %d paragraph(s) but %s has %d under %r; copy them verbatim",
            len(written),
            source_file,
            len(section.paragraphs),
            section.heading,
            location=(docname, line),
        )
        return
    for number, (ours, theirs) in enumerate(zip(written, section.paragraphs, strict=True), start=1):
        if ours != theirs:
            at = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            hint = "only whitespace differs" if normalise(ours) == normalise(theirs) else ""
            logger.warning(
                "source-text paragraph %d differs from %s at character %d: book has %r, "
                "source has %r%s; the source text must stay verbatim",
                number,
                source_file,
                at,
                as_written(ours[max(0, at - 20) : at + 20]),
                as_written(theirs[max(0, at - 20) : at + 20]),
                f" ({hint})" if hint else "",
                location=(docname, line),
            )


def check_claims(app: Sphinx, env: BuildEnvironment) -> None:
    """Each editor's note must quote words that stand in its chapter's source text."""
    # The stores are attributes set on the environment (classbook.ext.stores).
    for docname, notes in sorted(env.classbook_claims.items()):  # type: ignore[attr-defined]
        blocks = env.classbook_source_texts.get(docname, [])  # type: ignore[attr-defined]
        text = normalise(" ".join(p for _line, paragraphs in blocks for p in paragraphs))
        for note in notes:
            line, claim = note["line"], note["claim"]
            if claim and normalise(claim) not in text:
                logger.warning(
                    "editor-note claim %r is not in this chapter's source-text; quote the "
                    "source's words exactly",
                    claim,
                    location=(docname, line),
                )
