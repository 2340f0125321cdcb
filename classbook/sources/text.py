"""The plain-text reader: paragraphs, verse and headings from the document's own shape."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from classbook.sources import Block, Document, Guess, Note, Section, decode_text

#: A heading is a short line; prose lines are far longer than this.
MAX_HEADING_CHARS = 80
#: Closing punctuation marks a line as prose, never as a heading.
_CLOSING = re.compile(r"[.!?;:,\u2026\"\u201d\u2019)\u061f\u060c\u061b\u06d4]\s*$")
#: Line ends as an editor counts them: a form feed (an RFC's page break) is not one.
_LINE_END = re.compile(r"\r\n|\r|\n")
#: Layout is not prose: a gap of three spaces inside a line (columns), or a line of rules.
_COLUMNS = re.compile(r"\S {3,}\S|\.{5,}")  # or a contents line's dot leaders
_RULE = re.compile(r"^[-+=*_|#~.:<>/\\ ]{3,}$")
#: Control characters no reader sees (form feeds, vertical tabs): left out of the text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

#: Wrapped text: most lines are at most this wide (Project Gutenberg 70-75, RFCs 72).
MAX_WRAP_WIDTH = 100
#: A sane book: at most this many chapters and, past a dozen, chapters of at least this many
#: words (median); a short poem's or an outline's few chapters are left alone.
MAX_CHAPTERS = 120
FEW_CHAPTERS = 12
MIN_CHAPTER_WORDS = 120
#: In a book of many chapters, a chapter of fewer words is a title page's line, not a chapter.
MIN_SECTION_WORDS = 40


def split_lines(text: str) -> list[str]:
    """The document's lines, numbered as an editor numbers them (a form feed or a Unicode
    line separator inside a line does not start a new one), each without control characters
    and with tabs expanded: exactly what a chapter can hold."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return [_INVISIBLE.sub("", line.expandtabs(8)).rstrip() for line in lines]


def is_heading(line: str) -> bool:
    """Whether a non-blank source line is a heading (short, no closing punctuation)."""
    text = line.strip()
    return (
        bool(text)
        and len(text) <= MAX_HEADING_CHARS
        and not _CLOSING.search(text)
        and not _COLUMNS.search(text)  # a page header's or a table's columns
        and not _RULE.match(text)
    )


def _paragraph_guess(line: str) -> str | None:
    """Why a line that looks a little like a heading was taken as a paragraph, if it does."""
    if len(line) <= MAX_HEADING_CHARS:
        return "paragraph (short, but ends with punctuation)"
    if not _CLOSING.search(line):
        return f"paragraph (no closing punctuation, but longer than {MAX_HEADING_CHARS} characters)"
    return None


def parse_source(text: str) -> list[Section]:
    """Split source text into sections (the reader ``read`` uses, without the report)."""
    return _read_text(text).sections


# -- One paragraph per line (our first source's shape) ------------------------------------


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


# -- Wrapped lines, a blank line between paragraphs ---------------------------------------


@dataclass(frozen=True)
class _Run:
    """Lines between blank lines: a paragraph, a stanza, a diagram or a heading."""

    start: int  # index of its first line
    lines: tuple[str, ...]
    gap: int  # blank lines before it

    @property
    def line(self) -> int:
        return self.start + 1

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines)

    @property
    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)


def _runs(lines: list[str], start: int, end: int) -> list[_Run]:
    runs: list[_Run] = []
    first, gap = None, 0
    for index in range(start, end + 1):
        blank = index == end or not lines[index].strip()
        if blank and first is not None:
            runs.append(_Run(first, tuple(lines[first:index]), gap))
            first, gap = None, 0
        if blank:
            gap += index < end
        elif first is None:
            first = index
    return runs


def _width(lines: list[str]) -> int:
    """How wide the writer wrapped the text: most lines are no longer."""
    lengths = sorted(len(line) for line in lines if line.strip())
    return lengths[round(0.95 * (len(lengths) - 1))] if lengths else 0


