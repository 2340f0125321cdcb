"""Render print HTML to PDF with WeasyPrint: paths in, path out; no Sphinx here."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: CSS page sizes by the paper names used in configuration and file names.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
#: Tagged PDF for screen readers; WeasyPrint's PDF/UA-1 variant also sets /Lang and title.
PDF_VARIANT = "pdf/ua-1"
#: Seconds the worker processes may take to start (not counted in any render's timeout).
STARTUP_TIMEOUT = 120


class RenderError(RuntimeError):
    """A document could not be rendered; the message names it."""


@dataclass(frozen=True)
class Job:
    """One PDF to render: an HTML file, the PDF to write and its paper size."""

    html: Path
    pdf: Path
    paper: str


@dataclass
class Result:
    """What rendering one job produced: the PDF and WeasyPrint's log messages."""

    job: Job
    pages: int = 0
    messages: list[tuple[int, str]] = field(default_factory=list)


class _Collect(logging.Handler):
    """Keep WeasyPrint's log records so the caller can route them into its own log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


def make_fetcher(roots: Sequence[Path]) -> object:
    """A URL fetcher that serves only ``data:`` URLs and files inside ``roots``.

    Content may come from contributors: a chapter must not pull ``/etc/passwd`` or any
    network resource into a PDF.
    """
    from weasyprint.urls import URLFetcher  # heavy import, workers only

    allowed = [root.resolve() for root in roots]

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> object:
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if not any(path.is_relative_to(root) for root in allowed):
                    raise ValueError(f"refused {url}: outside the build and static folders")
            elif parts.scheme != "data":
                raise ValueError(f"refused {url}: only files inside the build are fetched")
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


class _Renderer:
    """WeasyPrint set up once (fonts, stylesheets, fetcher) and reused for every job."""

    def __init__(self, stylesheets: Sequence[Path], roots: Sequence[Path]) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.fetcher = make_fetcher(roots)
        self.sheets = [
            CSS(filename=str(sheet), font_config=self.fonts, url_fetcher=self.fetcher)
            for sheet in stylesheets
        ]
        self.paper = {
            name: CSS(string=f"@page {{ size: {size}; }}", font_config=self.fonts)
            for name, size in PAPER_SIZES.items()
        }

    def render(self, job: Job) -> Result:
        from weasyprint import HTML

        result = Result(job)
        handler = _Collect()
        log = logging.getLogger("weasyprint")
        log.addHandler(handler)
        try:
            document = HTML(filename=str(job.html), url_fetcher=self.fetcher).render(
                stylesheets=[*self.sheets, self.paper[job.paper]], font_config=self.fonts
            )
            job.pdf.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: a reader never sees half a PDF.
            partial = job.pdf.with_name(job.pdf.name + ".part")
            document.write_pdf(partial, pdf_variant=PDF_VARIANT)
            os.replace(partial, job.pdf)
            result.pages = len(document.pages)
        finally:
            log.removeHandler(handler)
        result.messages = handler.records
        return result


_worker: _Renderer | BaseException | None = None


def _init_worker(stylesheets: Sequence[Path], roots: Sequence[Path]) -> None:
    global _worker  # noqa: PLW0603 - one renderer per worker process, by design
    # Ctrl-C reaches the whole process group: the parent stops the pool, and the workers
    # must not each die printing a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _worker = _Renderer(stylesheets, roots)
    except Exception as error:  # reported by the first job, not lost
        # A failing initializer would make the pool restart workers forever.
        _worker = error


def _ready() -> bool:
    """A no-op task: it runs once a worker has set WeasyPrint up."""
    return True


def _render_in_worker(job: Job) -> Result:
    if isinstance(_worker, BaseException):
        raise RenderError(f"could not set up WeasyPrint: {_worker}")
    assert _worker is not None
    return _worker.render(job)


def render_all(
    jobs: Sequence[Job],
    *,
    stylesheets: Sequence[Path],
    roots: Sequence[Path],
    timeout: float,
    workers: int | None = None,
) -> Iterator[Result]:
    """Render every job across worker processes, yielding results as they finish.

    Each worker sets WeasyPrint up once. A render that runs past ``timeout`` seconds stops
    every worker and raises :class:`RenderError` naming the document: pathological layouts
    can make WeasyPrint loop.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(workers, initializer=_init_worker, initargs=(stylesheets, roots))
    try:
        # Starting the workers (spawning, importing WeasyPrint, loading fonts) is no render's
        # time: wait for it before the clock of the first document starts.
        try:
            pool.apply_async(_ready).get(timeout=max(STARTUP_TIMEOUT, timeout))
        except multiprocessing.TimeoutError:
            raise RenderError(
                f"WeasyPrint did not start within {max(STARTUP_TIMEOUT, timeout):g} s"
            ) from None
        pending = [(job, pool.apply_async(_render_in_worker, (job,))) for job in jobs]
        for job, future in pending:
            try:
                yield future.get(timeout=timeout)
            except multiprocessing.TimeoutError:
                raise RenderError(
                    f"{job.html}: rendering {job.pdf.name} took longer than {timeout:g} s; "
                    "look for a layout WeasyPrint cannot finish (huge tables, deep nesting)"
                ) from None
            except Exception as error:  # a worker's error arrives here re-raised
                raise RenderError(
                    f"{job.html}: rendering {job.pdf.name} failed: {error}"
                ) from error
    finally:
        pool.terminate()
        pool.join()
