"""The plain-text reader: paragraphs, verse and headings from the document's own shape."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from classbook.sources.document import Block, Document, Guess, Note, Section, decode_text
from classbook.sources.textshape import (
    CLOSING,
    COLUMNS,
    INVISIBLE,
    MAX_HEADING_CHARS,
    MIN_CHAPTER_WORDS,
    RULE,
    Plan,
    Run,
    is_wrapped,
    layout_of,
    line_runs,
    outline_plan,
    sane,
    text_width,
)

#: Line ends as an editor counts them: a form feed (an RFC's page break) is not one.
_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The document's lines, numbered as an editor numbers them (a form feed or a Unicode
    line separator inside a line does not start a new one), each without control characters
    and with tabs expanded: exactly what a chapter can hold."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return [INVISIBLE.sub("", line.expandtabs(8)).rstrip() for line in lines]


def is_heading(line: str) -> bool:
    """Whether a non-blank source line is a heading (short, no closing punctuation)."""
    text = line.strip()
    return (
        bool(text)
        and len(text) <= MAX_HEADING_CHARS
        and not CLOSING.search(text)
        and not COLUMNS.search(text)  # a page header's or a table's columns
        and not RULE.match(text)
    )


def _paragraph_guess(line: str) -> str | None:
    """Why a line that looks a little like a heading was taken as a paragraph, if it does."""
    if len(line) <= MAX_HEADING_CHARS:
        return "paragraph (short, but ends with punctuation)"
    if not CLOSING.search(line):
        return f"paragraph (no closing punctuation, but longer than {MAX_HEADING_CHARS} characters)"
    return None


def parse_source(text: str) -> list[Section]:
    """Split source text into sections (the reader ``read`` uses, without the report)."""
    return _read_text(text).sections


def _parse_lines(lines: list[str], headings: bool = True) -> tuple[list[Section], list[Guess]]:
    """Every line a paragraph or a heading; a heading directly above a heading with text
    under it is that section's group label."""
    # A group label applies to the next section only: the source uses it to file one
    # section under a label ("Fun Fact", "Additional Resources"), not to open a part.
    sections: list[Section] = []
    guesses: list[Guess] = []
    pending_group: tuple[str, int] | None = None
    current: tuple[str, int, str | None] = ("", 1, None)  # the opening, before any heading
    paragraphs: list[tuple[int, str]] = []

    def close() -> None:
        heading, line, group = current
        if heading or paragraphs:
            body = "\n\n".join(p for _, p in paragraphs)
            first = paragraphs[0][0] if paragraphs else line
            blocks = (Block(body, first, 0, tuple(p for _, p in paragraphs)),) if body else ()
            sections.append(Section(heading, line, group, blocks))

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if headings and is_heading(line):
            # A label files the heading below it, and that heading has text under it: in
            # an outline (headings only) every line is a heading of its own.
            following, after = ([nxt.strip() for nxt in lines[number:] if nxt.strip()] + ["", ""])[
                :2
            ]
            if is_heading(following) and after and not is_heading(after) and pending_group is None:
                close()
                current, paragraphs = ("", number, None), []
                pending_group = (line, number)
                guesses.append(Guess(number, line, "group label (a heading with text follows it)"))
                continue
            close()
            group = pending_group[0] if pending_group else None
            current, paragraphs, pending_group = (line, number, group), [], None
            guesses.append(Guess(number, line, "heading (short, no closing punctuation)"))
        else:
            paragraphs.append((number, line))
            if headings and (why := _paragraph_guess(line)) is not None:
                guesses.append(Guess(number, line, why))
    if pending_group is not None:  # a label with nothing under it is a heading of its own
        current, paragraphs = (pending_group[0], pending_group[1], None), []
        guesses[-1] = Guess(pending_group[1], pending_group[0], "heading (the last line)")
    close()
    return sections, guesses