def is_wrapped(lines: list[str]) -> bool:
    """Whether the document wraps its paragraphs over lines, a blank line between them
    (most text files), rather than one paragraph per line (our first source): no line much
    wider than a page, and paragraphs (or diagrams) of several lines between blank lines."""
    runs = _runs(lines, 0, len(lines))
    if len(runs) < 2:  # no blank line between any two lines: a line is a paragraph
        return False
    width = _width(lines)
    several = [run for run in runs if len(run.lines) > 1]
    return (
        width <= MAX_WRAP_WIDTH
        and sum(len(run.lines) for run in several) >= sum(len(run.lines) for run in runs) / 3
        and any(_layout(run, width) != "lines" for run in several)
    )


def _layout(run: _Run, width: int) -> str:
    """How a run of lines is printed: "paragraphs", "lines" or "preformatted"."""
    lines = run.lines
    if any(_COLUMNS.search(line.strip()) or _RULE.match(line.strip()) for line in lines):
        return "preformatted"
    if len(lines) == 1:
        return "paragraphs"
    indents = [len(line) - len(line.lstrip()) for line in lines]
    if len(set(indents[1:])) > 1:
        return "lines"  # indented as verse or a list is, not as a paragraph
    # A writer's line breaks fall where the next word would not fit; a poet's anywhere.
    breaks = [
        len(line) + 1 + len(following.split()[0]) > width - 6
        for line, following in itertools.pairwise(lines)
    ]
    return "paragraphs" if sum(breaks) >= 0.6 * len(breaks) else "lines"


_NUMBERED_WHY = "a numbered heading"
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(\S.*)$")
_KEYWORD = re.compile(
    r"^(?:CHAPTER|PART|BOOK|ACT|SCENE|LESSON|APPENDIX|SECTION|CANTO|STAVE|VOLUME|CHAPITRE"
    r"|LE[CÇ]ON|PARTIE|LIVRE|KAPITEL|CAP[IÍ]TULO)\b",
    re.IGNORECASE,
)


def _candidate(run: _Run) -> tuple[int, int, str] | None:
    """A heading's (strength, level, why) if the run is one line that may be a heading:
    strength 2 for a numbered, ALL-CAPS or "Chapter N" line, 1 for a short line without
    closing punctuation."""
    text = run.lines[0].strip()
    core = text.strip("_*= ")
    if (
        len(run.lines) != 1
        or not core
        or len(text) > MAX_HEADING_CHARS
        or _COLUMNS.search(text)
        or _RULE.match(text)
        or core.endswith((",", ";"))
        or core[0] in "-([{*+"
    ):
        return None
    if (numbered := _NUMBERED.match(core)) and numbered.group(2)[0].isupper():
        return 2, numbered.group(1).count(".") + 1, _NUMBERED_WHY
    return _unnumbered(core)


def _unnumbered(core: str) -> tuple[int, int, str] | None:
    cased = [c for c in core if c.isalpha() and c.lower() != c.upper()]
    if _KEYWORD.match(core) and core[0].isupper() and len(core.split()) <= 8:
        return 2, 1, "a chapter heading"
    if len(cased) >= 3 and all(c.isupper() for c in cased) and not core.endswith("?"):
        return 2, 1, "an ALL-CAPS line"
    short = len(core) <= 60 and len(core.split()) <= 10
    if short and not _CLOSING.search(core) and (core[0].isupper() or core[0].isdigit()):
        return 1, 1, "a short line without closing punctuation"
    return None


@dataclass(frozen=True)
class _Plan:
    """Which runs are headings, and at what level."""

    headings: dict[int, tuple[int, str]]  # run index -> (level, why)
    note: str = ""


