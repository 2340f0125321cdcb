"""The render worker: WeasyPrint set up once per process, a job's HTML in, a repaired PDF out;
a book part's numbering and a book's merge."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from classbook.outputs import PAPER_SIZES
from classbook.render import figures, merge, numbering, pdfua
from classbook.render.fetcher import make_fetcher
from classbook.render.jobs import (
    DIGITS,
    PDF_VARIANT,
    XREF,
    Book,
    Job,
    Layout,
    Numbers,
    RenderError,
    Result,
)
from classbook.render.pagestarts import page_starts


class _Collect(logging.Handler):
    """Keep WeasyPrint's log records so the caller can route them into its own log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


class _TimeoutError(Exception):
    """The job's deadline passed inside the worker."""


def _alarm(signum: int, frame: object) -> None:
    raise _TimeoutError


def _layout(document: Any) -> Layout:
    """A part's anchors and headings in PDF points (WeasyPrint lays out in CSS pixels, y
    down; its PDF pages are scaled by 0.75 and flipped)."""
    anchors: dict[str, tuple[int, float, float]] = {}
    bookmarks: list[tuple[int, str, int, float, float]] = []
    links: set[str] = set()
    for number, page in enumerate(document.pages):
        height = page.height
        for name, (x, y, *_) in page.anchors.items():
            anchors.setdefault(name, (number, x * 0.75, (height - y) * 0.75))
        for level, label, (x, y), _state in page.bookmarks:
            bookmarks.append((level, label, number, x * 0.75, (height - y) * 0.75))
        links.update(
            target[len(XREF) :]
            for _kind, target, *_ in page.links
            if isinstance(target, str) and target.startswith(XREF)
        )
    return Layout(len(document.pages), anchors, bookmarks, sorted(links))


def _keep_digits() -> None:
    """Embed every font with its digits, used or not.

    A book part prints placeholder zeros where page numbers go (classbook.render.numbering
    writes the numbers once all parts are laid out); the digits that replace them must be
    in the embedded subset, with their widths and their text for copy and screen readers.
    """
    import weasyprint.pdf
    from fontTools.ttLib import TTFont

    original = weasyprint.pdf.build_fonts_dictionary
    if getattr(original, "classbook", False):
        return
    found: dict[str, dict[int, tuple[str, int]]] = {}
    wanted = "".join(DIGITS.values())

    def digits(font: Any) -> dict[int, tuple[str, int]]:
        if font.hash not in found:
            glyphs: dict[int, tuple[str, int]] = {}
            try:
                face = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
                cmap = face.getBestCmap() or {}
                metrics = face["hmtx"]
                for char in wanted:
                    if (name := cmap.get(ord(char))) is not None:
                        width = round(metrics[name][0] * 1000 / font.upem)
                        glyphs[face.getGlyphID(name)] = (char, width)
            except Exception:  # a font fontTools cannot read keeps what it had
                glyphs = {}
            found[font.hash] = glyphs
        return found[font.hash]

    def build(pdf: Any, fonts: Any, compress: Any, subset: Any, options: Any) -> Any:
        for font in fonts.values():
            if font.bitmap:
                continue
            for glyph, (char, width) in digits(font).items():
                font.to_unicode.setdefault(glyph, char)
                font.widths.setdefault(glyph, width)
        return original(pdf, fonts, compress, subset, options)

    build.classbook = True  # type: ignore[attr-defined]  # a mark: patch once
    weasyprint.pdf.build_fonts_dictionary = build


