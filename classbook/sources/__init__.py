"""The sources stage: a plain-text, Markdown or Word document in, headed sections of its text out
(``document`` holds what a reader makes; ``reader`` picks the reader; ``text``, ``markdown``
and ``word`` are the readers; ``scaffold`` writes a book project from a document)."""

from classbook.sources.document import (
    Block,
    Document,
    Guess,
    Section,
    SourceError,
    decode_text,
    normalise,
    slugify,
)
from classbook.sources.reader import read, read_source

__all__ = [
    "Block",
    "Document",
    "Guess",
    "Section",
    "SourceError",
    "decode_text",
    "normalise",
    "read",
    "read_source",
    "slugify",
]
