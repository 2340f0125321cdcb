"""Real documents through new-book and the build: ``python tools/corpus.py`` (make corpus)."""

from __future__ import annotations

import argparse
import contextlib
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from checkserver import CheckServer

from classbook.cli import report, say

#: The corpus in the repository (tests/realworld/docs/, sources in tests/realworld/SOURCES.md).
DOCS = Path(__file__).resolve().parents[1] / "tests" / "realworld" / "docs"
SUFFIXES = (".txt", ".md", ".docx", ".odt")
#: The build's own words for an image it left out for want of alt text.
LEFT_OUT = re.compile(r"image \S+ was left out of every output")


@dataclass
class Outcome:
    """What became of one document."""

    document: str
    status: str  # "passed", "refused", "failed"
    #: The refusal's message, the build's first warning, or the images it left out.
    detail: str = ""
    chapters: int = 0
    seconds: float = 0.0
    verified: str = ""  # for a full build: "ok", or verify's first complaint


def _images_without_alt(project: Path) -> list[str]:
    from classbook.sources.scaffold import _images_without_alt as listed

    return listed(project)


def _left_out(images: int) -> str:
    return f"{images} image(s) without alt text left out" if images else ""


def _run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def new_book(document: Path, project: Path) -> subprocess.CompletedProcess[str]:
    """``python -m classbook new-book DOCUMENT PROJECT``."""
    command = [sys.executable, "-m", "classbook", "new-book", str(document), str(project)]
    return _run(command, document.parent, 300)


def _new_book_here(document: Path, project: Path) -> subprocess.CompletedProcess[str]:
    """new-book in this process (no interpreter to start): its exit status and message."""
    from classbook.sources import SourceError, scaffold

    try:
        scaffold.new_book(document, project, {})
    except SourceError as error:
        return subprocess.CompletedProcess([], 1, "", f"classbook: {error}")
    return subprocess.CompletedProcess([], 0, "", "")


#: The check-only build: Sphinx's dummy builder, warnings are errors.
CHECK = ["-b", "dummy", "-c", ".", "book", "_build/dummy", "-nW", "--keep-going", "-q"]


def check_document(
    document: Path, work: Path, *, here: bool = False, server: CheckServer | None = None
) -> Outcome:
    """new-book (``here``: in this process), then the check-only build (``python -m
    sphinx``, or a fork of ``server``, which has imported Sphinx already)."""
    started = time.monotonic()
    project = work / document.stem
    made = _new_book_here(document, project) if here else new_book(document, project)
    outcome = Outcome(document.name, "refused", made.stderr.strip())
    if made.returncode == 0:
        outcome.chapters = len(list((project / "book" / "chapters").glob("*.md")))
        if server is None:
            check = _run([sys.executable, "-m", "sphinx", *CHECK], project, 900)
        else:
            check = server.run(project, CHECK, 900)
        warnings = [
            line for line in check.stderr.splitlines() if "WARNING" in line or "ERROR" in line
        ]
        if check.returncode == 0:
            outcome.status = "passed"
            outcome.detail = _left_out(len(_images_without_alt(project)))  # new-book's list
        else:
            outcome.status = "failed"
            outcome.detail = (warnings or check.stderr.splitlines() or ["no message"])[0]
    outcome.seconds = time.monotonic() - started
    return outcome


def build_document(document: Path, work: Path) -> Outcome:
    """new-book, ``python -m classbook build -q all`` and ``python -m classbook verify``."""
    started = time.monotonic()
    project = work / document.stem
    made = new_book(document, project)
    outcome = Outcome(document.name, "refused", made.stderr.strip())
    if made.returncode == 0:
        outcome.chapters = len(list((project / "book" / "chapters").glob("*.md")))
        build = _run([sys.executable, "-m", "classbook", "build", "-q", "all"], project, 1800)
        warnings = [line for line in build.stderr.splitlines() if "WARNING" in line]
        if build.returncode == 0:
            outcome.status = "passed"
            outcome.detail = _left_out(len(LEFT_OUT.findall(build.stderr)))
            verify = _run([sys.executable, "-m", "classbook", "verify"], project, 600)
            lines = verify.stdout.splitlines()
            complaint = next((line for line in lines if "FAILED" in line), "")
            outcome.verified = "ok" if verify.returncode == 0 else complaint or "failed"
        else:
            outcome.status = "failed"
            lines = warnings or build.stderr.strip().splitlines() or ["no message"]
            outcome.detail = lines[0]
    outcome.seconds = time.monotonic() - started
    return outcome


def check_all(found: list[Path], work: Path, workers: int = 2) -> dict[str, Outcome]:
    """Every document's check, the builds side by side on ``workers`` cores (new-book runs
    in this process: its own time is mostly pandoc's), each a fork of a check server."""
    from concurrent.futures import ThreadPoolExecutor

    servers: queue.Queue[CheckServer] = queue.Queue()

    def check(document: Path) -> Outcome:
        server = servers.get()
        try:
            return check_document(document, work, here=True, server=server)
        finally:
            servers.put(server)

    with contextlib.ExitStack() as stack:
        for _ in range(workers):
            servers.put(stack.enter_context(CheckServer()))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return {outcome.document: outcome for outcome in pool.map(check, found)}


def documents(folder: Path, names: list[str]) -> list[Path]:
    """The corpus's documents, or those named (by file name or stem)."""
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    if names:
        found = [p for p in found if p.name in names or p.stem in names]
    return found


def table(outcomes: list[Outcome]) -> str:
    """A Markdown table of outcomes, then the counts."""
    lines = [
        "| document | outcome | chapters | verify | seconds | detail |",
        "|---|---|---:|---|---:|---|",
    ]
    for o in outcomes:
        detail = o.detail.replace("|", "\\|")[:140]
        lines.append(
            f"| {o.document} | {o.status} | {o.chapters} | {o.verified or '-'} | "
            f"{o.seconds:.1f} | {detail} |"
        )
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    verified = sum(o.verified == "ok" for o in outcomes)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines.append(f"\n{len(outcomes)} documents: {summary}; {verified} verified")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the corpus; print the table. Exit 1 if any document failed (not refused)."""
    parser = argparse.ArgumentParser(prog="python tools/corpus.py", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these documents (file name or stem)")
    parser.add_argument("--docs", type=Path, default=DOCS, help=f"default: {DOCS}")
    parser.add_argument("--check", action="store_true", help="the check-only build, not all")
    parser.add_argument(
        "--keep", type=Path, help="write the books here (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="classbook-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    run = check_document if args.check else build_document
    outcomes = []
    try:
        for document in documents(args.docs, args.names):
            outcome = run(document, work)
            say(f"{outcome.document}: {outcome.status} {outcome.detail[:100]}")
            outcomes.append(outcome)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report(table(outcomes))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
