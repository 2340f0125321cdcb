"""What a render is made of: papers, jobs, results, books and their parts' layouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Tagged PDF for screen readers; WeasyPrint's PDF/UA-1 variant also sets /Lang and title.
PDF_VARIANT = "pdf/ua-1"
#: The scheme of links between parts: the print HTML's internal links (see
#: classbook.builders.parts), pointed at their anchors by the merge.
XREF = "classbook-xref:"
#: Digits by CSS counter style: the placeholders and the numbers put in their place.
DIGITS = {
    "decimal": "0123456789",
    "arabic-indic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "persian": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
}


@dataclass(frozen=True)
class Layout:
    """What a part's render knows and its PDF does not say plainly (from WeasyPrint)."""

    pages: int
    #: Anchor name -> (page index in the part, x, y in PDF points).
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    #: (level, label, page index in the part, x, y) of each heading, in order.
    bookmarks: list[tuple[int, str, int, float, float]] = field(default_factory=list)
    #: The anchors its links between parts name.
    links: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Numbers:
    """How page numbers are printed: placeholders of ``width`` zeros of ``style``."""

    style: str = "decimal"
    width: int = 3

    def text(self, number: int) -> str:
        digits = DIGITS[self.style]
        return "".join(digits[int(d)] for d in str(number))

    @property
    def placeholder(self) -> str:
        return DIGITS[self.style][0] * self.width


class RenderError(RuntimeError):
    """A document could not be rendered; the message names it."""


@dataclass(frozen=True)
class Job:
    """One PDF to render: an HTML file, the PDF to write, its paper and its print setup."""

    html: Path
    pdf: Path
    paper: str
    stylesheets: tuple[Path, ...] = ()
    #: Folders the renderer may read (the build, the theme); nothing else is fetched.
    roots: tuple[Path, ...] = ()
    #: How progress lines name it, e.g. ``handouts/04-february-2-a4.pdf``.
    label: str = ""
    #: Seconds the layout may take (``classbook_render_timeout``): some layouts never end.
    timeout: float = 300.0
    #: A part of a book: report its anchors and headings for the merge (Result.layout).
    part: bool = False

    @property
    def name(self) -> str:
        return self.label or self.pdf.name


@dataclass
class Result:
    """What rendering one job produced: the PDF and WeasyPrint's log messages."""

    job: Job
    pages: int = 0
    messages: list[tuple[int, str]] = field(default_factory=list)
    #: Files WeasyPrint read for it (images, fonts, stylesheets' imports).
    served: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: True when the PDF came from the render cache.
    reused: bool = False
    #: Where each page begins (classbook.render.pagestarts), for print page numbers elsewhere.
    page_starts: list[dict[str, Any]] = field(default_factory=list)
    #: A book part's anchors and headings (Job.part).
    layout: Layout | None = None


@dataclass(frozen=True)
class Book:
    """A book PDF laid out in parts at once and merged: its own job (the PDF, its label and
    timeout; ``html`` is the first part's) and the parts' jobs, in reading order."""

    job: Job
    parts: tuple[Job, ...]
    numbers: Numbers = field(default_factory=Numbers)
