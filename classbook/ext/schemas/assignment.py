"""The schema of an assignment file (``assignments/<slug>.yml``): what a packet holds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from classbook import outputs
from classbook.ext.schemas.base import IsoDate, OptionalText, Strict, item_errors
from classbook.ext.schemas.validation import kind
from classbook.sources import slugify

#: What the response sheet may have, as the ``include`` key names it.
Include = Literal["questions", "answer-space"]
INCLUDE_CHOICES: tuple[Include, ...] = get_args(Include)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book as assignments name it."""

    number: int
    docname: str
    slug: str  # the file name without its number: "background"
    title: str
    labels: tuple[str, ...] = ()


class Assignment(Strict):
    """One assignment file, its chapters found in the book.

    Context: ``path`` (the file), ``book`` (the :class:`Chapter` list, in reading order),
    ``paper_sizes`` and ``default_paper`` (``classbook_paper_sizes`` and
    ``classbook_default_paper``).
    """

    title: str = Field(description="give the assignment a title")
    course: OptionalText = ""
    due: IsoDate | None = Field(None, description="for example 2026-12-01")
    instructions: OptionalText = ""
    # No default: the validator says what is missing, and names the book's chapters.
    chapters: list[Chapter] = Field(None, validate_default=True)
    include: frozenset[Include] = Field(
        frozenset(INCLUDE_CHOICES),
        description=f"list any of: {', '.join(INCLUDE_CHOICES)} (such as [questions])",
    )
    papers: list[str] = Field(None, alias="paper", validate_default=True)
    _path: Path = PrivateAttr()

    @field_validator("chapters", mode="before")
    @classmethod
    def _find(cls, value: Any, info: ValidationInfo) -> list[Chapter]:
        # ValidationInfo.context may be None to mypy; validate() always passes a dict.
        book: Sequence[Chapter] = info.context["book"]  # type: ignore[index]
        choices = _choices(book)
        if value is None:
            raise ValueError(f"'chapters' is missing; list the chapters to read, {choices}")
        if not isinstance(value, list) or not value:
            raise ValueError(
                f"'chapters' must be a list such as [1, 2, background], not {kind(value)}; "
                f"name each chapter by {choices}"
            )
        by_name = {str(c.number): c for c in book}
        by_name |= {c.slug: c for c in book}
        by_name |= {label: c for c in book for label in c.labels}
        chosen: list[Chapter] = []
        problems: list[tuple[int, Any, str]] = []
        for index, item in enumerate(value):
            found = None
            if isinstance(item, (int, str)) and not isinstance(item, bool):
                found = by_name.get(str(item).strip())
            if found is None:
                problems.append(
                    (index, item, f"no chapter {item!r}; name each of 'chapters' by {choices}")
                )
            elif found in chosen:
                message = f"chapter {found.number} ({found.slug}) is listed twice in 'chapters'"
                problems.append((index, item, message))
            else:
                chosen.append(found)
        if problems:
            raise item_errors(cls.__name__, problems)
        return chosen

    @field_validator("papers", mode="before")
    @classmethod
    def _papers(cls, value: Any, info: ValidationInfo) -> list[str]:
        context = info.context or {}
        sizes: list[str] = list(context["paper_sizes"])
        value = context["default_paper"] if value is None else value
        if value == "both":
            return sizes
        if isinstance(value, str) and value in sizes:
            return [value]
        raise ValueError(f"paper {value!r} is not one of {', '.join([*sizes, 'both'])}")

    @model_validator(mode="after")
    def _keep_path(self, info: ValidationInfo) -> Assignment:
        self._path = Path((info.context or {})["path"])
        return self

    @property
    def path(self) -> Path:
        return self._path

    @property
    def slug(self) -> str:
        """The packet's and the web page's name: the file's name."""
        return self._path.stem

    @property
    def questions(self) -> bool:
        return bool(self.include)  # answer space implies the questions it is for

    @property
    def answer_space(self) -> bool:
        return "answer-space" in self.include

    @property
    def due_text(self) -> str:
        if self.due is None:
            return ""
        return f"{self.due:%A} {self.due.day} {self.due:%B %Y}"

    def packet_name(self, paper: str) -> str:
        """The file name of this assignment's packet on ``paper`` (classbook.outputs)."""
        return outputs.packet(self.slug, paper)


def _choices(book: Sequence[Chapter]) -> str:
    """The valid chapter names, for error messages."""
    if not book:
        return "the book has no chapters"
    names = []
    for chapter in book:
        extra = [label for label in chapter.labels if label != chapter.slug]
        names.append(chapter.slug + (f" (or {', '.join(extra)})" if extra else ""))
    return f"a number from 1 to {len(book)} or one of: {', '.join(names)}"


def file_name_problem(path: Path) -> str | None:
    """What is wrong with an assignment file's name (it becomes addresses), if anything."""
    if _SLUG.match(path.stem):
        return None
    return (
        "name the file in lowercase letters, digits and hyphens (it becomes the packet's and "
        f"the web page's name), e.g. '{slugify(path.stem, 'packet')}.yml'"
    )
