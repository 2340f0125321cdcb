"""What a source reader makes of a document: its headed sections, their blocks and text units,
what it says of itself; and the text helpers every reader and check shares."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A source document that cannot be read as a book, with the file and the place to fix:
    a line, or for a Word file a paragraph (``place``: "paragraph 12 ('First words…')")."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, place: str = ""
    ) -> None:
        self.path, self.line = Path(path), line
        where = f":{line}" if line else f": {place}" if place else ""
        super().__init__(f"{path}{where}: {message}")


@dataclass(frozen=True)
class Block:
    """A run of a section's content: a sub-heading (``level`` ≥ 2) or text (``level`` 0).

    ``markdown`` is what a chapter holds (MyST Markdown; plain paragraphs for a text
    source), ``units`` the plain text of each paragraph, list item and table cell in it.
    """

    markdown: str
    line: int
    level: int = 0
    units: tuple[str, ...] = ()  # a sub-heading's: its own text
    #: How a plain-text block is printed: "paragraphs" (lines joined), "lines" (each line
    #: kept: verse, lists) or "preformatted" (kept as written, monospace: diagrams, tables).
    layout: str = "paragraphs"
    #: "source" (the document's text, in a source-text block); outside it: "note"
    #: (new-book's own words for the reader of the draft: an image left out), "rule" (a
    #: thematic break), "teacher" (kept for the teacher edition only), "definitions" (the
    #: link definitions the section's text uses).
    kind: str = "source"
    #: Labels written above a sub-heading, for links to it from anywhere in the book.
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One headed section of the source: its heading, grouping label and content.

    The text before the first heading (a book's opening) is a section whose heading is "".
    """

    heading: str
    line: int
    group: str | None = None
    blocks: tuple[Block, ...] = field(default=())
    #: The printed title of a section without a heading of its own (back matter such as a
    #: Project Gutenberg licence); our words, not the source's.
    title: str = ""
    #: The heading as Markdown (emphasis, code kept), and labels written above it.
    markdown: str = ""
    targets: tuple[str, ...] = ()
    #: The heading as a text unit, its formulas marked (sources/myst.py formula_mark).
    unit: str = ""

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The plain text of every paragraph, list item and table cell, in order."""
        return tuple(unit for block in self.blocks if not block.level for unit in block.units)

    @property
    def texts(self) -> tuple[str, ...]:
        """Everything a reader reads of the section: heading, sub-headings and paragraphs."""
        texts = [self.unit or self.heading] if self.heading else []
        return tuple(texts + [unit for block in self.blocks for unit in block.units])


@dataclass(frozen=True)
class Guess:
    """A line whose role the reader had to decide from its shape alone."""

    line: int
    text: str
    decision: str


@dataclass(frozen=True)
class Note:
    """One line of new-book's report: where in the document, and what was decided or found."""

    place: str  # "12" (a line), "paragraph 7 ('First words…')" (Word), or "" (the whole)
    message: str


@dataclass(frozen=True)
class Document:
    """A source document read into sections, with what it says of itself."""

    path: Path
    format: str  # "text", "markdown" or "word": how chapters hold and check its text
    sections: tuple[Section, ...]
    title: str = ""
    author: str = ""
    guesses: tuple[Guess, ...] = ()
    #: Images the document carries (Word), by the relative path its Markdown uses.
    media: dict[str, bytes] = field(default_factory=dict)
    #: What new-book must tell its user: one line each (a decision, a problem).
    notes: tuple[Note, ...] = ()
    #: More of what the document says of itself (subtitle, date, abstract): conf.py values.
    metadata: dict[str, str] = field(default_factory=dict)
    #: The images its chapters show or left out (markdown.Image), for new-book to copy.
    images: tuple[Any, ...] = ()
    #: TeX commands its formulas use, defined by the book it comes from (bookconfig.py).
    macros: dict[str, str] = field(default_factory=dict)


def slugify(text: str, fallback: str = "book") -> str:
    """A file-name-safe ASCII slug: ``Été à Genève`` → ``ete-a-geneve`` (``fallback`` when
    nothing ASCII is left, as for an Arabic title)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or fallback


def normalise(text: str) -> str:
    """Fold whitespace and undo line-break hyphenation, for comparing extracted text."""
    text = text.replace("\u00ad", "")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.split())


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text (a byte-order mark allowed), or an error naming the first bad line."""
    if b"\0" in data:
        raise SourceError(path, "is not a text file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(path, "is not UTF-8 text; save it as UTF-8", line) from None
