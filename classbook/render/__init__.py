"""Render print HTML to PDF with WeasyPrint in one worker pool: paths in, path out; no Sphinx."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import heapq
import io
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from classbook.render import merge, pdfua
from classbook.render.cache import RenderCache
from classbook.render.merge import Layout, Numbers
from classbook.render.pagestarts import page_starts
from classbook.render.workers import WorkerDiedError, WorkerPool

#: CSS page sizes by the paper names used in configuration and file names.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
#: How readers and teachers name the same papers.
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}
#: Tagged PDF for screen readers; WeasyPrint's PDF/UA-1 variant also sets /Lang and title.
PDF_VARIANT = "pdf/ua-1"
#: Seconds a worker may take beyond a job's own timeout before the parent gives up on it
#: (a worker stuck in C code never sees its alarm).
GRACE = 60


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
    #: Where each page begins (classbook.pagestarts), for print page numbers elsewhere.
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


class _Collect(logging.Handler):
    """Keep WeasyPrint's log records so the caller can route them into its own log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


def make_fetcher(roots: Sequence[Path], served: list[str] | None = None) -> Any:
    """A URL fetcher that serves only ``data:`` URLs and files inside ``roots``.

    Content may come from contributors: a chapter must not pull ``/etc/passwd`` or any
    network resource into a PDF. Every file served is appended to ``served``: the render
    cache keys a PDF by their bytes too (an edited image keeps its name).
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
                if served is not None:
                    served.append(str(path))
            elif parts.scheme != "data":
                raise ValueError(f"refused {url}: only files inside the build are fetched")
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


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
            target[len(merge.XREF) :]
            for _kind, target, *_ in page.links
            if isinstance(target, str) and target.startswith(merge.XREF)
        )
    return Layout(len(document.pages), anchors, bookmarks, sorted(links))


def _keep_digits() -> None:
    """Embed every font with its digits, used or not.

    A book part prints placeholder zeros where page numbers go (classbook.render.merge
    writes the numbers once all parts are laid out); the digits that replace them must be
    in the embedded subset, with their widths and their text for copy and screen readers.
    """
    import weasyprint.pdf
    from fontTools.ttLib import TTFont

    original = weasyprint.pdf.build_fonts_dictionary
    if getattr(original, "classbook", False):
        return
    found: dict[str, dict[int, tuple[str, int]]] = {}
    wanted = "".join(merge.DIGITS.values())

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

    build.classbook = True  # type: ignore[attr-defined]
    weasyprint.pdf.build_fonts_dictionary = build


class _Renderer:
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
            # WeasyPrint's tagging breaks PDF/UA-1 rules of its own variant (render/pdfua.py).
            pdfua.repair(partial, pdfua.link_texts(document), pdfua.continuations(document))
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


_worker: _Renderer | BaseException | None = None


#: What the render workers' fork server imports once for all of them.
PRELOAD = ("weasyprint", "fontTools.ttLib", "classbook.render")


def _init_worker() -> None:
    global _worker  # noqa: PLW0603 - one renderer per worker process, by design
    try:
        _worker = _Renderer()
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


def _render_in_worker(job: Job) -> Result:
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


def _number_in_worker(job: Job, first_page: int, pages: dict[str, int], numbers: Numbers) -> Result:
    """Write a book part's page numbers (classbook.render.merge.number): ``job.html`` is the
    rendered part, ``job.pdf`` the numbered copy."""
    started = time.perf_counter()
    try:
        with _written(job.pdf, f"{job.html}: numbering the pages of {job.label}") as partial:
            merge.number(job.html, partial, first_page, pages, numbers)
    finally:
        _give_back_memory()
    return Result(job, seconds=time.perf_counter() - started)


def _merge_book(book: Book, parts: list[Result], numbered: list[Result]) -> Result:
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


@dataclass(order=True)
class _Pending:
    priority: tuple[int, int, int]
    sequence: int
    job: Job = field(compare=False)
    future: Future[Result] = field(compare=False)
    #: What the worker runs, and with what (a render by default; a book's merge).
    task: Callable[..., Result] = field(default=_render_in_worker, compare=False)
    args: tuple[Any, ...] = field(default=(), compare=False)
    #: The cache key its result is stored under (None: the job's own).
    key: str | None = field(default=None, compare=False)
    #: Whether its result is a progress line of its own (a part's numbering is not).
    reported: bool = field(default=True, compare=False)
    #: How many times its worker died under it (it is tried once more).
    deaths: int = field(default=0, compare=False)


class RenderService:
    """One pool of WeasyPrint workers for a whole build, sized to the cores.

    ``submit`` returns a future at once: a job whose cache entry is valid is resolved from
    the render cache, the others wait in a queue that hands the next free worker the book
    parts in the order they came, then the biggest document, so every core stays busy
    until the end. ``urgent`` jobs (whose result the build waits for before it can go on)
    jump the queue.
    """

    def __init__(
        self,
        *,
        cache: RenderCache | None = None,
        workers: int | None = None,
        on_result: Callable[[Result], None] | None = None,
        merge_in_caller: bool = False,
    ) -> None:
        self.cache = cache
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.on_result = on_result
        #: Merge books in the thread that waits for them (``wait``), not in a worker.
        self.merge_in_caller = merge_in_caller
        self._pool: WorkerPool | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        #: Merges waiting for the caller's thread (``merge_in_caller``); None wakes it.
        self._inline: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._running: dict[int, tuple[_Pending, float]] = {}
        self._counter = itertools.count()
        #: Every future this service handed out, in submission order.
        self.futures: list[Future[Result]] = []
        #: How many of them missed the cache (are rendered).
        self.misses = 0
        #: The latest future of each job, by its progress label (``pdf/x-a4.pdf``).
        self.by_label: dict[str, Future[Result]] = {}
        #: Seconds callers spent in ``wait`` (a step's own time is its time less these).
        self.waited = 0.0

    # -- Submitting ------------------------------------------------------------------------

    def submit(self, job: Job, *, urgent: bool = False) -> Future[Result]:
        future: Future[Result] = Future()
        self.futures.append(future)
        self.by_label[job.name] = future
        if self.cache is not None and (hit := self.cache.fetch(job)) is not None:
            future.set_result(hit)
            self._report(hit)
            return future
        size = job.html.stat().st_size if job.html.exists() else 0
        # Biggest first keeps every core busy until the end, but a book's parts go first,
        # in the order they come: a book is numbered and merged only once all its parts
        # are laid out, and its smallest part (the title and contents) last would leave
        # that work, on one core, for after every handout.
        order = (0, 0) if job.part else (1, -size)
        pending = _Pending((0 if urgent else 1, *order), next(self._counter), job, future)
        with self._lock:  # a build submits from two threads (publish/aside.py)
            self.misses += 1
            heapq.heappush(self._queue, pending)
        self._dispatch()
        return future

    def submit_book(
        self, book: Book, parts: Sequence[Future[Result]] | None = None
    ) -> Future[Result]:
        """Lay out the parts of ``book`` (each cached alone), number their pages once all
        are laid out (each part apart, cached by what its numbers are), then merge them.
        ``parts``: the futures of ``book.parts`` when the caller submitted each as soon as
        it was written.

        An edit re-renders the part that holds it; when no page moved, every other part
        keeps its numbered PDF, and only the merge (about a second) runs again.
        """
        future: Future[Result] = Future()
        self.futures.append(future)
        self.by_label[book.job.name] = future
        if parts is None:
            parts = [self.submit(job) for job in book.parts]
        self._when_all(list(parts), future, lambda results: self._number(book, results, future))
        return future

    def _when_all(
        self,
        futures: list[Future[Result]],
        outcome: Future[Result],
        then: Callable[[list[Result]], None],
    ) -> None:
        """Call ``then`` with the results once every one of ``futures`` is done; a failure
        among them fails ``outcome`` instead."""
        remaining = [len(futures)]
        lock = threading.Lock()

        def done(_: Future[Result]) -> None:
            with lock:
                remaining[0] -= 1
                if remaining[0]:
                    return
            failed = next((f.exception() for f in futures if f.exception() is not None), None)
            if failed is not None:
                outcome.set_exception(failed)
                return
            try:
                then([f.result() for f in futures])
            except Exception as error:  # in the pool's result thread: hand it to the waiter
                outcome.set_exception(error)

        for future in futures:
            future.add_done_callback(done)

    def _number(self, book: Book, parts: list[Result], outcome: Future[Result]) -> None:
        layouts = [part.layout or Layout(part.pages) for part in parts]
        plan = merge.Plan.of(layouts)
        pages = plan.offsets[-1] + layouts[-1].pages
        if len(str(pages)) > book.numbers.width:
            outcome.set_exception(
                RenderError(
                    f"{book.job.pdf.name} has {pages} pages, more than its "
                    f"{book.numbers.width}-digit page numbers can show: set "
                    f"classbook_pdf_page_digits = {len(str(pages))} in conf.py"
                )
            )
            return
        numbered = []
        for part, layout, offset in zip(parts, layouts, plan.offsets, strict=True):
            job = dataclasses.replace(
                part.job,
                html=part.job.pdf,
                pdf=part.job.pdf.with_name(part.job.pdf.stem + "-numbered.pdf"),
                label=f"{part.job.name} (numbers)",
            )
            args = (job, offset + 1, plan.numbers_for(layout), book.numbers)
            numbered.append(self._task(job, _number_in_worker, args, reported=False))
        self._when_all(numbered, outcome, lambda done: self._merge(book, parts, done, outcome))

    def _merge(
        self, book: Book, parts: list[Result], numbered: list[Result], outcome: Future[Result]
    ) -> None:
        merged = self._task(
            book.job, _merge_book, (book, parts, numbered), inline=self.merge_in_caller
        )
        merged.add_done_callback(lambda f: _chain(f, outcome))

    def _task(
        self,
        job: Job,
        task: Callable[..., Result],
        args: tuple[Any, ...],
        *,
        reported: bool = True,
        inline: bool = False,
    ) -> Future[Result]:
        """Run ``task(*args)`` in the pool, first in the queue, unless the cache holds its
        output (keyed by the bytes of its inputs, which are files, and the arguments);
        ``inline``: in the thread that waits (``wait``) instead."""
        future: Future[Result] = Future()
        key = self.cache.task_key(job, args) if self.cache is not None else None
        if self.cache is not None and (hit := self.cache.fetch(job, key=key)):
            future.set_result(hit)
            if reported:
                self._report(hit)
            return future
        pending = _Pending((0, 0, 0), next(self._counter), job, future, task, args, key, reported)
        with self._lock:
            self.misses += reported
            if not inline:
                heapq.heappush(self._queue, pending)
        if inline:
            self._inline.put(pending)
            return future
        self._dispatch()
        return future

    def start(self) -> None:
        """Start the workers now, in the background: the fork server imports WeasyPrint
        and the workers set it up while the caller goes on (a job submitted meanwhile
        waits for them)."""
        threading.Thread(target=self._start_locked, name="render pool", daemon=True).start()

    def _start_locked(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._pool is None and not self._closed:
            context = multiprocessing.get_context("forkserver")
            # The workers are forked from one server process that has imported WeasyPrint
            # (about a second of one core each when spawned), and nothing else of the build's.
            context.set_forkserver_preload(list(PRELOAD))
            # The fork server starts multiprocessing's resource tracker again if it was
            # killed, with a warning; it tracks nothing of ours (the workers talk through
            # pipes, which hold no semaphore), so its death costs nothing to say.
            warnings.filterwarnings(
                "ignore",
                message="resource_tracker: process died unexpectedly",
                category=UserWarning,
            )
            self._pool = WorkerPool(self.workers, context, self._finished, _init_worker)
            self._pool.start()

    def _dispatch(self) -> None:
        with self._lock:
            # A result can still arrive while close() stops the pool: the pool's result
            # thread then calls back here, and must neither feed nor restart the pool.
            while not self._closed and self._queue and len(self._running) < self.workers:
                pending = heapq.heappop(self._queue)
                self._start()
                self._running[pending.sequence] = (pending, time.monotonic())
                assert self._pool is not None
                self._pool.run(pending.sequence, pending.task, pending.args or (pending.job,))

    def _finished(self, sequence: int, result: Any, error: BaseException | None) -> None:
        """A task ended in the pool (its thread). A job whose worker died is tried once
        more; if it dies again, it fails naming its document."""
        with self._lock:
            running = self._running.pop(sequence, None)
        if running is None:
            return
        pending = running[0]
        if not isinstance(error, WorkerDiedError):
            self._done(pending, result, error)
        elif pending.deaths:
            self._done(
                pending,
                None,
                RenderError(
                    f"{pending.job.html}: laying out {pending.job.name} failed twice: {error} "
                    "(killed, or out of memory)"
                ),
            )
        else:
            retry = dataclasses.replace(pending, sequence=next(self._counter), deaths=1)
            with self._lock:
                heapq.heappush(self._queue, retry)
            self._dispatch()

    def _done(self, pending: _Pending, result: Result | None, error: BaseException | None) -> None:
        # Runs in the pool's thread (or the caller's, for a merge run there).
        with self._lock:
            self._running.pop(pending.sequence, None)
        if result is not None and self.cache is not None:
            try:
                self.cache.store(result, key=pending.key)
            except OSError as store_error:  # a full disk costs the cache, not the build
                result.messages.append((logging.DEBUG, f"not cached: {store_error}"))
        if error is not None:
            pending.future.set_exception(error)
        else:
            assert result is not None
            pending.future.set_result(result)
            if pending.reported:
                self._report(result)
        self._dispatch()

    def _report(self, result: Result) -> None:
        if self.on_result is not None:
            self.on_result(result)

    # -- Waiting ---------------------------------------------------------------------------

    def wait(self, futures: Sequence[Future[Result]]) -> list[Result]:
        """The results of ``futures`` in their order; the first failure is raised.

        With ``merge_in_caller``, this thread merges the books whose parts are done.
        """
        started = time.perf_counter()
        try:
            return self._wait(futures)
        finally:
            self.waited += time.perf_counter() - started

    def _wait(self, futures: Sequence[Future[Result]]) -> list[Result]:
        results = []
        for future in futures:
            future.add_done_callback(lambda _: self._inline.put(None))
            while not future.done():
                try:
                    pending = self._inline.get(timeout=1)
                except queue.Empty:
                    self._check_stuck()
                    continue
                if pending is not None:
                    self._run_here(pending)
            try:
                results.append(future.result())
            except RenderError:
                raise
            except Exception as error:  # a worker died: a segfault in a C library
                raise RenderError(f"a WeasyPrint worker failed: {error}") from error
        return results

    def _run_here(self, pending: _Pending) -> None:
        """Run a merge in this thread. When the pool has nothing left to do, its workers
        stop first: a merge holds the whole book (pikepdf), and the idle workers' memory
        (WeasyPrint set up, about 100 MB each) would add to it at the build's peak."""
        with self._lock:
            idle = not self._queue and not self._running
            pool, self._pool = (self._pool, None) if idle else (None, self._pool)
        if pool is not None:  # started again by the next job, if any
            # The idle workers exit while the merge starts: the book grows in memory over
            # its first part files, and no worker is left by then.
            pool.close()
        try:
            result = pending.task(*pending.args)
        except Exception as error:  # the merge's own RenderError, or one of pikepdf's
            self._done(pending, None, error)
        else:
            self._done(pending, result, None)
        finally:
            if pool is not None:
                pool.join()

    def _check_stuck(self) -> None:
        now = time.monotonic()
        with self._lock:
            stuck = [
                p.job
                for p, started in self._running.values()
                if now - started > p.job.timeout + GRACE  # start-up included
            ]
        if stuck:
            raise RenderError(
                f"{stuck[0].html}: rendering {stuck[0].pdf.name} took longer than "
                f"{stuck[0].timeout:g} s and its worker does not answer"
            )

    def close(self) -> None:
        """Stop the workers at once (an interrupted or failed build waits for nothing)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(kill=True)
            pool.join()

    def __enter__(self) -> RenderService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chain(source: Future[Result], target: Future[Result]) -> None:
    """Resolve ``target`` as ``source`` was."""
    if (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


#: The service of the build in progress (set by the orchestrator); None: each builder
#: starts one of its own, as under a plain ``sphinx-build``.
active: RenderService | None = None
