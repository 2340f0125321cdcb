"""BibTeX files as input: size, macro expansion and link schemes, checked before they are parsed.

sphinxcontrib-bibtex (pybtex) parses the book's ``.bib`` files whole and expands every
``@string`` macro as it goes: thirty lines that each join the one before to itself stand for
a gigabyte of text, and the parser runs until memory runs out. Before it reads them, each
file is scanned here: its size against ``classbook_max_text_bytes``, the length every value
would expand to (counted, never built beyond the limit) and every address an entry links to
(``url``, ``doi``, ``\\url{…}``, ``\\href{…}``) against the one allow-list of
:mod:`classbook.urls`. Each problem names the file, the line and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.errors import SphinxError
from sphinx.util import logging

from classbook import urls

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_LINK_COMMAND = re.compile(r"\\(?:url|href)\s*\{([^{}]*)\}")
#: Fields whose whole value is an address the bibliography links to.
_URL_FIELDS = frozenset({"url", "doi"})


class BibError(SphinxError):
    """A BibTeX file that must not be parsed (a bomb, or too big); the message says where."""

    category = "BibTeX file refused"


@dataclass
class _Scanner:
    """A tolerant reading of a BibTeX file: the values of its macros and fields, with the
    line each starts on. What it cannot make sense of it leaves to pybtex's own messages."""

    text: str
    limit: int
    pos: int = 0
    #: Each macro's value (pybtex's month names are three letters: counted as such).
    macros: dict[str, str] = field(default_factory=dict)
    #: Characters of expanded values so far, over the whole file.
    expanded: int = 0

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def braced(self, close: str) -> str:
        """The text from just after the opening character at ``pos`` to the ``close`` that
        ends it; braces nest, and a ``close`` inside them does not end it."""
        depth, start = 0, self.pos + 1
        for index in range(start, len(self.text)):
            char = self.text[index]
            if char == close and depth == 0:
                self.pos = index + 1
                return self.text[start:index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
        self.pos = len(self.text)
        return self.text[start:]

    def value(self, where: str) -> str:
        """One value: parts joined by ``#``, each a braced or quoted text, a number or a
        macro, counted before it is built."""
        parts: list[str] = []
        while True:
            self.skip_space()
            char = self.text[self.pos : self.pos + 1]
            if char == "{":
                parts.append(self.braced("}"))
            elif char == '"':
                parts.append(self.braced('"'))
            elif match := _NAME.match(self.text, self.pos):
                self.pos = match.end()
                name = match.group().lower()
                parts.append(name if name.isdigit() else self.macros.get(name, name[:3]))
            else:
                break
            size = sum(map(len, parts))
            if size > self.limit or self.expanded + size > self.limit:
                raise BibError(
                    f"{where} expands to more than {self.limit:,} characters (its @string "
                    "macros join each other over and over): write the text out, or raise "
                    "classbook_max_text_bytes in conf.py if it really is this long"
                )
            self.skip_space()
            if self.text[self.pos : self.pos + 1] != "#":
                break
            self.pos += 1
        built = "".join(parts)
        self.expanded += len(built)
        return built

    def entries(self) -> Iterator[tuple[int, str, str, str]]:
        """(line, entry key, field name, value) of every field of every entry."""
        while (at := self.text.find("@", self.pos)) >= 0:
            self.pos = at + 1
            match = _NAME.match(self.text, self.pos)
            if not match:
                continue
            kind = match.group().lower()
            self.pos = match.end()
            self.skip_space()
            opener = self.text[self.pos : self.pos + 1]
            if opener not in {"{", "("}:
                continue
            close = "}" if opener == "{" else ")"
            if kind == "comment":
                self.braced(close)
                continue
            self.pos += 1
            yield from self._body(kind, close)

    def _body(self, kind: str, close: str) -> Iterator[tuple[int, str, str, str]]:
        key = ""
        if kind not in {"string", "preamble"}:
            end = self.text.find(",", self.pos)
            if end < 0:
                return
            key = self.text[self.pos : end].strip()
            self.pos = end + 1
        while True:
            self.skip_space()
            if self.text[self.pos : self.pos + 1] in {close, ""}:
                self.pos += 1
                return
            start = self.pos
            if kind == "preamble":
                self.value(f"the @preamble on line {self.line(start)}")
                continue
            match = _NAME.match(self.text, self.pos)
            if not match:
                return
            name = match.group().lower()
            self.pos = match.end()
            self.skip_space()
            if self.text[self.pos : self.pos + 1] != "=":
                return
            self.pos += 1
            what = f"@string {name}" if kind == "string" else f"the field {name} of {key}"
            value = self.value(f"{what} (line {self.line(start)})")
            if kind == "string":
                self.macros[name] = value
            else:
                yield self.line(start), key, name, value
            self.skip_space()
            if self.text[self.pos : self.pos + 1] == ",":
                self.pos += 1


def links(name: str, value: str) -> list[str]:
    """The addresses a field's value makes links of."""
    found = [m.group(1).strip() for m in _LINK_COMMAND.finditer(value)]
    if name == "url":
        found.append(value.strip().strip("{}").strip())
    return found


def check_file(path: Path, limit: int) -> Iterator[tuple[int, str]]:
    """(line, problem) for each link an entry of ``path`` may not have; raises
    :class:`BibError` for a file too big or one whose macros expand beyond ``limit``."""
    size = path.stat().st_size
    if size > limit:
        raise BibError(
            f"{path} has {size:,} bytes, more than the limit of {limit:,}: split it, or "
            "raise classbook_max_text_bytes in conf.py if it really is this large"
        )
    scanner = _Scanner(path.read_text(encoding="utf-8", errors="replace"), limit)
    try:
        for line, key, name, value in scanner.entries():
            if name == "doi" and urls.remote(value.strip()) and not urls.allowed(value.strip()):
                yield (
                    line,
                    f"the entry {key} has the doi {value.strip()[:60]!r}: give the DOI alone",
                )
            for uri in links(name, value):
                if not urls.allowed(uri):
                    yield (
                        line,
                        f"the entry {key} links to {uri[:60]!r} in its field {name}: link to "
                        f"{urls.ALLOWED}",
                    )
    except BibError as error:
        raise BibError(f"{path}: {error}") from None


def check(app: Sphinx) -> None:
    """Scan the book's BibTeX files before sphinxcontrib-bibtex parses them."""
    limit = app.config.classbook_max_text_bytes
    for name in getattr(app.config, "bibtex_bibfiles", ()):
        path = Path(app.confdir, name)
        if not path.is_file():
            continue  # sphinxcontrib-bibtex names it
        try:
            problems = list(check_file(path, limit))
        except OSError as error:
            raise BibError(f"{path}: {error}") from None
        for line, problem in problems:
            logger.warning(
                "%s", problem, location=f"{path}:{line}", type="classbook", subtype="bibtex"
            )


def setup(app: Sphinx) -> None:
    """Check the BibTeX files first thing, before sphinxcontrib-bibtex (priority 500)."""
    app.connect("builder-inited", check, priority=400)
