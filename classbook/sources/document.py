"""What a source reader makes of a document: its headed sections, their blocks and text units,
what it says of itself; and the text helpers every reader and check shares."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


class SourceError(ValueError):
    """A source document that cannot be read as a book, with the file and line to fix."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.line = Path(path), line
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


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


@dataclass(frozen=True)
class Section:
    """One headed section of the source: its heading, grouping label and content.

    The text before the first heading (a book's opening) is a section whose heading is "".
    """

    heading: str
    line: int
    group: str | None = None
    blocks: tuple[Block, ...] = field(default=())

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The plain text of every paragraph, list item and table cell, in order."""
        return tuple(unit for block in self.blocks if not block.level for unit in block.units)

    @property
    def texts(self) -> tuple[str, ...]:
        """Everything a reader reads of the section: heading, sub-headings and paragraphs."""
        texts = [self.heading] if self.heading else []
        return tuple(texts + [unit for block in self.blocks for unit in block.units])


@dataclass(frozen=True)
class Guess:
    """A line whose role the reader had to decide from its shape alone."""

    line: int
    text: str
    decision: str


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
