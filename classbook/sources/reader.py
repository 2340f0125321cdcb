"""Read a source document with the reader its extension calls for."""

from __future__ import annotations

import stat
from pathlib import Path

from classbook import gate
from classbook.sources import markdown, text, word
from classbook.sources.document import Document, Section, SourceError


def read(path: Path | str) -> Document:
    """Read the source document at ``path``, choosing the reader by its extension."""
    path = Path(path)
    readers = {".txt": text.read, ".md": markdown.read, ".docx": word.read, ".odt": word.read}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise SourceError(
            path,
            f"unsupported kind of document {path.suffix or '(no extension)'!r}; "
            "give a plain-text (.txt), Markdown (.md) or Word (.docx, .odt) file",
        )
    limit = gate.MAX_FILE_BYTES if reader is word.read else gate.MAX_TEXT_BYTES
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(path, "is not a regular file (a folder, device or pipe)")
        if info.st_size > limit:
            raise SourceError(
                path,
                f"has {info.st_size:,} bytes, more than new-book reads ({limit:,}): split it "
                "into several documents",
            )
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(path, f"cannot be read: {error.strerror}") from None
    if not data.strip():
        raise SourceError(path, "is empty: there is no text to make a book of")
    return reader(path, data)


def read_source(path: Path | str) -> list[Section]:
    """The sections of the source document at ``path``."""
    return list(read(path).sections)
