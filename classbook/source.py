"""Read a plain-text source document into headed sections of verbatim paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: A heading is a short line; prose lines are far longer than this.
MAX_HEADING_CHARS = 80
#: Closing punctuation marks a line as prose, never as a heading.
_CLOSING = re.compile(r"[.!?;:,\u2026\"\u201d\u2019)]\s*$")


@dataclass(frozen=True)
class Section:
    """One headed section of the source: its heading, grouping label and paragraphs."""

    heading: str
    line: int
    group: str | None = None
    paragraphs: tuple[str, ...] = field(default=())


def is_heading(line: str) -> bool:
    """Whether a non-blank source line is a heading (short, no closing punctuation)."""
    text = line.strip()
    return bool(text) and len(text) <= MAX_HEADING_CHARS and not _CLOSING.search(text)


def normalise(text: str) -> str:
    """Fold whitespace and undo line-break hyphenation, for comparing extracted text."""
    text = text.replace("\u00ad", "")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.split())


def parse_source(text: str) -> list[Section]:
    """Split source text into sections; a heading directly followed by one is a group label.

    A group label applies to the next section only: the source uses it to file one section
    under a label ("Fun Fact", "Additional Resources"), not to open a part.
    """
    sections: list[Section] = []
    pending_group: tuple[str, int] | None = None
    current: tuple[str, int, str | None] | None = None
    paragraphs: list[str] = []
    lines = text.splitlines()

    def close() -> None:
        if current is not None:
            heading, line, group = current
            sections.append(Section(heading, line, group, tuple(paragraphs)))

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if is_heading(line):
            following = next((nxt.strip() for nxt in lines[number:] if nxt.strip()), "")
            if is_heading(following) and pending_group is None:
                close()
                current, paragraphs = None, []
                pending_group = (line, number)
                continue
            close()
            group = pending_group[0] if pending_group else None
            current, paragraphs, pending_group = (line, number, group), [], None
        elif current is None:
            raise ValueError(f"line {number}: paragraph before any heading: {line[:40]!r}")
        else:
            paragraphs.append(line)
    close()
    return sections


def read_source(path: Path) -> list[Section]:
    """Parse the source document at ``path`` (UTF-8)."""
    return parse_source(path.read_text(encoding="utf-8"))
