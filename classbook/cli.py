"""The command line's own words: one line for the person building, exit statuses, no tracebacks."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import Any

from classbook.dates import DateError

#: Exit status when another build holds the lock (Sphinx itself uses 1 and 2).
LOCKED = 3
#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130
#: A frame of a Python traceback: its file and line.
TRACEBACK_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


class PublishError(Exception):
    """A problem of the wrapper itself (lock, missing outputs); the message says what to do."""

    status = 1


class BuildLockedError(PublishError):
    """Another build holds the lock."""

    status = LOCKED


def say(message: str) -> None:
    """One line for the person running the build, on stderr like Sphinx's own errors."""
    sys.stderr.write(f"classbook: {message}\n")


def report(line: str) -> None:
    """One line of a command's result (what it checked or wrote), on stdout."""
    sys.stdout.write(line + "\n")


def report_exception(exception: BaseException, /, **context: Any) -> None:
    """Sphinx's report of an exception that stopped the build, without a traceback.

    Sphinx 9 prints a "Traceback" section even for its own errors; the person building the
    book gets one line, and the details go to a log file for whoever debugs the pipeline.
    """
    from sphinx._cli.util.errors import save_traceback
    from sphinx.errors import ExtensionError, SphinxError

    if isinstance(exception, KeyboardInterrupt):
        return  # the wrapper says so
    log = save_traceback(
        exception,
        message_log=context.get("message_log", ()),
        extensions=context.get("extensions", ()),
    )
    if isinstance(exception, SphinxError) and not isinstance(exception, ExtensionError):
        message = str(exception)
        if "Traceback (most recent call last)" in message:  # e.g. an error in conf.py
            lines = [line for line in message.splitlines() if line.strip()]
            frames = TRACEBACK_FRAME.findall(message)
            where = f" {frames[-1][0]}:{frames[-1][1]}:" if frames else ""
            message = f"{lines[0]}{where} {lines[-1].strip()} (details: {log})"
        say(f"{exception.category}: {message}")
        return
    say(
        f"the build stopped on an unexpected error ({type(exception).__name__}: {exception}). "
        f"This is a fault in the pipeline or an extension, not in the text: please report it "
        f"with the details saved in {log}"
    )


def guarded(
    run: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """``run`` with the wrapper's own errors as one line and an exit status."""

    def main(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except PublishError as error:
            say(str(error))
            return error.status
        except DateError as error:
            say(str(error))
            return 1
        except KeyboardInterrupt:
            say("interrupted: the published outputs were left as they were")
            return INTERRUPTED

    return main