def _plan(runs: list[_Run]) -> _Plan:
    """The headings of the most detailed outline that makes a sane book: weak and strong
    candidates, else strong ones only, else none (the text is one chapter)."""
    candidates = {index: found for index, run in enumerate(runs) if (found := _candidate(run))}
    # A line said three times or more is a refrain or a speaker's name, not a chapter's title.
    said = Counter(runs[index].text.strip("_*=. ").casefold() for index in candidates)
    candidates = {
        index: found
        for index, found in candidates.items()
        if said[runs[index].text.strip("_*=. ").casefold()] < 3
    }
    refused: list[str] = []
    for strength in (1, 2):
        chosen = {
            index: (level, why)
            for index, (power, level, why) in candidates.items()
            if power >= strength
        }
        # A heading right under a heading is its subtitle or a table of contents, text,
        # unless it opens a deeper section ("1. Introduction", then "1.1. Purpose").
        chosen = {i: v for i, v in chosen.items() if i - 1 not in chosen or chosen[i - 1][0] < v[0]}
        kind = "short lines" if strength == 1 else "numbered and ALL-CAPS lines"
        before = _chapter_words(runs, chosen)
        chosen = _without_slivers(runs, chosen)
        sizes = _chapter_words(runs, chosen)
        if len(sizes) < len(before):
            refused.append(
                f"{len(before) - len(sizes)} of the {len(before)} chapters {kind} would make "
                f"have fewer than {MIN_SECTION_WORDS} words: their headings are text"
            )
        if sane(sizes):
            return _Plan(
                chosen, "; ".join(refused) + ("" if sizes else ": the text is one chapter")
            )
        refused.append(
            f"{kind} set off by blank lines would make {len(sizes)} chapters of "
            f"{statistics.median(sizes):.0f} words (median)"
        )
    return _Plan({}, "; ".join(refused) + ": the text is one chapter")


def _without_slivers(
    runs: list[_Run], headings: dict[int, tuple[int, str]]
) -> dict[int, tuple[int, str]]:
    """In a book of many chapters, a "chapter" of a few words is a line of a title page or
    a caption: its heading is text of the chapter before."""
    starts = sorted(i for i, (level, _why) in headings.items() if level == 1)
    if len(starts) <= FEW_CHAPTERS:
        return headings
    kept = dict(headings)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(runs)
        numbered = headings[start][1] == _NUMBERED_WHY  # "7. Source code": the outline's own
        if not numbered and sum(run.words for run in runs[start + 1 : end]) < MIN_SECTION_WORDS:
            del kept[start]
    return kept


def sane(sizes: list[int], least: int = MIN_CHAPTER_WORDS) -> bool:
    """Whether chapters of these sizes (in words) make a book, not a list of lines."""
    return len(sizes) <= FEW_CHAPTERS or (
        len(sizes) <= MAX_CHAPTERS and statistics.median(sizes) >= least
    )


def _chapter_words(runs: list[_Run], headings: dict[int, tuple[int, str]]) -> list[int]:
    sizes: list[int] = []
    for index, run in enumerate(runs):
        if index in headings and headings[index][0] == 1:
            sizes.append(0)
        elif sizes and index not in headings:
            sizes[-1] += run.words
    return sizes


# -- Project Gutenberg's header and licence -----------------------------------------------

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


# -- Sections from runs -------------------------------------------------------------------


def _blocks(runs: list[_Run], lines: list[str], width: int) -> list[Block]:
    """Text blocks for consecutive runs, one block per run of the same layout."""
    blocks: list[Block] = []
    for run in runs:
        layout = _layout(run, width)
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
    runs: list[_Run], plan: _Plan, lines: list[str], width: int
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
    width = _width(lines)
    notes = [
        Note(
            "",
            f"wrapped text: lines of up to about {width} characters, a blank line between "
            "paragraphs; each paragraph's lines are joined",
        )
    ]
    pg = _gutenberg(lines)
    start, end = pg.body if pg else (0, len(lines))
    runs = _runs(lines, start, end)
    plan = _plan(runs)
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
    header = _blocks(_runs(lines, 0, start), lines, width)
    if sections and not sections[0].heading:
        sections[0] = Section("", 1, None, (*header, *sections[0].blocks))
    else:
        sections.insert(0, Section("", 1, None, tuple(header)))
    reading.notes.append(
        Note(f"1-{start}", "Project Gutenberg header: kept verbatim at the front of the book")
    )
    if end < len(lines):
        licence = _blocks(_runs(lines, end, len(lines)), lines, width)
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
    if not sane(sizes, MIN_CHAPTER_WORDS // 4):
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
