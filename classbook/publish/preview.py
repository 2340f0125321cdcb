"""``python -m classbook preview``: the site served on 127.0.0.1, rebuilt and reloaded on each edit.

The site comes first: on start and after every change to the book's folder, ``conf.py`` or
the pipeline's themes, templates and static files (changes within a moment are taken
together), the orchestrator rebuilds the web site alone, in this process, and publishes it
into ``<build>/html``, which is served; the open pages reload. Then a second build, a
``python -m classbook build html`` in a process beside the preview, makes every output the
site offers as a download and publishes the site again with them (the pages reload once
more); the next change stops it first. A failed build leaves the last good site served,
with its messages over the page and in the terminal. Ctrl-C stops the preview, its
background build and the server, and leaves no lock behind.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from watchfiles import Change, DefaultFilter, watch

from classbook import cli, dates
from classbook.outputs import HTML
from classbook.publish import workarea
from classbook.publish.interrupts import STOP_GRACE, interrupts
from classbook.publish.orchestrator import Build
from classbook.publish.previewsite import Problem, Server, Status

#: The pipeline's files an editor of its look may change: its themes, templates, CSS and JS.
PIPELINE_LOOKS = ("themes", "templates", "static")
#: Milliseconds without a further change before a rebuild starts (an editor's save is often
#: a write and a rename), and the most a rebuild waits for changes to stop.
QUIET_MS, MOST_MS = 50, 1_000
#: Sphinx's and the orchestrator's messages: ``file:line: WARNING: message`` (the line, or
#: both, may be missing); colours stripped first.
MESSAGE = re.compile(
    r"^(?:(?P<file>[^\s:][^:]*?)(?::(?P<line>\d+))?: )?"
    r"(?:WARNING|ERROR|CRITICAL|SEVERE): (?P<message>.+)$"
)
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def problems_in(output: str, root: Path) -> list[Problem]:
    """The messages of a failed build's output, each with the file (relative to ``root``
    when inside it) and line it names; its last line when none has the form."""
    found: list[Problem] = []
    lines = [COLOUR.sub("", line).strip() for line in output.splitlines()]
    for line in lines:
        # The wrapper's own lines ("classbook: Warning, treated as error: …") carry Sphinx's.
        match = MESSAGE.match(re.sub(r"^classbook: (?:[\w ,]+: )?", "", line))
        if match is None:
            continue
        file = match["file"] or ""
        with contextlib.suppress(ValueError):
            file = Path(file).resolve().relative_to(root.resolve()).as_posix()
        problem = Problem(match["message"], file, int(match["line"] or 0))
        if problem not in found:
            found.append(problem)
    if not found:
        last = [line.removeprefix("classbook: ") for line in lines if line]
        found = [Problem(last[-1] if last else "the build failed without a message")]
    return found


class Tee(io.TextIOBase):
    """A text stream that writes to ``stream`` and keeps a copy; never a terminal, so that
    what a build writes through it has no colours to strip."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


