"""Worker processes that each take one task at a time over a pipe of their own; a worker
that dies is noticed at once (its process sentinel), and so is the task it held.

multiprocessing's ``Pool`` shares one task queue, guarded by a lock, among its workers: a
worker killed while it holds that lock (waiting for a task, say) leaves the queue locked,
the pool stalls, and stopping it waits forever; a task whose worker died is never reported.
Here each worker has its own pipe, so a death costs only that worker: the task it held is
reported as :class:`WorkerDiedError` and a new worker takes its place.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import connection
from typing import Any


class WorkerDiedError(RuntimeError):
    """The worker running a task ended without a result (killed, out of memory, a crash)."""


#: What a finished task reports: its token, its result, or the exception it raised.
Done = Callable[[int, Any, BaseException | None], None]


def _serve(tasks: Any, initializer: Callable[[], None] | None) -> None:
    """A worker: run each task the pipe brings, send back its result or its exception."""
    # Ctrl-C reaches the whole process group: the build stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer()
    while True:
        try:
            message = tasks.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, args = message
        try:
            reply = (True, task(*args))
        except BaseException as error:
            reply = (False, error)
        try:
            tasks.send(reply)
        except Exception as error:  # a result that cannot be pickled: say so, in words
            tasks.send((False, RuntimeError(f"{type(error).__name__}: {error}")))


@dataclass(eq=False)
class _Worker:
    process: Any
    pipe: Any
    #: The token of the task it runs, or None when idle.
    token: int | None = None


@dataclass(eq=False)
class WorkerPool:
    """``size`` workers made by ``context`` (each runs ``initializer`` once), started on
    first use; ``done`` is called from the pool's thread as each task ends."""

    size: int
    context: Any
    done: Done
    initializer: Callable[[], None] | None = None
    _workers: list[_Worker] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: tuple[Any, Any] | None = None
    _thread: threading.Thread | None = None
    _closed: bool = False
    _stopping: list[_Worker] = field(default_factory=list)

    def start(self) -> None:
        """Start the workers now (they set themselves up while the caller goes on)."""
        with self._lock:
            if not self._closed:
                self._fill()

    def idle(self) -> int:
        """How many more tasks can start now."""
        with self._lock:
            return self.size - sum(w.token is not None for w in self._workers)

    def run(self, token: int, task: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Start ``task(*args)`` on an idle worker (there must be one: :meth:`idle`)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            self._fill()
            worker = next(w for w in self._workers if w.token is None)
            worker.token = token
            # A worker killed while idle is still listed until the pool's thread sees its
            # sentinel; that thread then reports this task as the dead worker's.
            with contextlib.suppress(OSError):
                worker.pipe.send((task, args))

    def _fill(self) -> None:
        """Start workers up to ``size`` and the thread that watches them."""
        while len(self._workers) < self.size:
            mine, theirs = self.context.Pipe()
            process = self.context.Process(
                target=_serve, args=(theirs, self.initializer), daemon=True
            )
            process.start()
            theirs.close()
            self._workers.append(_Worker(process, mine))
        if self._thread is None:
            self._wake = os.pipe()
            self._thread = threading.Thread(target=self._watch, name="render workers", daemon=True)
            self._thread.start()
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"\0")

    def _watch(self) -> None:
        """Hand each result to ``done``; replace a worker that died, reporting its task."""
        assert self._wake is not None
        wake = self._wake[0]
        while True:
            with self._lock:
                if self._closed:
                    return
                pipes = {w.pipe: w for w in self._workers if w.token is not None}
                sentinels = {w.process.sentinel: w for w in self._workers}
            ready = connection.wait([wake, *pipes, *sentinels])
            if wake in ready:
                with contextlib.suppress(OSError):
                    os.read(wake, 512)
            for item in ready:
                if item in pipes:
                    self._result(pipes[item])
            for item in ready:
                if item in sentinels:
                    self._died(sentinels[item])

    def _result(self, worker: _Worker) -> None:
        try:
            ok, value = worker.pipe.recv()
        except (EOFError, OSError):
            return  # its death is seen through the sentinel
        with self._lock:
            token, worker.token = worker.token, None
        if token is not None:
            self.done(token, value if ok else None, None if ok else value)

    def _died(self, worker: _Worker) -> None:
        with self._lock:
            if worker not in self._workers:
                # Stopped by close() while this thread waited: join() reaps it and closes
                # its pipe (closing it here too raced with that: EBADF in this thread).
                return
            self._workers.remove(worker)
            token = worker.token
        worker.process.join()
        worker.pipe.close()
        if token is not None:
            code = worker.process.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            self.done(token, None, WorkerDiedError(f"its worker process ended ({how})"))

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers: at once with ``kill`` (a failed or interrupted build), else
        each after its task; :meth:`join` waits for them."""
        with self._lock:
            self._closed = True
            self._stopping += self._workers
            self._workers = []
        for worker in self._stopping:
            with contextlib.suppress(OSError):
                if kill:
                    worker.process.kill()
                else:
                    worker.pipe.send(None)
        self._poke()

    def join(self) -> None:
        """Wait for the workers :meth:`close` stopped, and the pool's thread."""
        for worker in self._stopping:
            worker.process.join()
            worker.pipe.close()
        self._stopping = []
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
            self._wake = None
