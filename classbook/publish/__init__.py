"""Publishing: the build lock, atomic swaps of output folders, reproducible dates and ``dist/``.

The orchestrator (classbook/publish/orchestrator.py) builds in a work area and swaps each changed
output into ``_build/<output>`` with :func:`swap`; :func:`build_lock` (``_build/.lock``) keeps
two builds from writing the same folders at once.

``python -m classbook dist`` gathers the published outputs into ``dist/``: a reproducible
archive of the web site, the EPUB, the PDFs, the handouts, the packets and ``SHA256SUMS``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from classbook.builders import context, parts
from classbook.publish import reproducible

#: Files Sphinx keeps for its incremental builds: not part of what is published.
BOOKKEEPING = frozenset({".buildinfo", ".buildinfo.bak"})
#: Folders of a work area that are the build's own (a book PDF's parts), never published.
WORK_FOLDERS = frozenset({parts.FOLDER})


def published(relative: Path) -> bool:
    """Whether a work-area file (its path inside the output folder) is published."""
    return relative.name not in BOOKKEEPING and not WORK_FOLDERS.intersection(relative.parts[:-1])


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


# -- Reproducible builds ---------------------------------------------------------------


def default_source_date_epoch(project: Path) -> str | None:
    """The last commit's date (``git log -1 --format=%ct``), or None outside a repository."""
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value.isdigit() else None


def ensure_source_date_epoch(project: Path) -> None:
    """Set ``SOURCE_DATE_EPOCH`` to the last commit's date unless the caller set it;
    outside a repository, to the start of today (builders/context.build_date), so that
    every step of one build has the same date and builds of one day the same PDFs."""
    if value := os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        if not value.isdigit():
            raise PublishError(
                f"SOURCE_DATE_EPOCH={value!r} is not a date: give seconds since 1970 "
                "(e.g. `git log -1 --format=%ct`), or unset it to use the last commit's date"
            )
        return
    if (last_commit := default_source_date_epoch(project)) is not None:
        os.environ["SOURCE_DATE_EPOCH"] = last_commit
    else:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(context.build_date().timestamp()))


# -- The lock ---------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold ``<build_dir>/.lock`` for the block; refuse at once if another build holds it."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / ".lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildLockedError(
                f"another build is running (pid {holder}; lock {path}): wait for it to "
                "finish, then run this build again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- Errors without tracebacks --------------------------------------------------------------


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


# -- Staging and publishing ---------------------------------------------------------------


def _old_dir(build_dir: Path, outname: str) -> Path:
    return build_dir / f".{outname}.old"


def recover(build_dir: Path, outname: str) -> None:
    """Finish or undo a swap that was cut short (power loss between the two renames)."""
    final, old = build_dir / outname, _old_dir(build_dir, outname)
    if old.exists():
        if final.exists():
            shutil.rmtree(old)
        else:
            old.rename(final)


def swap(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final``; the previous output is removed only after."""
    old = _old_dir(final.parent, final.name)
    if final.exists():
        final.rename(old)
    try:
        staging.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)
        raise
    if old.exists():
        shutil.rmtree(old)


def sphinx_args(
    builder: str,
    outdir: Path,
    *,
    source_dir: Path,
    conf_dir: Path,
    doctrees: Path,
    extra: Sequence[str] = (),
) -> list[str]:
    """The one sphinx-build command shape every output uses (warnings are errors)."""
    return [
        *("-c", str(conf_dir), str(source_dir), str(outdir)),
        *("-d", str(doctrees), "-nW", "--keep-going", "-q", "-b", builder),
        *extra,
    ]


# -- dist/ -------------------------------------------------------------------------------


def _epoch() -> int:
    return reproducible.source_date_epoch() or 0


def _published_files(folder: Path) -> list[Path]:
    """Files of an output folder in a stable order, without Sphinx's bookkeeping."""
    return sorted(
        (
            path
            for path in folder.rglob("*")
            if path.is_file() and published(path.relative_to(folder))
        ),
        key=lambda path: path.relative_to(folder).as_posix(),
    )


def sha256sums(folder: Path) -> str:
    """``sha256sum -c`` compatible lines for every file under ``folder``, sorted."""
    lines = []
    for path in _published_files(folder):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def _copy(files: Sequence[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
        os.utime(target / path.name, (_epoch(), _epoch()))


def dist(*, build_dir: Path = Path("_build"), dist_dir: Path = Path("dist")) -> list[Path]:
    """Gather the published outputs into ``dist_dir`` (replaced as a whole)."""
    ensure_source_date_epoch(Path("."))
    with build_lock(build_dir):
        required = {
            "html": build_dir / "html" / "index.html",
            "epub": build_dir / "epub",
            "pdf": build_dir / "pdf",
            "handouts": build_dir / "handouts",
        }
        missing = [name for name, path in required.items() if not path.exists()]
        if missing:
            raise PublishError(
                f"no published {', '.join(missing)} in {build_dir}: run `make book` first"
            )
        epubs = sorted((build_dir / "epub").glob("*.epub"))
        # Both editions' book PDFs are published together in pdf/.
        pdfs = {path.name: path for path in sorted((build_dir / "pdf").glob("*.pdf"))}
        handouts = sorted((build_dir / "handouts").glob("*.pdf"))
        if not epubs or not pdfs or not handouts:
            raise PublishError(
                f"the EPUB, PDFs or handouts are missing in {build_dir}: run `make book`"
            )
        slug = epubs[0].stem
        staging = dist_dir.with_name(f".{dist_dir.name}.staging")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        site = build_dir / "html"
        reproducible.write_tar_gz(
            [(f"{slug}-site/{p.relative_to(site).as_posix()}", p) for p in _published_files(site)],
            staging / f"{slug}-site.tar.gz",
            _epoch(),
        )
        _copy(epubs, staging)
        _copy(sorted(pdfs.values()), staging)
        _copy(handouts, staging / "handouts")
        packets = build_dir / "packets"
        if packets.is_dir():
            for path in _published_files(packets):
                relative = path.relative_to(packets)
                _copy([path], (staging / "packets" / relative).parent)
        (staging / "SHA256SUMS").write_text(sha256sums(staging), encoding="utf-8")
        swap(staging, dist_dir)
    return _published_files(dist_dir)


# -- Command line (wired into `python -m classbook`) ------------------------------------


def _run_dist(args: argparse.Namespace) -> int:
    files = dist(build_dir=args.build_dir, dist_dir=args.dist_dir)
    say(f"wrote {len(files)} files to {args.dist_dir}/ (checksums in SHA256SUMS)")
    return 0


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
        except KeyboardInterrupt:
            say("interrupted: the published outputs were left as they were")
            return INTERRUPTED

    return main


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``dist`` to the ``python -m classbook`` command line."""
    parser = commands.add_parser(
        "dist",
        help="gather the built outputs into dist/ with SHA256SUMS",
        description="Write dist/: the web site as a reproducible .tar.gz, the EPUB, the PDFs, "
        "the handouts, the packets (if built) and SHA256SUMS.",
    )
    parser.add_argument("--build-dir", type=Path, default=Path("_build"), help="default: _build")
    parser.add_argument("--dist-dir", type=Path, default=Path("dist"), help="default: dist")
    parser.set_defaults(run=guarded(_run_dist))
