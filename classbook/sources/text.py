"""The plain-text reader: headings found from the shape of a line, paragraphs one per line."""

from __future__ import annotations

import re
from pathlib import Path

from classbook.sources.document import Block, Document, Guess, Section, decode_text

#: A heading is a short line; prose lines are far longer than this.
MAX_HEADING_CHARS = 80
#: Closing punctuation marks a line as prose, never as a heading.
_CLOSING = re.compile(r"[.!?;:,\u2026\"\u201d\u2019)\u061f\u060c\u061b\u06d4]\s*$")


def is_heading(line: str) -> bool:
    """Whether a non-blank source line is a heading (short, no closing punctuation)."""
    text = line.strip()
    return bool(text) and len(text) <= MAX_HEADING_CHARS and not _CLOSING.search(text)


def _paragraph_guess(line: str) -> str | None:
    """Why a line that looks a little like a heading was taken as a paragraph, if it does."""
    if len(line) <= MAX_HEADING_CHARS:
        return "paragraph (short, but ends with punctuation)"
    if not _CLOSING.search(line):
        return f"paragraph (no closing punctuation, but longer than {MAX_HEADING_CHARS} characters)"
    return None


def parse_source(text: str) -> list[Section]:
    """Split source text into sections; a heading directly above a headed section is that
    section's group label."""
    return list(_parse(text)[0])


def _parse(text: str) -> tuple[list[Section], list[Guess]]:
    # A group label applies to the next section only: the source uses it to file one
    # section under a label ("Fun Fact", "Additional Resources"), not to open a part.
    sections: list[Section] = []
    guesses: list[Guess] = []
    pending_group: tuple[str, int] | None = None
    current: tuple[str, int, str | None] = ("", 1, None)  # the opening, before any heading
    paragraphs: list[tuple[int, str]] = []
    lines = text.splitlines()

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
        if is_heading(line):
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
            if (why := _paragraph_guess(line)) is not None:
                guesses.append(Guess(number, line, why))
    if pending_group is not None:  # a label with nothing under it is a heading of its own
        current, paragraphs = (pending_group[0], pending_group[1], None), []
        guesses[-1] = Guess(pending_group[1], pending_group[0], "heading (the last line)")
    close()
    return sections, guesses


def read(path: Path, data: bytes) -> Document:
    """Read a UTF-8 plain-text document (Windows line endings and a BOM are accepted)."""
    sections, guesses = _parse(decode_text(path, data))
    title = next((s.heading for s in sections if s.heading), "")
    return Document(path, "text", tuple(sections), title=title, guesses=tuple(guesses))