_PG_START = re.compile(r"^\s*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)


_PG_END = re.compile(r"^\s*\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)


_PG_END_LINE = re.compile(r"^\s*End of (?:the )?Project Gutenberg", re.IGNORECASE)


@dataclass(frozen=True)
class _Gutenberg:
    body: tuple[int, int]  # [start, end) of the book's own lines
    fields: dict[str, str]  # "Title", "Author" and the title's continuation, "Subtitle"


def _marker_end(lines: list[str], index: int) -> int:
    """The line after a "*** START/END …***" marker, which may wrap onto following lines."""
    for last in range(index, min(index + 3, len(lines))):
        if lines[last].rstrip().endswith("***"):
            return last + 1
    return index + 1


def _gutenberg(lines: list[str]) -> _Gutenberg | None:
    """A Project Gutenberg e-book's header and licence around the book's own text."""
    start = next((i for i, line in enumerate(lines) if _PG_START.match(line)), None)
    if start is None:
        return None
    marker = next((i for i in range(start + 1, len(lines)) if _PG_END.match(lines[i])), None)
    end = len(lines) if marker is None else marker
    # "End of the Project Gutenberg EBook of …" a few lines above the marker opens the licence.
    end = next(
        (i for i in range(max(start + 1, end - 12), end) if _PG_END_LINE.match(lines[i])), end
    )
    fields: dict[str, str] = {}
    for index, line in enumerate(lines[:start]):
        if match := re.match(r"^(Title|Author):\s*(\S.*)$", line):
            fields.setdefault(match.group(1), match.group(2).strip())
            more = []
            for following in lines[index + 1 : start]:  # a title goes on in indented lines
                if not following.startswith((" ", "\t")) or not following.strip():
                    break
                more.append(following.strip())
            if more and match.group(1) == "Title":
                fields.setdefault("Subtitle", " ".join(more))
    return _Gutenberg((_marker_end(lines, start), end), fields)


def _blocks(runs: list[Run], lines: list[str], width: int) -> list[Block]:
    """Text blocks for consecutive runs, one block per run of the same layout."""
    blocks: list[Block] = []
    for run in runs:
        layout = layout_of(run, width)
        if layout == "paragraphs":
            markdown, unit = "\n".join(line.strip() for line in run.lines), run.text
        elif layout == "lines":
            unit = markdown = "\n".join(line.strip() for line in run.lines)
        else:
            unit = markdown = "\n".join(run.lines)
        last = blocks[-1] if blocks else None
        if last and last.layout == layout and layout != "preformatted":
            blocks[-1] = Block(
                f"{last.markdown}\n\n{markdown}", last.line, 0, (*last.units, unit), layout
            )
        elif last and layout == "preformatted" == last.layout and run.gap <= 2:
            # One diagram with blank lines inside: kept whole, blank lines and all.
            first = last.line - 1
            joined = "\n".join(lines[first : run.start + len(run.lines)])
            blocks[-1] = Block(joined, last.line, 0, (joined,), layout)
        else:
            blocks.append(Block(markdown, run.line, 0, (unit,), layout))
    return blocks


def escape(text: str) -> str:
    """Text as Markdown that prints it as written (no emphasis, links or roles made)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~^$])", r"\\\1", text)


def _sections(
    runs: list[Run], plan: Plan, lines: list[str], width: int
) -> tuple[list[Section], list[Note]]:
    sections: list[Section] = []
    notes: list[Note] = []
    heading, line, pending, content = "", 1, [], []  # type: ignore[var-annotated]

    def close() -> None:
        content.extend(_blocks(pending, lines, width))
        pending.clear()
        if heading or content:
            sections.append(Section(heading, line, None, tuple(content)))

    for index, run in enumerate(runs):
        if index not in plan.headings:
            pending.append(run)
            continue
        level, why = plan.headings[index]
        text = run.lines[0].strip()
        if level == 1:
            close()
            heading, line, content = text, run.line, []
            notes.append(
                Note(str(run.line), f"chapter {text[:60]!r} ({why} set off by blank lines)")
            )
        else:
            content.extend(_blocks(pending, lines, width))
            pending.clear()
            content.append(Block(f"{'#' * min(level, 6)} {escape(text)}", run.line, level, (text,)))
            notes.append(Note(str(run.line), f"section {text[:60]!r} ({why}, level {level})"))
    close()
    return sections, notes


def _layout_notes(sections: list[Section]) -> list[Note]:
    kept = [b for s in sections for b in s.blocks if b.layout in {"lines", "preformatted"}]
    if not kept:
        return []
    verse = [b.line for b in kept if b.layout == "lines"]
    fixed = [b.line for b in kept if b.layout == "preformatted"]
    parts = []
    if verse:
        parts.append(
            f"{len(verse)} block(s) kept line for line (verse, lists; first at line {verse[0]})"
        )
    if fixed:
        parts.append(
            f"{len(fixed)} block(s) kept as written in a fixed-width font (columns, diagrams; "
            f"first at line {fixed[0]})"
        )
    return [Note("", "; ".join(parts))]


@dataclass
class _Reading:
    sections: list[Section]
    notes: list[Note]
    guesses: list[Guess] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def _read_wrapped(lines: list[str]) -> _Reading:
    """Sections of a wrapped text; a Project Gutenberg header opens the book and its licence
    closes it, both verbatim."""
    width = text_width(lines)
    notes = [
        Note(
            "",
            f"wrapped text: lines of up to about {width} characters, a blank line between "
            "paragraphs; each paragraph's lines are joined",
        )
    ]
    pg = _gutenberg(lines)
    start, end = pg.body if pg else (0, len(lines))
    runs = line_runs(lines, start, end)
    plan = outline_plan(runs)
    if plan.note:
        notes.append(Note("", f"fewer chapters: {plan.note}"))
    sections, heading_notes = _sections(runs, plan, lines, width)
    reading = _Reading(sections, notes + heading_notes)
    if pg:
        _boilerplate(reading, pg, lines, width)
    reading.notes += _layout_notes(sections)
    return reading


def _boilerplate(reading: _Reading, pg: _Gutenberg, lines: list[str], width: int) -> None:
    """The Gutenberg header opens the book, its licence is the last chapter; the header's
    Title and Author are the book's."""
    sections, (start, end) = reading.sections, pg.body
    names = {"Title": "title", "Author": "author", "Subtitle": "subtitle"}
    reading.metadata = {names[key]: value for key, value in pg.fields.items()}
    header = _blocks(line_runs(lines, 0, start), lines, width)
    if sections and not sections[0].heading:
        sections[0] = Section("", 1, None, (*header, *sections[0].blocks))
    else:
        sections.insert(0, Section("", 1, None, tuple(header)))
    reading.notes.append(
        Note(f"1-{start}", "Project Gutenberg header: kept verbatim at the front of the book")
    )
    if end < len(lines):
        licence = _blocks(line_runs(lines, end, len(lines)), lines, width)
        sections.append(
            Section("", end + 1, None, tuple(licence), title="The Project Gutenberg License")
        )
        reading.notes.append(
            Note(
                f"{end + 1}-{len(lines)}",
                "Project Gutenberg licence: kept verbatim as the book's last chapter",
            )
        )


def _read_text(text: str) -> _Reading:
    lines = split_lines(text)
    if is_wrapped(lines):
        return _read_wrapped(lines)
    sections, guesses = _parse_lines(lines)
    notes = [Note("", "one paragraph per line: each line is a paragraph or a heading")]
    sizes = [sum(len(u.split()) for u in s.paragraphs) for s in sections if s.heading]
    if not sane(sizes, MIN_CHAPTER_WORDS // 4, most=None):
        notes.append(
            Note(
                "",
                f"short lines would make {len(sizes)} chapters of "
                f"{statistics.median(sizes):.0f} words (median): the text is one chapter",
            )
        )
        sections, guesses = _parse_lines(lines, headings=False)
    return _Reading(sections, notes, guesses)


def _title(sections: list[Section]) -> str:
    """The book's title: a short line opening the text (an RFC's centred title), else the
    first heading."""
    if sections and not sections[0].heading:
        for block in sections[0].blocks:
            if block.layout == "paragraphs" and block.units:
                first = block.units[0]
                if len(first) <= MAX_HEADING_CHARS and not first.endswith("."):
                    return first
                break
    return next((s.heading for s in sections if s.heading), "")


def read(path: Path, data: bytes) -> Document:
    """Read a UTF-8 plain-text document (Windows line endings and a BOM are accepted)."""
    reading = _read_text(decode_text(path, data))
    metadata = dict(reading.metadata)
    title = metadata.pop("title", "") or _title(reading.sections)
    return Document(
        path,
        "text",
        tuple(reading.sections),
        title=title,
        author=metadata.pop("author", ""),
        guesses=tuple(reading.guesses),
        notes=tuple(reading.notes),
        metadata=metadata,
    )