class Background:
    """The build of every output, ``python -m classbook build html``, in a process (and
    process group) of its own; ``done(status, output, published)`` is called when it ends
    by itself, not when :meth:`stop` ends it."""

    def __init__(
        self, command: list[str], done: Callable[[int, str, list[str]], None], report: Path
    ) -> None:
        self.command = [*command, "--report", str(report)]
        self.done = done
        self.report = report
        self.process: subprocess.Popen[str] | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.report.unlink(missing_ok=True)
        process = subprocess.Popen(
            self.command, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.process = process
        self.thread = threading.Thread(
            target=self._follow, args=(process,), name="background build", daemon=True
        )
        self.thread.start()

    def _follow(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        output = io.StringIO()
        for line in process.stderr:
            if process is self.process:  # a build stopped for a newer one says no more
                sys.stderr.write(line)
                output.write(line)
        status = process.wait()
        if process is not self.process:
            return  # stopped for a newer build: what it says no longer matters
        published = []
        with contextlib.suppress(OSError, ValueError):
            published = json.loads(self.report.read_text(encoding="utf-8"))["published"]
        self.done(status, output.getvalue(), published)

    def stop(self) -> None:
        """End the build as Ctrl-C would (it publishes nothing and frees the lock); its
        whole process group at once if it has not stopped in time."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=STOP_GRACE + 2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.thread is not None:
            # Its reader ends at the end of the build's output, which a process the build
            # left behind may still hold open: stopping waits a bounded time (the thread is
            # a daemon and says nothing of a build stopped).
            self.thread.join(timeout=STOP_GRACE + 2)


class Preview:
    """One book's preview: its server, its builds and what it watches."""

    def __init__(
        self, *, source_dir: Path, conf_dir: Path, build_dir: Path, port: int, work: Path
    ) -> None:
        self.source_dir = source_dir.resolve()
        self.conf_dir = conf_dir.resolve()
        self.build_dir = build_dir.resolve()
        self.status = Status()
        self.server = Server(self.build_dir / HTML, self.status, port)
        command = [sys.executable, "-m", "classbook", "build", "-q"]
        command += ["--source-dir", str(self.source_dir), "--conf-dir", str(self.conf_dir)]
        command += ["--build-dir", str(self.build_dir), HTML]
        self.background = Background(command, self._background_done, work / "report.json")

    def watched(self) -> list[Path]:
        """The book's folder, its ``conf.py`` and the pipeline's look."""
        pipeline = Path(__file__).resolve().parents[1]
        paths = [self.source_dir, *(pipeline / name for name in PIPELINE_LOOKS)]
        conf = self.conf_dir / "conf.py"
        if not conf.is_relative_to(self.source_dir):
            paths.append(conf)
        return [path for path in paths if path.exists()]

    def relevant(self, change: Change, path: str) -> bool:
        """Any change watchfiles' default filter keeps (not editors' swap files, not
        caches), but none of the build's own (a build folder inside the book's)."""
        return DefaultFilter()(change, path) and not Path(path).is_relative_to(self.build_dir)

    def run(self) -> int:
        """Serve, build, watch and rebuild until Ctrl-C; 0 then."""
        dates.ensure_source_date_epoch(self.conf_dir)  # the same date in both builds
        # Its "n changes detected" lines: the preview names the files itself.
        logging.getLogger("watchfiles").setLevel(logging.WARNING)
        # SIGTERM stops the preview as Ctrl-C does: its background build is in a process
        # group of its own, which only the preview stops.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        # SIGUSR1 prints every thread's stack: where a preview that does not stop is stuck.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        try:
            self.server.start()
            cli.report(f"classbook: preview at {self.server.url} (Ctrl-C stops it)")
            sys.stdout.flush()
            self.rebuild()
            for changes in watch(
                *self.watched(),
                watch_filter=self.relevant,
                step=QUIET_MS,
                debounce=MOST_MS,
            ):
                names = sorted({Path(path).name for _change, path in changes})
                cli.say(f"changed: {', '.join(names)}")
                self.rebuild()
        except KeyboardInterrupt:
            pass
        finally:
            # Stopping takes a few seconds at most; a second Ctrl-C would leave it halfway.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.background.stop()
            self.server.stop()
            cli.say("preview stopped")
        return 0

    def rebuild(self) -> None:
        """The site first, then the other outputs in the background."""
        self.background.stop()
        started = time.perf_counter()
        problems = self.build_site()
        seconds = time.perf_counter() - started
        if problems:
            self.status.failed(problems)
            cli.say(f"the site's build failed in {seconds:.1f} s; the last good site is served:")
            for problem in problems:
                cli.say(f"  {problem}")
            return
        self.status.published()
        cli.say(f"site rebuilt in {seconds:.1f} s; the downloads follow in the background")
        self.background.start()

    def build_site(self) -> list[Problem]:
        """Rebuild and publish the site alone (its downloads as last built); the problems
        of a failed build (none: published)."""
        job = Build(
            source_dir=self.source_dir,
            conf_dir=self.conf_dir,
            build_dir=self.build_dir,
            quiet=True,
            provisional=True,
        )
        captured = sys.stderr = Tee(sys.stderr)
        try:
            with workarea.build_lock(self.build_dir), interrupts() as interrupted:
                job.run([HTML], interrupted)
        except cli.PublishError as error:
            cli.say(str(error))
            return problems_in(captured.copy.getvalue(), self.conf_dir)
        except Exception as error:  # a fault of the pipeline's: the preview goes on serving
            return [Problem(f"{type(error).__name__}: {error}")]
        finally:
            sys.stderr = captured.stream
        return []

    def _background_done(self, status: int, output: str, published: list[str]) -> None:
        if status == 0:
            if HTML not in published:
                cli.say("the downloads are up to date")
                return
            cli.say("the downloads are rebuilt: the site is published with them")
            self.status.published()
            return
        problems = problems_in(output, self.conf_dir)
        cli.say("the build of the downloads failed; the site is served as it was:")
        for problem in problems:
            cli.say(f"  {problem}")
        self.status.failed(problems)


def preview(*, source_dir: Path, conf_dir: Path, build_dir: Path, port: int) -> int:
    """Run the preview of the book in ``source_dir``; return its exit status."""
    with tempfile.TemporaryDirectory(prefix="classbook-preview-") as work:
        try:
            job = Preview(
                source_dir=source_dir,
                conf_dir=conf_dir,
                build_dir=build_dir,
                port=port,
                work=Path(work),
            )
        except OSError as error:
            raise cli.PublishError(f"cannot serve on 127.0.0.1 port {port}: {error}") from None
        return job.run()


# -- Command line (wired into `python -m classbook`) ------------------------------------


def _run(args: argparse.Namespace) -> int:
    return preview(
        source_dir=args.source_dir,
        conf_dir=args.conf_dir,
        build_dir=args.build_dir,
        port=args.port,
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``preview`` to the ``python -m classbook`` command line."""
    parser = commands.add_parser(
        "preview",
        help="serve the site on 127.0.0.1, rebuild it on every edit and reload the pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source-dir", type=Path, default=Path("book"), help="default: book")
    parser.add_argument("--conf-dir", type=Path, default=Path("."), help="default: .")
    parser.add_argument("--build-dir", type=Path, default=Path("_build"), help="default: _build")
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: 0, a free one)"
    )
    parser.set_defaults(run=cli.guarded(_run))
