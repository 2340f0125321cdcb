"""A plain text's shape: wrapped or a paragraph per line, its runs of lines, its outline."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass

#: A heading is a short line; prose lines are far longer than this.
MAX_HEADING_CHARS = 80


#: Closing punctuation marks a line as prose, never as a heading.
CLOSING = re.compile(r"[.!?;:,\u2026\"\u201d\u2019)\u061f\u060c\u061b\u06d4]\s*$")


#: Layout is not prose: a gap of three spaces inside a line (columns), or a line of rules.
COLUMNS = re.compile(r"\S {3,}\S|\.{5,}")  # or a contents line's dot leaders


RULE = re.compile(r"^[-+=*_|#~.:<>/\\ ]{3,}$")


#: Control characters no reader sees (form feeds, vertical tabs): left out of the text.
INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


#: Wrapped text: most lines are at most this wide (Project Gutenberg 70-75, RFCs 72).
MAX_WRAP_WIDTH = 100


#: A sane book: at most this many chapters and, past a dozen, chapters of at least this many
#: words (median); a short poem's or an outline's few chapters are left alone.
MAX_CHAPTERS = 120


FEW_CHAPTERS = 12


MIN_CHAPTER_WORDS = 120


#: In a book of many chapters, a chapter of fewer words is a title page's line, not a chapter.
MIN_SECTION_WORDS = 40


@dataclass(frozen=True)
class Run:
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


def line_runs(lines: list[str], start: int, end: int) -> list[Run]:
    runs: list[Run] = []
    first, gap = None, 0
    for index in range(start, end + 1):
        blank = index == end or not lines[index].strip()
        if blank and first is not None:
            runs.append(Run(first, tuple(lines[first:index]), gap))
            first, gap = None, 0
        if blank:
            gap += index < end
        elif first is None:
            first = index
    return runs


def text_width(lines: list[str]) -> int:
    """How wide the writer wrapped the text: most lines are no longer."""
    lengths = sorted(len(line) for line in lines if line.strip())
    return lengths[round(0.95 * (len(lengths) - 1))] if lengths else 0


def is_wrapped(lines: list[str]) -> bool:
    """Whether the document wraps its paragraphs over lines, a blank line between them
    (most text files), rather than one paragraph per line (our first source): no line much
    wider than a page, and paragraphs (or diagrams) of several lines between blank lines."""
    runs = line_runs(lines, 0, len(lines))
    if len(runs) < 2:  # no blank line between any two lines: a line is a paragraph
        return False
    width = text_width(lines)
    several = [run for run in runs if len(run.lines) > 1]
    return (
        width <= MAX_WRAP_WIDTH
        and sum(len(run.lines) for run in several) >= sum(len(run.lines) for run in runs) / 3
        and any(layout_of(run, width) != "lines" for run in several)
    )


def layout_of(run: Run, width: int) -> str:
    """How a run of lines is printed: "paragraphs", "lines" or "preformatted"."""
    lines = run.lines
    if any(COLUMNS.search(line.strip()) or RULE.match(line.strip()) for line in lines):
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


def _candidate(run: Run) -> tuple[int, int, str] | None:
    """A heading's (strength, level, why) if the run is one line that may be a heading:
    strength 2 for a numbered, ALL-CAPS or "Chapter N" line, 1 for a short line without
    closing punctuation."""
    text = run.lines[0].strip()
    core = text.strip("_*= ")
    if (
        len(run.lines) != 1
        or not core
        or len(text) > MAX_HEADING_CHARS
        or COLUMNS.search(text)
        or RULE.match(text)
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
    if short and not CLOSING.search(core) and (core[0].isupper() or core[0].isdigit()):
        return 1, 1, "a short line without closing punctuation"
    return None


@dataclass(frozen=True)
class Plan:
    """Which runs are headings, and at what level."""

    headings: dict[int, tuple[int, str]]  # run index -> (level, why)
    note: str = ""


def outline_plan(runs: list[Run]) -> Plan:
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
            return Plan(chosen, "; ".join(refused) + ("" if sizes else ": the text is one chapter"))
        refused.append(
            f"{kind} set off by blank lines would make {len(sizes)} chapters of "
            f"{statistics.median(sizes):.0f} words (median)"
        )
    return Plan({}, "; ".join(refused) + ": the text is one chapter")


def _without_slivers(
    runs: list[Run], headings: dict[int, tuple[int, str]]
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


def sane(sizes: list[int], least: int = MIN_CHAPTER_WORDS, most: int | None = MAX_CHAPTERS) -> bool:
    """Whether chapters of these sizes (in words) make a book, not a list of lines; ``most``
    caps how many a guessed outline may make (None: headings the writer set on lines of
    their own, as our first source does, are trusted in any number)."""
    return len(sizes) <= FEW_CHAPTERS or (
        (most is None or len(sizes) <= most) and statistics.median(sizes) >= least
    )


def _chapter_words(runs: list[Run], headings: dict[int, tuple[int, str]]) -> list[int]:
    sizes: list[int] = []
    for index, run in enumerate(runs):
        if index in headings and headings[index][0] == 1:
            sizes.append(0)
        elif sizes and index not in headings:
            sizes[-1] += run.words
    return sizes
