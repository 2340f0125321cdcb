"""One build of every output: a read per edition, every builder, one render pool, atomic publish.

``python -m classbook build [OUTPUT ...]`` (``all`` by default) runs, in one process, the
Sphinx builders the outputs need over a persistent work area (``_build/.work/<edition>/``,
with its doctrees, so Sphinx reads and writes only what changed), sends every PDF of every
builder to one :class:`~classbook.render.RenderService` with its render cache
(``_build/.cache/render/``), and only when everything succeeded copies each output whose
files changed into ``_build/.<output>.staging`` and swaps it for ``_build/<output>``. A
failure or Ctrl-C anywhere publishes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import functools
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from classbook import publish, render
from classbook.publish import aside
from classbook.render.cache import RenderCache

#: Published outputs in build order; the site publishes the others as downloads.
OUTPUTS = ("epub", "pdf", "handouts", "packets", "html")
#: What an output needs built (and published) with it.
NEEDS = {
    "html": ("epub", "pdf", "handouts", "packets"),
    # Their print page numbers come from the book PDF's layout in the same build.
    "epub": ("pdf",),
    "handouts": ("pdf",),
}


@dataclass(frozen=True)
class Step:
    """One Sphinx builder over one edition, writing one folder of the work area."""

    output: str
    edition: str
    builder: str
    #: Files of the work folder that are published: every file, or only the PDFs.
    pattern: str = "**/*"
    #: Run in a process of its own, beside the build's steps (publish/aside.py): for a
    #: builder that waits for no PDF, over an edition no other step reads.
    aside: bool = False


#: The steps in the order they run: the book PDFs, the biggest jobs, go to the pool first;
#: the packets, which wait for their chapters' page counts (urgent jobs, first in the
#: queue), come next. The teacher edition is read and written beside them, in a process of
#: its own (the machine has two cores; the Sphinx steps use one), and its PDFs join the pool.
STEPS = (
    Step("pdf", "student", "bookpdf", "*.pdf"),
    Step("pdf", "teacher", "bookpdf", "*.pdf", aside=True),
    Step("packets", "student", "packets", "*.pdf"),
    Step("epub", "student", "epub"),
    Step("handouts", "student", "handouts", "*.pdf"),
    Step("html", "student", "html"),
)
#: The editions: the Sphinx tag of each (the teacher edition is a parse of its own).
EDITIONS = {"student": (), "teacher": ("teacher",)}
#: Packages whose versions shape the outputs: a change starts the work area afresh.
PACKAGES = ("sphinx", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme", "docutils")


def outputs_for(names: Sequence[str]) -> list[str]:
    """The outputs to build for ``names`` (``all`` or output names), in build order."""
    wanted: set[str] = set()
    for name in names:
        if name == "all":
            wanted |= set(OUTPUTS)
        elif name in OUTPUTS:
            wanted |= {name, *NEEDS.get(name, ())}
        else:
            raise publish.PublishError(
                f"{name!r} is not an output: choose from all, {', '.join(OUTPUTS)}"
            )
    return [name for name in OUTPUTS if name in wanted]


@dataclass
class Progress:
    """A line per rendered PDF, then a summary; nothing with ``quiet``."""

    quiet: bool = False
    rendered: int = 0
    reused: int = 0
    layout_seconds: float = 0.0
    #: How many PDFs are rendered in all so far (the others come from the cache).
    pending: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, result: render.Result) -> None:
        with self._lock:
            if result.reused:
                self.reused += 1
                return
            self.rendered += 1
            self.layout_seconds += result.seconds
            if not self.quiet:
                sys.stderr.write(
                    f"[{self.rendered}/{self.pending}] {result.job.name} {result.seconds:.1f} s\n"
                )

    def summary(self) -> str:
        return (
            f"rendered {self.rendered} PDF{'s' * (self.rendered != 1)} "
            f"({self.layout_seconds:.1f} s of layout), reused {self.reused} from the cache"
        )


#: Seconds a build has to stop by itself after Ctrl-C or SIGTERM before it is ended anyway.
STOP_GRACE = 3.0


@contextlib.contextmanager
def _interrupts() -> Iterator[threading.Event]:
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
        publish.say(
            "interrupted: the build was stopped; the published outputs were left as they were"
        )
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


class Build:
    """One run of the orchestrator over one book."""

    def __init__(
        self,
        *,
        source_dir: Path,
        conf_dir: Path,
        build_dir: Path,
        cache_dir: Path | None = None,
        quiet: bool = False,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.source_dir = source_dir
        self.conf_dir = conf_dir
        self.build_dir = build_dir
        self.work = build_dir / ".work"
        self.own_cache = cache_dir is None
        self.cache = RenderCache(cache_dir or build_dir / ".cache" / "render")
        self.quiet = quiet
        self.overrides = overrides or {}
        self.progress = Progress(quiet)
        #: Seconds each step took (builder name, edition), for ``--report``.
        self.timings: dict[str, float] = {}

    # -- The work area -------------------------------------------------------------------

    def folder(self, step: Step) -> Path:
        return self.work / step.edition / step.output

    def doctrees(self, edition: str) -> Path:
        return self.work / edition / "doctrees"

    @functools.cached_property
    def pipeline(self) -> str:
        """The digest of the pipeline's own code, templates, themes and fonts."""
        return _tree_digest(Path(__file__).parents[1], [])

    def fingerprint(self, edition: str) -> str:
        """What Sphinx does not see change but every page shows: the edition's date, the
        pipeline's own code and templates, the versions of the stack, the overrides."""
        parts = [
            edition,
            self.pipeline,
            os.environ.get("SOURCE_DATE_EPOCH", ""),
            repr(sorted(self.overrides.items())),
            *(f"{name}=={version(name)}" for name in PACKAGES),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def inputs(self) -> str:
        """Everything a build reads: the book's folder, conf.py and the pipeline."""
        parts = [self.fingerprint(edition) for edition in EDITIONS]
        conf = self.conf_dir / "conf.py"
        parts.append(hashlib.sha256(conf.read_bytes()).hexdigest() if conf.is_file() else "")
        return _tree_digest(self.source_dir, parts)

    def up_to_date(self, outputs: Sequence[str], inputs: str) -> bool:
        """True when the last successful build read the same inputs and every published
        file of ``outputs`` still has the bytes it published."""
        record = self._record()
        return all(
            record.get(name, {}).get("inputs") == inputs
            and record[name].get("files") == _digests(self.build_dir / name)
            for name in outputs
        )

    def remember(self, outputs: Sequence[str], inputs: str) -> None:
        record = self._record()
        for name in outputs:
            record[name] = {"inputs": inputs, "files": _digests(self.build_dir / name)}
        (self.work / "published.json").write_text(json.dumps(record, indent=1), "utf-8")

    def _record(self) -> dict[str, dict]:
        try:
            record = json.loads((self.work / "published.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def prepare(self, edition: str) -> None:
        """Start the edition's work area afresh when its fingerprint changed."""
        area = self.work / edition
        stamp = area / ".fingerprint"
        value = self.fingerprint(edition)
        if not stamp.is_file() or stamp.read_text(encoding="utf-8") != value:
            shutil.rmtree(area, ignore_errors=True)
            area.mkdir(parents=True)
            stamp.write_text(value, encoding="utf-8")

    def forget(self, edition: str) -> None:
        """After a failure: the next build reads every document of the edition again
        (Sphinx re-reads no document it saved, so a warning would not come back), and what
        this build parsed is gone (a refused document's doctree, say): the edition's
        doctrees are removed. The outputs' folders stay, for a look."""
        shutil.rmtree(self.doctrees(edition), ignore_errors=True)

    # -- Running the builders --------------------------------------------------------------

    def run_step(self, step: Step) -> int:
        """Run one Sphinx builder; return its status (0: success)."""
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        # Each builder writes its whole output from the saved environment, as a clean build
        # would: Sphinx's incremental writers drop sitemap entries, search-index entries
        # and EPUB manifest order, and pages show facts of other documents (chapter
        # numbers, the content note) that Sphinx does not track. Reading stays incremental;
        # the render cache keeps unchanged PDFs.
        shutil.rmtree(self.folder(step), ignore_errors=True)
        app = None
        try:
            with patch_docutils(self.conf_dir), docutils_namespace():
                app = Sphinx(
                    srcdir=self.source_dir,
                    confdir=self.conf_dir,
                    outdir=self.folder(step),
                    doctreedir=self.doctrees(step.edition),
                    buildername=step.builder,
                    confoverrides={
                        "nitpicky": True,
                        "classbook_edition": step.edition,
                        **self.overrides,
                    },
                    status=None,
                    warning=sys.stderr,
                    freshenv=False,
                    warningiserror=True,
                    tags=EDITIONS[step.edition],
                    verbosity=0,
                )
                app.build()
                return app.statuscode
        except Exception as error:
            context = {}
            if app is not None:
                context = {"message_log": app.messagelog, "extensions": app.extensions.values()}
            publish.report_exception(error, **context)
            return 2

    def report(self, results: Sequence[render.Result]) -> int:
        """WeasyPrint's messages in Sphinx's warning format; the number of warnings."""
        warnings = 0
        for result in results:
            for level, message in result.messages:
                if level >= logging.WARNING:
                    warnings += 1
                    sys.stderr.write(f"WARNING: WeasyPrint ({result.job.name}): {message}\n")
        return warnings

    def run(self, outputs: Sequence[str], interrupted: threading.Event) -> list[str]:
        """Build ``outputs`` in the work area; return the names of those published."""
        from sphinx.util.console import nocolor

        if not sys.stderr.isatty():
            nocolor()
        inputs = self.inputs()
        if self.up_to_date(outputs, inputs):
            return []
        steps = [step for step in STEPS if step.output in outputs]
        for edition in dict.fromkeys(step.edition for step in steps):
            self.prepare(edition)
        failed = self._run_steps(steps)
        if failed is not None:
            for edition in dict.fromkeys(step.edition for step in steps):
                self.forget(edition)
            raise publish.PublishError(self._failure(failed, outputs))
        if interrupted.is_set():
            raise KeyboardInterrupt
        published = [name for name in outputs if self.publish(name)]
        self.remember(outputs, inputs)
        if self.own_cache:
            self.cache.prune(self._keys_in_use(outputs))
        return published

    def _run_steps(self, steps: Sequence[Step]) -> str | None:
        """Run ``steps``, those marked ``aside`` in a process per edition beside the others,
        all their PDFs in one render service; the name of the step that failed, or None."""
        failed: str | None = None
        service = render.RenderService(cache=self.cache, on_result=self._on_result)
        beside = [step for step in steps if step.aside]
        asides = [
            aside.Aside(_run_aside, (self.settings(), own), f"{edition} {own[0].builder}")
            for edition in dict.fromkeys(step.edition for step in beside)
            for own in [[step for step in beside if step.edition == edition]]
        ]
        try:
            # Forked before the render pool starts a thread (publish/aside.py).
            sys.stdout.flush()
            sys.stderr.flush()
            for process in asides:
                process.start()
            service.start()  # WeasyPrint starts in the workers while Sphinx reads
            render.active = service
            for process in asides:
                process.forward_to(service)
            for step in (step for step in steps if not step.aside):
                # The site copies the PDFs as downloads once they are done
                # (builders/downloads.py): its pages are written while they are laid out.
                started, waited = time.perf_counter(), service.waited
                if failed is None and self.run_step(step) != 0:
                    failed = step.builder
                # The step's own work: not the time it waited for PDFs to be laid out.
                own = time.perf_counter() - started - (service.waited - waited)
                self.timings[f"{step.edition}/{step.builder}"] = own
                if failed:
                    break
            failed = failed or self._join(asides) or self._drain(service)
        finally:
            render.active = None
            for process in asides:
                process.stop()
            service.close()
        return failed

    def _on_result(self, result: render.Result) -> None:
        if render.active is not None:
            self.progress.pending = render.active.misses
        self.progress(result)

    def settings(self) -> dict[str, Any]:
        """What a :class:`Build` beside this one is made of (see :func:`_run_aside`)."""
        return {
            "source_dir": self.source_dir,
            "conf_dir": self.conf_dir,
            "build_dir": self.build_dir,
            "cache_dir": self.cache.folder,
            "quiet": self.quiet,
            "overrides": self.overrides,
        }

    def _join(self, asides: Sequence[aside.Aside]) -> str | None:
        """Wait for the steps run aside and the PDFs they sent; the failure's name, or None."""
        for process in asides:
            failed = process.join()
            self.timings.update(process.timings)
            if failed is not None:
                return failed
        return None

    def _drain(self, service: render.RenderService) -> str | None:
        """Wait for every PDF sent so far; the failure's name, or None."""
        try:
            results = service.wait(service.futures)
        except render.RenderError as error:
            publish.say(str(error))
            return "render"
        if self.report(results):
            return "render"
        return None

    def _failure(self, failed: str, outputs: Sequence[str]) -> str:
        finals = [f"{self.build_dir / name}" for name in outputs]
        what = "were left as they were" if len(finals) > 1 else "was left as it was"
        return (
            f"the {failed} build failed, so {', '.join(finals)} {what}; the incomplete "
            f"output is in {self.work}. Fix the errors above (each names a file and line) "
            "and run it again."
        )

    # -- Publishing ------------------------------------------------------------------------

    def files(self, output: str) -> dict[str, Path]:
        """What ``_build/<output>`` holds: relative path -> file in the work area."""
        files: dict[str, Path] = {}
        for step in STEPS:
            folder = self.folder(step)
            if step.output != output or not folder.is_dir():
                continue
            for path in sorted(folder.glob(step.pattern)):
                if path.is_file() and publish.published(path.relative_to(folder)):
                    files[path.relative_to(folder).as_posix()] = path
        return files

    def publish(self, output: str) -> bool:
        """Swap ``_build/<output>`` for the work area's files if any differ; True if so.

        A file whose bytes did not change is carried over as a hard link to the published
        one: the swap is atomic for the folder, and that file is not rewritten.
        """
        files = self.files(output)
        final = self.build_dir / output
        publish.recover(self.build_dir, output)
        if final.is_dir() and _same(files, final):
            return False  # nothing rewritten: the published files keep their bytes and times
        staging = self.build_dir / f".{output}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for relative, source in files.items():
            target, current = staging / relative, final / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if current.is_file() and filecmp.cmp(source, current, shallow=False):
                os.link(current, target)
            else:
                shutil.copy2(source, target)
        publish.swap(staging, final)
        return True

    def _keys_in_use(self, outputs: Sequence[str]) -> set[str]:
        """Cache keys of this build, and of the published outputs it did not build."""
        record = self.work / "cache-keys.txt"
        keys = set(self.cache.used)
        if set(outputs) != set(OUTPUTS) and record.is_file():
            keys |= set(record.read_text(encoding="utf-8").split())
        record.write_text("".join(f"{key}\n" for key in sorted(keys)), encoding="utf-8")
        return keys


def _run_aside(channel: Any, settings: dict[str, Any], steps: Sequence[Step]) -> None:
    """The steps of one edition in a process beside the build (publish/aside.py): their
    builders' PDFs go back to the build's render pool; ends saying how they went."""
    from sphinx.util.console import nocolor

    # Ctrl-C reaches the whole process group: the build stops this process itself, and
    # the build's own handlers (copied by the fork) are not this process's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # What it says is held back for the build to show (aside.Aside.join), in plain text.
    sys.stderr = held = io.StringIO()
    nocolor()
    render.active = aside.Forward(channel)  # type: ignore[assignment]  # submits only
    failed, timings = None, {}
    step = steps[0]
    try:
        job = Build(**settings)
        for step in steps:
            started = time.perf_counter()
            status = job.run_step(step)
            timings[f"{step.edition}/{step.builder}"] = time.perf_counter() - started
            if status != 0:
                failed = step.builder
                break
    except Exception:  # a fault of the pipeline's, outside Sphinx: shown by the build
        held.write(traceback.format_exc())
        failed = step.builder
    channel.send(("done", failed, timings, held.getvalue()))


def _tree_digest(folder: Path, parts: Sequence[str]) -> str:
    """SHA-256 over ``parts`` and every file under ``folder`` (names and bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with its SHA-256."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _same(files: dict[str, Path], final: Path) -> bool:
    published = {
        path.relative_to(final).as_posix()
        for path in final.rglob("*")
        if path.is_file() and path.name not in publish.BOOKKEEPING
    }
    if published != set(files):
        return False
    return all(filecmp.cmp(source, final / rel, shallow=False) for rel, source in files.items())


def build(
    names: Sequence[str] = ("all",),
    *,
    source_dir: Path = Path("book"),
    conf_dir: Path = Path("."),
    build_dir: Path = Path("_build"),
    cache_dir: Path | None = None,
    quiet: bool = False,
    overrides: dict[str, str] | None = None,
    report: Path | None = None,
) -> int:
    """Build and publish ``names``; return the exit status (0, 1, LOCKED or INTERRUPTED).

    ``report`` receives the figures of a successful build as JSON (``make bench`` reads it).
    """
    outputs = outputs_for(names)
    publish.ensure_source_date_epoch(conf_dir)
    started = time.perf_counter()
    job = Build(
        source_dir=source_dir,
        conf_dir=conf_dir,
        build_dir=build_dir,
        cache_dir=cache_dir,
        quiet=quiet,
        overrides=overrides,
    )
    with publish.build_lock(build_dir), _interrupts() as interrupted:
        try:
            published = job.run(outputs, interrupted)
        except KeyboardInterrupt:
            finals = ", ".join(str(build_dir / name) for name in outputs)
            publish.say(f"interrupted: {finals} {'was' if len(outputs) == 1 else 'were'} left "
                        f"as {'it was' if len(outputs) == 1 else 'they were'}")  # fmt: skip
            return publish.INTERRUPTED
    seconds = time.perf_counter() - started
    if report is not None:
        figures = {
            "seconds": seconds,
            "steps": job.timings,
            "rendered": job.progress.rendered,
            "reused": job.progress.reused,
            "layout_s": job.progress.layout_seconds,
            "published": published,
        }
        report.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if not quiet:
        changed = ", ".join(published) or "nothing (every output was up to date)"
        publish.say(f"{job.progress.summary()}; published {changed} in {seconds:.1f} s")
    return 0


# -- Command line (wired into `python -m classbook`) ------------------------------------


def _run(args: argparse.Namespace) -> int:
    overrides = {}
    for item in args.define:
        name, sep, value = item.partition("=")
        if not sep:
            raise publish.PublishError(f"-D {item!r}: write -D name=value")
        overrides[name] = value
    return build(
        args.outputs or ["all"],
        source_dir=args.source_dir,
        conf_dir=args.conf_dir,
        build_dir=args.build_dir,
        cache_dir=args.cache_dir,
        quiet=args.quiet,
        overrides=overrides,
        report=args.report,
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``build`` to the ``python -m classbook`` command line."""
    parser = commands.add_parser(
        "build",
        help="build outputs in one process and publish them only when all succeed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source-dir", type=Path, default=Path("book"), help="default: book")
    parser.add_argument("--conf-dir", type=Path, default=Path("."), help="default: .")
    parser.add_argument("--build-dir", type=Path, default=Path("_build"), help="default: _build")
    parser.add_argument(
        "--cache-dir", type=Path, help="render cache (default: <build-dir>/.cache/render)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--report", type=Path, help="write the build's figures as JSON")
    parser.add_argument(
        "-D", dest="define", action="append", default=[], help="override a conf.py value"
    )
    parser.add_argument(
        "outputs",
        nargs="*",
        metavar="OUTPUT",
        help=f"all (default), {', '.join(OUTPUTS)}; html builds what the site publishes too",
    )
    parser.set_defaults(run=publish.guarded(_run))
