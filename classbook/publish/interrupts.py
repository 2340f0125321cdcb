"""Ctrl-C and SIGTERM end a build within seconds, whatever it does; nothing published is lost."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from classbook.cli import say

#: Seconds a build has to stop by itself after Ctrl-C or SIGTERM before it is ended anyway.
STOP_GRACE = 3.0


@contextlib.contextmanager
def interrupts() -> Iterator[threading.Event]:
    """Turn SIGINT and SIGTERM into an event (checked before publishing) and an exception.

    The event makes the outcome certain even if a library swallows the KeyboardInterrupt.
    Python runs a signal handler only between two steps of Python code: a build busy inside
    a C library (a parser, a layout) would not see it. A watchdog thread hears the signal
    at once (the interpreter's wakeup file descriptor); if the build has not stopped
    :data:`STOP_GRACE` seconds later, it ends the build's processes and the build itself.
    Publishing is atomic, so nothing published is lost.
    """
    event = threading.Event()
    finished = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        event.set()
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watchdog = threading.Thread(
        target=_watch, args=(read_fd, finished), name="interrupt watchdog", daemon=True
    )
    watchdog.fork_safe = True  # type: ignore[attr-defined]  # it holds no lock (aside.py)
    watchdog.start()
    try:
        yield event
    finally:
        finished.set()
        signal.set_wakeup_fd(previous_fd)
        os.close(write_fd)  # the watchdog reads the end of the pipe and stops
        watchdog.join()
        os.close(read_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(read_fd: int, finished: threading.Event) -> None:
    """Wait for a signal's byte on ``read_fd``; end the build if it has not stopped in time."""
    while data := os.read(read_fd, 1):
        if data[0] not in {signal.SIGINT, signal.SIGTERM} or finished.is_set():
            continue
        if finished.wait(STOP_GRACE):
            return
        for pid in _descendants(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        say("interrupted: the build was stopped; the published outputs were left as they were")
        os._exit(128 + data[0])


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