class Renderer:
    """WeasyPrint set up once per worker (fonts, parsed stylesheets) and reused for every job."""

    def __init__(self) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        _keep_digits()

        self.fonts = FontConfiguration()
        self.paper = {
            name: CSS(string=f"@page {{ size: {size}; }}", font_config=self.fonts)
            for name, size in PAPER_SIZES.items()
        }
        #: Parsed stylesheets by (path, roots, size, mtime), with the files each one read.
        self.sheets: dict[tuple[Any, ...], tuple[Any, list[str]]] = {}

    def sheet(self, path: Path, roots: tuple[Path, ...]) -> tuple[Any, list[str]]:
        from weasyprint import CSS

        stat = path.stat()
        key = (str(path), roots, stat.st_size, stat.st_mtime_ns)
        if key not in self.sheets:
            served: list[str] = [str(path.resolve())]
            fetcher = make_fetcher(roots, served)
            css = CSS(filename=str(path), font_config=self.fonts, url_fetcher=fetcher)
            self.sheets[key] = (css, served)
        return self.sheets[key]

    def render(self, job: Job) -> Result:
        from weasyprint import HTML

        started = time.perf_counter()
        result = Result(job)
        handler = _Collect()
        log = logging.getLogger("weasyprint")
        log.addHandler(handler)
        partial = job.pdf.with_name(job.pdf.name + ".part")
        previous = signal.signal(signal.SIGALRM, _alarm)
        # The deadline runs in the worker, from the job's own start: queueing and start-up
        # are no render's time.
        signal.setitimer(signal.ITIMER_REAL, job.timeout)
        try:
            sheets = [self.sheet(path, job.roots) for path in job.stylesheets]
            served: list[str] = [str(job.html.resolve())]
            fetcher = make_fetcher(job.roots, served)
            document = HTML(filename=str(job.html), url_fetcher=fetcher).render(
                stylesheets=[*(css for css, _ in sheets), self.paper[job.paper]],
                font_config=self.fonts,
            )
            job.pdf.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: a reader never sees half a PDF.
            document.write_pdf(partial, pdf_variant=PDF_VARIANT)
            text = job.html.read_text(encoding="utf-8")
            if foreign := figures.foreign_formula_fonts(document.fonts.values(), job.html, text):
                partial.unlink()
                raise RenderError(
                    f"{job.html}: {job.pdf.name} drew its formulas with glyphs that are not its "
                    f"own ({', '.join(foreign)}): a fault of the pipeline, not of the book"
                )
            # WeasyPrint's tagging breaks PDF/UA-1 rules of its own variant (render/pdfua.py).
            pdfua.repair(
                partial,
                pdfua.link_texts(document),
                pdfua.continuations(document),
                figures.formula_alts(document),
                figures.glyph_speech(text),
            )
            os.replace(partial, job.pdf)
            result.pages = len(document.pages)
            result.page_starts = page_starts(document)
            if job.part:
                result.layout = _layout(document)
            result.served = sorted({*served, *(p for _, deps in sheets for p in deps)})
        except _TimeoutError:
            partial.unlink(missing_ok=True)
            raise RenderError(
                f"{job.html}: rendering {job.pdf.name} took longer than {job.timeout:g} s; "
                "look for a layout WeasyPrint cannot finish (huge tables, deep nesting)"
            ) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            log.removeHandler(handler)
        result.messages = handler.records
        result.seconds = time.perf_counter() - started
        return result


_worker: Renderer | BaseException | None = None


#: What the render workers' fork server imports once for all of them.
PRELOAD = ("weasyprint", "fontTools.ttLib", "classbook.render.worker")


def init_worker() -> None:
    global _worker  # noqa: PLW0603 - one renderer per worker process, by design
    try:
        _worker = Renderer()
    except Exception as error:  # reported by the first job, not lost
        # A failing initializer would make the pool restart workers forever.
        _worker = error


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc (Debian); elsewhere, nothing
    except (OSError, AttributeError):
        return None


def _give_back_memory() -> None:
    """Return the heap a finished job freed to the system (glibc keeps it otherwise): a
    worker stays at its set-up size between jobs, not at the size of its biggest job."""
    if (trim := _malloc_trim()) is not None:
        trim(0)


def render_in_worker(job: Job) -> Result:
    if isinstance(_worker, BaseException):
        raise RenderError(f"could not set up WeasyPrint: {_worker}")
    assert _worker is not None
    try:
        return _worker.render(job)
    except RenderError:
        raise
    except Exception as error:  # re-raised in the parent: keep it picklable and named
        raise RenderError(f"{job.html}: rendering {job.pdf.name} failed: {error}") from None
    finally:
        _give_back_memory()


@contextlib.contextmanager
def _written(target: Path, doing: str) -> Iterator[Path]:
    """A path beside ``target`` to write, renamed onto it when the block succeeds (a reader
    never sees half a PDF); on a failure it is removed and the error, re-raised in the
    parent, says what was being done (picklable and named)."""
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
        os.replace(partial, target)
    except Exception as error:
        partial.unlink(missing_ok=True)
        raise RenderError(f"{doing} failed: {error}") from None


def number_in_worker(job: Job, first_page: int, pages: dict[str, int], numbers: Numbers) -> Result:
    """Write a book part's page numbers (classbook.render.numbering.number): ``job.html`` is the
    rendered part, ``job.pdf`` the numbered copy."""
    started = time.perf_counter()
    try:
        with _written(job.pdf, f"{job.html}: numbering the pages of {job.label}") as partial:
            numbering.number(job.html, partial, first_page, pages, numbers)
    finally:
        _give_back_memory()
    return Result(job, seconds=time.perf_counter() - started)


def merge_book(book: Book, parts: list[Result], numbered: list[Result]) -> Result:
    """Merge a book's numbered parts into its PDF (classbook.render.merge), in a worker or
    in the thread that waits (RenderService.merge_in_caller)."""
    started = time.perf_counter()
    job = book.job
    layouts = [part.layout or Layout(part.pages) for part in parts]
    try:
        with _written(job.pdf, f"{job.html}: merging the parts of {job.pdf.name}") as partial:
            warnings = merge.merge([n.job.pdf for n in numbered], layouts, partial)
    finally:
        _give_back_memory()
    result = Result(job, pages=sum(layout.pages for layout in layouts))
    offset = 0
    for part, layout in zip(parts, layouts, strict=True):
        # Parts are laid out alone: their messages are the book's, their pages follow on.
        result.messages += [(level, message) for level, message in part.messages]
        result.page_starts += [
            {**start, "page": start["page"] + offset} for start in part.page_starts
        ]
        offset += layout.pages
    result.messages += [(logging.WARNING, warning) for warning in warnings]
    result.seconds = time.perf_counter() - started
    return result
