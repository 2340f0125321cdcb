"""Steps beside the build: an edition's builders in a process of their own, their PDFs
laid out by the build's one render pool."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from classbook import render
from classbook.render.service import RenderService


class Forward:
    """The render service (a :class:`~classbook.render.service.RenderSink`) of the steps in
    a process beside the build: every job and book its builders submit goes to the build's
    service (see :class:`Aside`), which lays it out and publishes it with the rest; nothing
    is laid out here, and nothing is waited for."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def submit(self, job: render.Job, *, urgent: bool = False) -> Future[render.Result]:
        if urgent:
            # The results stay in the build's process: a builder that waits for its PDFs
            # (packets, EPUB, handouts) cannot run beside it.
            raise render.RenderError(f"{job.name}: a step run aside cannot wait for a PDF")
        self.channel.send(("job", job))
        return Future()

    def submit_book(
        self, book: render.Book, parts: Sequence[Future[render.Result]] | None = None
    ) -> Future[render.Result]:
        self.channel.send(("book", book, parts is not None))
        return Future()

    def wait(self, futures: Sequence[Future[render.Result]]) -> list[render.Result]:
        raise render.RenderError("a step run aside cannot wait for a PDF")

    def future(self, label: str) -> Future[render.Result] | None:
        return None  # its PDFs' results stay in the build's process


class Aside:
    """A process running ``target(channel, *args)`` beside the build, and a thread that
    submits what it sends to the build's render service as it comes.

    ``target`` hands a :class:`Forward` on ``channel`` to its steps' builders, runs them
    and ends with ``channel.send(("done", failed, timings, output))``: the name of the step
    that failed (or None), the seconds of each and what it would have printed on stderr,
    held back for the build to show (see :meth:`join`). ``name`` is what failed if it ends
    otherwise.

    The process is forked when the build's other threads are all marked ``fork_safe``
    (they hold no lock a child could need: the interrupt watchdog), as under ``python -m
    classbook`` before the render pool starts its threads: it starts with the modules the
    build has imported (Sphinx, the extension), half a second sooner than a spawned one.
    Inside another program with threads of its own, whose locks a fork could copy held, it
    is spawned.

    The channel is a pipe, not a ``multiprocessing.Queue``: a queue's locks are semaphores
    that multiprocessing's resource tracker records, and a tracker that was killed and
    started again prints a traceback for each of them.
    """

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], name: str) -> None:
        self.name = name
        others = [t for t in threading.enumerate() if t is not threading.main_thread()]
        fork_safe = all(getattr(t, "fork_safe", False) for t in others)
        # Each method named as it is: get_context(str) is typed as a context with no Process.
        context = (
            multiprocessing.get_context("fork")
            if fork_safe
            else multiprocessing.get_context("spawn")
        )
        self._receiver, self.channel = context.Pipe(duplex=False)
        # Not a daemon: an extension may start processes of its own (sphinx-sitemap does).
        self.process = context.Process(target=target, args=(self.channel, *args))
        #: Whether the steps are done; the one that failed, if any; their seconds; their
        #: messages.
        self.done = False
        self.failed: str | None = None
        self.timings: dict[str, float] = {}
        self.output = ""
        #: The futures of parts sent one by one, until their book comes.
        self._parts: dict[render.Job, Future[render.Result]] = {}
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        self.process.start()
        self.channel.close()  # the child's end: its end of file says the child is gone

    def forward_to(self, service: RenderService) -> None:
        """From now on, submit to ``service`` what the process sends."""
        self._thread = threading.Thread(
            target=self._forward, args=(service,), name=f"aside {self.name}", daemon=True
        )
        self._thread.start()

    def _forward(self, service: RenderService) -> None:
        try:
            while not self.done:
                try:
                    if not self._receiver.poll(0.2):
                        continue
                    kind, *content = self._receiver.recv()
                except EOFError:  # its end of the pipe closed: the process is gone
                    self._gone()
                    continue
                if kind == "job":
                    self._parts[content[0]] = service.submit(content[0])
                elif kind == "book":
                    book, sent = content
                    parts = [self._parts.pop(job) for job in book.parts] if sent else None
                    service.submit_book(book, parts)
                else:
                    self.done = True
                    self.failed, self.timings, self.output = content
        except BaseException as error:  # raised again by join(), in the build's thread
            self._error = error
            self.done, self.failed = True, self.name

    def _gone(self) -> None:
        """The process ended without its report (killed, out of memory): it could say
        nothing itself."""
        self.process.join(5)
        self.done, self.failed = True, self.name
        self.output = (
            f"classbook: the {self.name} process stopped without a report "
            f"(exit status {self.process.exitcode})\n"
        )

    def join(self) -> str | None:
        """Wait until the steps are done and all they sent is submitted; show their
        messages; return the name of the step that failed, or None.

        Called only while the build's own steps succeed: a mistake in text the editions
        share is then named once, by the build's steps, not again by these.
        """
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        sys.stderr.write(self.output)
        self.output = ""
        return self.failed

    def stop(self) -> None:
        """End the process (at once if the build failed or was interrupted)."""
        if not self.done and self.process.is_alive():
            self.process.terminate()
        self.process.join()
        if self._thread is not None:
            self._thread.join()
