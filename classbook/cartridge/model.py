"""What a cartridge holds: the book's modules and their items, as plain typed values."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

#: A module's or part's key: identifiers and folder names are made from it, so it is ASCII.
KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: A file's name inside the package: ASCII, since some importers mishandle other names.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _check_key(kind: str, key: str) -> None:
    if not KEY.fullmatch(key):
        raise ValueError(
            f"cartridge: {kind} key {key!r} must be 1-64 lower-case ASCII letters, digits "
            "or hyphens (it names identifiers and folders in the package)"
        )


@dataclass(frozen=True)
class WebLink:
    """A link to a page: ``href`` is relative to the site's base URL, or absolute."""

    title: str
    href: str


@dataclass(frozen=True)
class File:
    """A file copied into the package, such as a handout PDF or the EPUB."""

    title: str
    source: Path
    #: Its name in the package; the source's name when empty.
    name: str = ""

    @property
    def package_name(self) -> str:
        """The name the file has in the package (checked to be plain ASCII)."""
        name = self.name or self.source.name
        if not FILE_NAME.fullmatch(name):
            raise ValueError(
                f"cartridge: file name {name!r} ({self.title!r}) must be plain ASCII "
                "letters, digits, dots, hyphens or underscores; give File(name=...)"
            )
        return name


@dataclass(frozen=True)
class Discussion:
    """A discussion topic: the questions (plain text) and a link back to their page."""

    title: str
    questions: tuple[str, ...]
    #: The page the topic links back to (relative to the base URL, or absolute).
    href: str
    #: The text of that link, such as the chapter's title.
    link_text: str
    #: An optional sentence (plain text) before the questions.
    intro: str = ""


@dataclass(frozen=True)
class Page:
    """An HTML page in the package, such as an assignment's instructions."""

    title: str
    #: The page's content as an HTML fragment; scripts, handlers and unsafe links are dropped.
    body: str
    name: str = "instructions.html"
    #: The resource's CC ``intendeduse``: ``assignment`` (CC 1.3 only) marks an
    #: assignment's instructions.
    intended_use: Literal["assignment", "lessonplan", "syllabus", "unspecified"] | None = None


@dataclass(frozen=True)
class EssayQuiz:
    """A QTI 1.2 assessment of essay (free-text) questions, each plain text."""

    title: str
    questions: tuple[str, ...]

    def __post_init__(self) -> None:
        # The CC QTI profile's section holds at least one item.
        if not self.questions:
            raise ValueError(f"cartridge: the quiz {self.title!r} has no question")


Item = WebLink | File | Discussion | Page | EssayQuiz


@dataclass(frozen=True)
class Module:
    """One module of the course (a chapter, or an assignment) and its items, in order."""

    key: str
    title: str
    items: tuple[Item, ...]

    def __post_init__(self) -> None:
        _check_key("module", self.key)


@dataclass(frozen=True)
class Part:
    """One of the book's parts: a folder of modules."""

    key: str
    title: str
    modules: tuple[Module, ...]

    def __post_init__(self) -> None:
        _check_key("part", self.key)


@dataclass(frozen=True)
class Cartridge:
    """A whole cartridge: its metadata and its contents in book order."""

    #: Names the package (its manifest identifier); ASCII like a module's key.
    key: str
    title: str
    #: BCP 47 language of the text, such as ``en`` or ``ar``.
    language: str
    licence: str
    licence_url: str
    authors: tuple[str, ...]
    version: str
    date: dt.date
    description: str
    contents: tuple[Part | Module, ...]
    #: Writing direction of the HTML the cartridge carries.
    direction: Literal["ltr", "rtl"] = "ltr"
    publisher: str = ""

    def __post_init__(self) -> None:
        _check_key("cartridge", self.key)
        # Parts and modules name folders and identifiers: one key, one of them.
        keys: list[str] = []
        for entry in self.contents:
            keys.append(entry.key)
            if isinstance(entry, Part):
                keys += [module.key for module in entry.modules]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"cartridge: keys used twice: {', '.join(repeated)}")

    def modules(self) -> list[Module]:
        """Every module, in order, parts flattened."""
        found: list[Module] = []
        for entry in self.contents:
            found += entry.modules if isinstance(entry, Part) else (entry,)
        return found


@dataclass(frozen=True)
class Assignment:
    """One assignment: a cartridge of a single module (see :func:`assignment_cartridge`)."""

    key: str
    title: str
    course: str
    language: str
    licence: str
    licence_url: str
    authors: tuple[str, ...]
    version: str
    date: dt.date
    #: The instructions as an HTML fragment (rendered Markdown).
    instructions: str
    due: dt.date | None = None
    #: How the page labels the due date, in the book's language.
    due_label: str = "Due:"
    #: The due date as the page prints it; ISO 8601 when empty.
    due_text: str = ""
    #: Title of the instructions page; the assignment's title when empty.
    instructions_title: str = ""
    reading: tuple[WebLink, ...] = ()
    packet: tuple[File, ...] = ()
    discussions: tuple[Discussion, ...] = ()
    quiz: EssayQuiz | None = None
    direction: Literal["ltr", "rtl"] = "ltr"
    publisher: str = ""
