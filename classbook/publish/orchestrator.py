"""One build of every output: a read per edition, every builder, one render pool, atomic publish.

``python -m classbook build [OUTPUT ...]`` (``all`` by default) runs, in one process, the
Sphinx builders the outputs need over a persistent work area (``_build/.work/<edition>/``,
with its doctrees, so Sphinx reads and writes only what changed), sends every PDF of every
builder to one :class:`~classbook.render.service.RenderService` with its render cache
(``_build/.cache/render/``), and only when everything succeeded copies each output whose
files changed into ``_build/.<output>.staging`` and swaps it for ``_build/<output>``. A
failure or Ctrl-C anywhere publishes nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classbook import cli, dates
from classbook.builders.rendering import ClassbookSphinx
from classbook.ext import content
from classbook.outputs import HTML, OUTPUTS
from classbook.publish import aside, workarea
from classbook.publish.interrupts import interrupts
from classbook.publish.steps import EDITIONS, STEPS, Step, outputs_for, site_address
from classbook.render import RenderError, Result
from classbook.render.cache import RenderCache
from classbook.render.service import RenderService, RenderSink


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

    def __call__(self, result: Result) -> None:
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
        provisional: bool = False,
    ) -> None:
        self.source_dir = source_dir
        self.conf_dir = conf_dir
        self.build_dir = build_dir
        self.area = workarea.WorkArea(build_dir, source_dir, conf_dir, overrides or {})
        self.own_cache = cache_dir is None
        # Absolute: the render workers are forked from a server that may have started while
        # Sphinx had changed the folder to run conf.py (a conf dir other than the current
        # one), and the pool's thread writes entries while the main thread may be there.
        self.cache = RenderCache((cache_dir or build_dir / ".cache" / "render").absolute())
        self.quiet = quiet
        self.overrides = overrides or {}
        self.progress = Progress(quiet)
        #: A live preview's site alone (publish/preview.py): written without waiting for
        #: the outputs it offers as downloads (those not built yet are left out), and not
        #: recorded as built, so the next build of the site makes them.
        self.provisional = provisional
        #: Seconds each step took (builder name, edition), for ``--report``.
        self.timings: dict[str, float] = {}
        #: The render service of the steps running now (this build's, or in a process
        #: beside it a forwarder to the build's), handed to each Sphinx application.
        self.sink: RenderSink | None = None
        self.service: RenderService | None = None
        #: The published site's address, as the first step found it ("": none known).
        self.address: str | None = None
        #: The address as read from conf.py and the environment before the build.
        self.address_known = ""
        #: The images the book's chapters show without alt text, left out of every output
        #: (``classbook_undescribed_images = "leave-out"``): a line naming each.
        self.left_out: dict[str, None] = {}

    # -- Running the builders --------------------------------------------------------------

    def run_step(self, step: Step) -> int:
        """Run one Sphinx builder; return its status (0: success)."""
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        # Each builder writes its whole output from the saved environment, as a clean build
        # would: Sphinx's incremental writers drop sitemap entries, search-index entries
        # and EPUB manifest order, and pages show facts of other documents (chapter
        # numbers, the content note) that Sphinx does not track. Reading stays incremental;
        # the render cache keeps unchanged PDFs. A preview's provisional site is the
        # exception: Sphinx writes only the pages that changed (a second faster), and the
        # build of every output that follows it writes the whole site again.
        if not self.provisional:
            shutil.rmtree(self.area.folder(step), ignore_errors=True)
        app = None
        try:
            with patch_docutils(self.conf_dir), docutils_namespace():
                if self.sink is None:
                    raise RuntimeError("a build's steps run inside _run_steps, with its service")
                app = ClassbookSphinx(
                    render_sink=self.sink,
                    provisional=self.provisional,
                    srcdir=self.source_dir,
                    confdir=self.conf_dir,
                    outdir=self.area.folder(step),
                    doctreedir=self.area.doctrees(step.edition),
                    buildername=step.builder,
                    confoverrides={
                        "nitpicky": True,
                        "classbook_edition": step.edition,
                        # Beside the render cache: formulas outlive the work area.
                        "classbook_formula_cache": str(self.cache.folder.parent / "formulas"),
                        **self.overrides,
                    },
                    status=None,
                    warning=sys.stderr,
                    freshenv=False,
                    warningiserror=True,
                    tags=EDITIONS[step.edition],
                    verbosity=0,
                )
                # The site's address as the book's configuration resolved it (classbook.urls).
                self.address = app.config.html_baseurl or ""
                app.build()
                self.left_out.update(dict.fromkeys(content.undescribed(app.env)))
                return app.statuscode
        except Exception as error:
            context = {}
            if app is not None:
                context = {"message_log": app.messagelog, "extensions": app.extensions.values()}
            cli.report_exception(error, **context)
            return 2

    def report(self, results: Sequence[Result]) -> int:
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
        # The address decides every link of the site, the QR codes and the cartridges.
        inputs = self.area.inputs(self.address_known)
        if self.area.up_to_date(outputs, inputs):
            return []
        steps = [step for step in STEPS if step.output in outputs]
        for edition in dict.fromkeys(step.edition for step in steps):
            self.area.prepare(edition)
        failed = self._run_steps(steps)
        if failed is not None:
            for edition in dict.fromkeys(step.edition for step in steps):
                self.area.forget(edition)
            raise cli.PublishError(self._failure(failed, outputs))
        if interrupted.is_set():
            raise KeyboardInterrupt
        published = [name for name in outputs if self.area.publish(name)]
        if self.provisional:
            return published
        self.area.remember(outputs, inputs)
        if self.own_cache:
            self.cache.prune(self.area.keys_in_use(outputs, self.cache.used))
        return published

    def _run_steps(self, steps: Sequence[Step]) -> str | None:
        """Run ``steps``, those marked ``aside`` in a process per edition beside the others,
        all their PDFs in one render service; the name of the step that failed, or None."""
        failed: str | None = None
        service = self.service = RenderService(cache=self.cache, on_result=self._on_result)
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
            if any(step.output != HTML for step in steps):
                # WeasyPrint starts in the workers while Sphinx reads; the site alone lays
                # out no PDF, and a preview's rebuild of it starts no worker.
                service.start()
            self.sink = service
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
            self.sink = None
            for process in asides:
                process.stop()
            service.close()
        return failed

    def _on_result(self, result: Result) -> None:
        if self.service is not None:
            self.progress.pending = self.service.misses
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

    def _drain(self, service: RenderService) -> str | None:
        """Wait for every PDF sent so far; the failure's name, or None."""
        try:
            results = service.wait(service.futures)
        except RenderError as error:
            cli.say(str(error))
            return "render"
        if self.report(results):
            return "render"
        return None

    def _failure(self, failed: str, outputs: Sequence[str]) -> str:
        finals = [f"{self.build_dir / name}" for name in outputs]
        what = "were left as they were" if len(finals) > 1 else "was left as it was"
        return (
            f"the {failed} build failed, so {', '.join(finals)} {what}; the incomplete "
            f"output is in {self.area.work}. Fix the errors above (each names a file and line) "
            "and run it again."
        )


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
    failed, timings = None, {}
    step = steps[0]
    try:
        job = Build(**settings)
        job.sink = aside.Forward(channel)  # submits to the build's service, waits for none
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
    address = site_address(conf_dir, overrides or {})
    outputs = outputs_for(names, address)
    dates.ensure_source_date_epoch(conf_dir)
    started = time.perf_counter()
    job = Build(
        source_dir=source_dir,
        conf_dir=conf_dir,
        build_dir=build_dir,
        cache_dir=cache_dir,
        quiet=quiet,
        overrides=overrides,
    )
    job.address_known = address
    with workarea.build_lock(build_dir), interrupts() as interrupted:
        try:
            published = job.run(outputs, interrupted)
        except KeyboardInterrupt:
            finals = ", ".join(str(build_dir / name) for name in outputs)
            cli.say(f"interrupted: {finals} {'was' if len(outputs) == 1 else 'were'} left "
                        f"as {'it was' if len(outputs) == 1 else 'they were'}")  # fmt: skip
            return cli.INTERRUPTED
    seconds = time.perf_counter() - started
    # Even a quiet build says what it left out of the book.
    for line in job.left_out:
        cli.say(line)
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
        cli.say(f"{job.progress.summary()}; published {changed} in {seconds:.1f} s")
        if job.address == "":
            cli.say(
                "no address of the published site is known, so no QR code or web address "
                "is printed and no sitemap or cartridge is made: set html_baseurl in conf.py, "
                "or build in GitHub Pages (GITHUB_REPOSITORY) or on Read the Docs"
            )
    return 0


# -- Command line (wired into `python -m classbook`) ------------------------------------


def _run(args: argparse.Namespace) -> int:
    overrides = {}
    for item in args.define:
        name, sep, value = item.partition("=")
        if not sep:
            raise cli.PublishError(f"-D {item!r}: write -D name=value")
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
    parser.set_defaults(run=cli.guarded(_run))
