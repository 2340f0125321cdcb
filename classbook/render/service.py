"""The render service: one pool of workers for a whole build, its queue, its cache, its futures."""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from classbook.render import numbering
from classbook.render.cache import RenderCache
from classbook.render.jobs import Book, Job, Layout, RenderError, Result
from classbook.render.pool import WorkerDiedError, WorkerPool
from classbook.render.worker import (
    PRELOAD,
    init_worker,
    merge_book,
    number_in_worker,
    render_in_worker,
)

#: Seconds a worker may take beyond a job's own timeout before the parent gives up on it
#: (a worker stuck in C code never sees its alarm).
GRACE = 60


class RenderSink(Protocol):
    """What the builders submit their PDFs to: the build's :class:`RenderService`, or, in a
    process beside the build, a forwarder to it (classbook.publish.aside.Forward)."""

    def submit(self, job: Job, *, urgent: bool = False) -> Future[Result]:
        """Lay out ``job``; ``urgent``: before every other job (the caller waits for it)."""
        ...

    def submit_book(
        self, book: Book, parts: Sequence[Future[Result]] | None = None
    ) -> Future[Result]:
        """Lay out a book's parts (or take the futures of those already submitted), number
        their pages and merge them."""
        ...

    def wait(self, futures: Sequence[Future[Result]]) -> list[Result]:
        """The results of ``futures`` in their order; a failure raises RenderError."""
        ...

    def future(self, label: str) -> Future[Result] | None:
        """The PDF ``label`` (``pdf/x-a4.pdf``) submitted in this build, if any."""
        ...


@dataclass(order=True)
class _Pending:
    priority: tuple[int, int, int]
    sequence: int
    job: Job = field(compare=False)
    future: Future[Result] = field(compare=False)
    #: What the worker runs, and with what (a render by default; a book's merge).
    task: Callable[..., Result] = field(default=render_in_worker, compare=False)
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
        self._by_label: dict[str, Future[Result]] = {}
        #: Seconds callers spent in ``wait`` (a step's own time is its time less these).
        self.waited = 0.0

    # -- Submitting ------------------------------------------------------------------------

    def future(self, label: str) -> Future[Result] | None:
        return self._by_label.get(label)

    def submit(self, job: Job, *, urgent: bool = False) -> Future[Result]:
        future: Future[Result] = Future()
        self.futures.append(future)
        self._by_label[job.name] = future
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
        self._by_label[book.job.name] = future
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
        plan = numbering.Plan.of(layouts)
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
            numbered.append(self._task(job, number_in_worker, args, reported=False))
        self._when_all(numbered, outcome, lambda done: self._merge(book, parts, done, outcome))

    def _merge(
        self, book: Book, parts: list[Result], numbered: list[Result], outcome: Future[Result]
    ) -> None:
        merged = self._task(
            book.job, merge_book, (book, parts, numbered), inline=self.merge_in_caller
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
        # Starting early only saves time. A failure here (the fork server gone, say) is met
        # again, and reported, when a job starts the pool in the build's own thread; a build
        # that failed before its first job must not end with this thread's traceback.
        with self._lock, contextlib.suppress(OSError):
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
            self._pool = WorkerPool(self.workers, context, self._finished, init_worker)
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
