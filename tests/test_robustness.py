"""Bad input gives one clear error and costs nothing; the PDF renderer is sandboxed.

Each case of ``tests/corpus`` is laid over a copy of the fixture book that was built once
before; the build through ``python -m classbook build`` must fail naming the file and line
and saying what to do, print no traceback, and leave the published output as it was.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, ROOTS
from helpers import run_classbook
from pypdf import PdfReader

from classbook import __main__ as cli
from classbook import cli as messages
from classbook import render
from classbook.publish import workarea
from classbook.render.fetcher import make_fetcher
from classbook.render.service import RenderService

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

CORPUS = Path(__file__).parent / "corpus"
EPOCH = "1700000000"


@dataclass(frozen=True)
class Broken:
    """What a corpus case must report: where, what is wrong and what to do."""

    file: str
    line: int | None  # None: a problem of the whole file
    problem: str
    advice: str


CHAPTER = "chapters/02-second.md"
CASES = {
    "unclosed-fence": Broken(CHAPTER, 13, "is never closed", "add a line '```'"),
    "unknown-directive": Broken(
        CHAPTER, 13, "Unknown directive type", "check the directive's spelling"
    ),
    "unknown-role": Broken(CHAPTER, 13, "Unknown interpreted text role", "check the role's"),
    "broken-xref": Broken(CHAPTER, 13, "undefined label", "check the label's spelling"),
    "missing-image": Broken(CHAPTER, 13, "image file not readable", "check the path"),
    "corrupt-image": Broken(CHAPTER, 13, "is not a PNG, JPEG", "export it again"),
    "invalid-front-matter": Broken(CHAPTER, 3, "front matter is not valid YAML", "quotes"),
    "not-utf8": Broken(CHAPTER, 11, "not UTF-8", "save it as UTF-8"),
    "not-in-toctree": Broken(
        "chapters/04-orphan.md", None, "isn't included in any toctree", "list the document"
    ),
    "duplicate-label": Broken(CHAPTER, 14, "duplicate label first", "rename one"),
    "empty-chapter": Broken(CHAPTER, 1, "this document is empty", "write its text"),
    "huge-paragraph": Broken(
        CHAPTER, 13, "a paragraph of 1,048,576 characters", "split it into paragraphs"
    ),
    "raw-html-script": Broken(CHAPTER, 13, "<script> is never allowed", "Write it in Markdown"),
    "raw-html-iframe": Broken(CHAPTER, 13, "<iframe> is never allowed", "Write it in Markdown"),
    "raw-html-file-image": Broken(CHAPTER, 13, "raw HTML is off", "Write it in Markdown"),
    "raw-html-event-handler": Broken(
        CHAPTER, 13, "event-handler attributes", "Write it in Markdown"
    ),
    "javascript-link": Broken(
        CHAPTER, 13, "javascript: links are never allowed", "link to https://"
    ),
    "image-outside-book": Broken(
        CHAPTER, 13, "is outside the book folder", "copy the image into book/"
    ),
    "remote-image": Broken(CHAPTER, 13, "images are never fetched", "save it inside book/"),
    "citation-unknown-key": Broken(CHAPTER, 14, "could not find bibtex key", "check the key's"),
    "citation-broken-key-list": Broken(CHAPTER, 14, "broken over lines", "keep it on one line"),
    "citation-empty-role": Broken(CHAPTER, 14, "an empty citation", "write the BibTeX key"),
    "citation-stray-comma": Broken(CHAPTER, 14, "has an empty key", "separate keys with one"),
}
MEGABYTE = "{{ONE_MEGABYTE_PARAGRAPH}}"


def test_every_corpus_case_is_checked() -> None:
    folders = {path.name for path in CORPUS.iterdir() if path.is_dir()}
    # The attack-* cases are tests/test_attacks.py's.
    assert {name for name in folders if not name.startswith("attack-")} == set(CASES)


# -- Helpers -------------------------------------------------------------------------------


def classbook(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m classbook`` in ``project`` (the fixture book is ``project/mini``)."""
    return run_classbook(project, *args, epoch=EPOCH)


def build(project: Path, output: str = "epub"):
    """Build the fixture book in ``project`` through the orchestrator, as the Makefile does."""
    return classbook(project, "build", "--source-dir", "mini", "--conf-dir", "mini", output)


def build_here(project: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> tuple[int, str]:
    """:func:`build`, in this process (several times faster); returns status and output."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    capfd.readouterr()
    status = cli.main(["build", "--source-dir", "mini", "--conf-dir", "mini", "epub"])
    out, err = capfd.readouterr()
    return status, out + err


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def lay_over(case: str, book: Path) -> None:
    """Copy a corpus case's files over the book, expanding generated content."""
    for path in sorted((CORPUS / case).rglob("*")):
        if path.is_file():
            target = book / path.relative_to(CORPUS / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            if MEGABYTE.encode() in data:
                paragraph = ("All work and no play makes a long paragraph. " * 25_000)[: 1 << 20]
                data = data.replace(MEGABYTE.encode(), paragraph.encode())
            target.write_bytes(data)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose fixture book was built and published once (EPUB)."""
    project = tmp_path_factory.mktemp("published")
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    done = build(project)
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def project(published: Path, tmp_path: Path) -> Path:
    """A private copy of the published project: book, outputs and shared doctrees."""
    copy = tmp_path / "project"
    shutil.copytree(published, copy, symlinks=True)
    return copy


# -- Bad input -> one clear error, nothing lost ----------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_book_fails_clearly_and_keeps_the_last_good_output(
    case: str, project: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    expected = CASES[case]
    before = snapshot(project / "_build" / "epub")
    lay_over(case, project / "mini")

    status, output = build_here(project, monkeypatch, capfd)

    assert status != 0, output
    assert "Traceback" not in output and "Exception occurred" not in output, output
    where = re.escape(expected.file) + (f":{expected.line}:" if expected.line else ": ")
    lines = [line for line in output.splitlines() if re.search(where, line)]
    assert any(expected.problem in line for line in lines), output
    assert any(expected.advice in line for line in lines), output
    assert "Could not fetch remote image" not in output  # never a network access
    # The EPUB carries the book PDF's page numbers: `epub` builds the PDFs too.
    assert "_build/epub, _build/pdf were left as they were" in output
    assert snapshot(project / "_build" / "epub") == before
    assert not (project / "_build" / ".epub.old").exists()


def test_fixed_book_is_published_and_staging_cleared(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    chapter = project / "mini" / CHAPTER
    original = chapter.read_text(encoding="utf-8")
    lay_over("broken-xref", project / "mini")
    status, output = build_here(project, monkeypatch, capfd)
    assert status != 0
    assert "the incomplete output is in _build/.work" in output
    assert (project / "_build" / ".work" / "student" / "epub").is_dir()  # kept for a look

    chapter.write_text(original.replace("A note of ours.", "A corrected note."), "utf-8")
    status, output = build_here(project, monkeypatch, capfd)
    assert status == 0, output
    assert "A corrected note." in (project / "_build/epub/chapters/02-second.xhtml").read_text()
    leftovers = {p.name for p in (project / "_build").iterdir() if p.name.startswith(".epub")}
    assert leftovers == set()


def test_error_in_conf_py_names_the_line_without_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    conf = project / "mini" / "conf.py"
    lines = conf.read_text(encoding="utf-8").splitlines()
    conf.write_text("\n".join([*lines, "html_theme = undefined_name", ""]), encoding="utf-8")
    before = snapshot(project / "_build" / "epub")

    status, output = build_here(project, monkeypatch, capfd)

    assert status != 0
    assert "Traceback" not in output, output
    assert f"conf.py:{len(lines) + 1}" in output, output
    assert "NameError" in output
    assert snapshot(project / "_build" / "epub") == before


# -- Two builds at once; Ctrl-C --------------------------------------------------------------


def test_second_build_is_refused_while_one_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    before = snapshot(project / "_build" / "epub")
    with workarea.build_lock(project / "_build"):
        done = build(project)
    assert done.returncode == messages.LOCKED
    assert f"another build is running (pid {os.getpid()}" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(project / "_build" / "epub") == before
    assert build_here(project, monkeypatch, capfd)[0] == 0  # the lock is free again


def _slow_chapter(book: Path, rows: int = 3000) -> None:
    """A long table, so the PDF render takes long enough to be interrupted."""
    chapter = book / "chapters" / "03-last.md"
    table = "\n".join(
        ["| Row | Text |", "| --- | --- |"] + [f"| {i} | row {i} |" for i in range(rows)]
    )
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n" + table + "\n", "utf-8")


def test_ctrl_c_during_the_render_keeps_the_last_good_output(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    _slow_chapter(project / "mini")
    previous = project / "_build" / "pdf"
    previous.mkdir(parents=True)
    (previous / "mini-a4.pdf").write_bytes(b"%PDF-1.7 the last good edition")
    before = snapshot(previous)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH}
    process = subprocess.Popen(
        [sys.executable, "-m", "classbook", "build", "--source-dir", "mini", "--conf-dir",
         "mini", "pdf"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )  # fmt: skip
    try:
        # Four slow book PDFs (two papers, two editions) share two workers: when the first
        # one's progress line comes, at least two are still being laid out. No sleep.
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith("[1/"):
                break
        assert seen and seen[-1].startswith("[1/"), "".join(seen)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        _out, rest = process.communicate(timeout=120)
        err = "".join(seen) + rest
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == messages.INTERRUPTED, err
    assert "Traceback" not in err, err
    assert "interrupted: _build/pdf was left as it was" in err
    assert snapshot(previous) == before
    with pytest.raises(ProcessLookupError):  # no WeasyPrint worker left behind
        for _ in range(50):
            os.killpg(process.pid, 0)
            time.sleep(0.1)


def _start_slow_build(
    tmp_path: Path, rows: int = 3000
) -> tuple[subprocess.Popen[str], Path, list[str]]:
    """A build of the fixture book's PDFs with a slow chapter (a table of ``rows``), in its
    own process group, read until its first progress line (then at least two PDFs are
    being laid out)."""
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    _slow_chapter(project / "mini", rows)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH}
    process = subprocess.Popen(
        [sys.executable, "-m", "classbook", "build", "--source-dir", "mini", "--conf-dir",
         "mini", "-D", "classbook_pdf_page_digits=3", "pdf"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("[1/"):
            break
    assert seen and seen[-1].startswith("[1/"), "".join(seen)
    return process, project, seen


def _processes_below(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below ``pid``."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            try:
                command = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            found.append((child, command.replace(b"\0", b" ").decode(errors="replace")))
            todo.append(child)
    return found


def test_killed_render_workers_and_resource_tracker_cost_nothing(tmp_path: Path) -> None:
    # A third of the table: the jobs the killed workers held are laid out again, and the
    # build runs to its end (it took two minutes of the suite with the whole table).
    process, project, seen = _start_slow_build(tmp_path, rows=1000)
    try:
        below = _processes_below(process.pid)
        servers = {pid for pid, command in below if _parent(pid) == process.pid}
        workers = [pid for pid, _ in below if _parent(pid) in servers]
        trackers = [pid for pid, command in below if "resource_tracker" in command]
        assert len(workers) == 2 and len(trackers) == 1, below
        for pid in [*workers, *trackers]:
            os.kill(pid, signal.SIGKILL)  # the jobs they held are laid out again
        started = time.monotonic()
        _out, rest = process.communicate(timeout=240)
        err = "".join(seen) + rest
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "resource_tracker" not in err, err
    assert time.monotonic() - started < 200, err  # never the render timeout's wait
    assert sorted(p.name for p in (project / "_build" / "pdf").glob("*.pdf")) == [
        "mini-a4.pdf", "mini-letter.pdf", "mini-teacher-a4.pdf", "mini-teacher-letter.pdf"
    ]  # fmt: skip


def _parent(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def test_sigterm_ends_a_build_within_five_seconds(tmp_path: Path) -> None:
    previous = tmp_path / "project" / "_build" / "pdf"
    previous.mkdir(parents=True)
    (previous / "mini-a4.pdf").write_bytes(b"%PDF-1.7 the last good edition")
    before = snapshot(previous)
    process, _project, seen = _start_slow_build(tmp_path)
    try:
        process.send_signal(signal.SIGTERM)  # the build's process alone, as a CI runner does
        started = time.monotonic()
        _out, rest = process.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    err = "".join(seen) + rest
    assert took < 5, (took, err)
    assert process.returncode in {messages.INTERRUPTED, 128 + signal.SIGTERM}, err
    assert "Traceback" not in err, err
    assert "left as" in err, err
    assert snapshot(previous) == before
    with pytest.raises(ProcessLookupError):  # no worker, aside or server left behind
        for _ in range(50):
            os.killpg(process.pid, 0)
            time.sleep(0.1)


def test_interrupted_swap_is_recovered(tmp_path: Path) -> None:
    build_dir = tmp_path / "_build"
    old = build_dir / ".html.old"
    old.mkdir(parents=True)
    (old / "index.html").write_text("last good")
    workarea.recover(build_dir, "html")  # the power went out between the two renames
    assert (build_dir / "html" / "index.html").read_text() == "last good"
    assert not old.exists()


# -- The WeasyPrint sandbox ----------------------------------------------------------------


def _png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x20\x40\x60")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request it gets."""
    requests: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, Path]:
    """A build folder with an image inside, and a secret file outside it."""
    build_dir, outside = tmp_path / "build", tmp_path / "outside"
    build_dir.mkdir()
    outside.mkdir()
    (build_dir / "inside.png").write_bytes(PNG)
    (outside / "secret.png").write_bytes(PNG)
    (build_dir / "link.png").symlink_to(outside / "secret.png")
    return {"build": build_dir, "outside": outside}


def test_fetcher_serves_only_data_and_files_inside_the_roots(
    sandbox: dict[str, Path], web_server: tuple[str, list[str]]
) -> None:
    base, requests = web_server
    fetcher = make_fetcher([sandbox["build"]])

    inside = fetcher.fetch((sandbox["build"] / "inside.png").as_uri())  # type: ignore[attr-defined]
    assert inside.read() == PNG
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"  # type: ignore[attr-defined]

    refused = [
        "file:///etc/passwd",
        (sandbox["outside"] / "secret.png").as_uri(),
        (sandbox["build"] / ".." / "outside" / "secret.png").as_uri(),
        (sandbox["build"] / "link.png").as_uri(),  # a symlink out of the build
        f"{sandbox['build'].as_uri()}/%2e%2e/outside/secret.png",
        f"{base}/pixel.png",
        "https://example.org/pixel.png",
        "ftp://example.org/pixel.png",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)  # type: ignore[attr-defined]
    assert requests == []


def _images(pdf: Path) -> int:
    return sum(len(page.images) for page in PdfReader(pdf).pages)


def test_render_never_fetches_outside_the_build_or_from_the_network(
    sandbox: dict[str, Path], web_server: tuple[str, list[str]]
) -> None:
    base, requests = web_server
    html = sandbox["build"] / "page.html"
    html.write_text(
        "<!DOCTYPE html><html lang='en'><head><title>t</title>"
        f"<link rel='stylesheet' href='{base}/style.css'></head><body>"
        "<p>Inside: <img src='inside.png' alt='inside'></p>"
        f"<p><img src='{(sandbox['outside'] / 'secret.png').as_uri()}' alt='secret'></p>"
        "<p><img src='file:///etc/passwd' alt='passwd'></p>"
        f"<p><img src='{base}/pixel.png' alt='remote'></p>"
        "<p style=\"background: url('https://example.org/bg.png')\">x</p>"
        "</body></html>",
        encoding="utf-8",
    )
    pdf = sandbox["build"] / "page.pdf"

    with RenderService(workers=1) as service:
        job = render.Job(html, pdf, "a4", roots=(sandbox["build"],), timeout=120)
        [result] = service.wait([service.submit(job)])

    assert requests == []
    assert _images(pdf) == 1  # only the image inside the build
    refusals = [message for _level, message in result.messages if "refused" in message]
    assert len(refusals) >= 4, result.messages


def test_render_timeout_names_the_document(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>{i}</td><td>row {i}</td></tr>" for i in range(5000))
    html = tmp_path / "endless.html"
    html.write_text(f"<html><body><table>{rows}</table></body></html>", encoding="utf-8")
    started = time.monotonic()
    job = render.Job(html, tmp_path / "endless.pdf", "a4", roots=(tmp_path,), timeout=0.5)
    with (
        pytest.raises(render.RenderError, match=r"endless\.html.*longer than 0\.5 s"),
        RenderService(workers=1) as service,
    ):
        service.wait([service.submit(job)])
    # Start-up is not counted, and the worker is stopped, not waited for.
    assert time.monotonic() - started < 60
    assert not (tmp_path / "endless.pdf").exists()


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("classbook_paper_sizes=a3", "classbook_paper_sizes = ['a3']: give one or more of"),
        ("classbook_page_numbers=a5", "classbook_page_numbers = 'a5': it is not one of"),
    ],
)
def test_a_paper_typo_in_the_configuration_is_named_and_nothing_is_lost(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd, setting: str, named: str
) -> None:
    before = snapshot(project / "_build" / "epub")
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    capfd.readouterr()
    status = cli.main(
        ["build", "--source-dir", "mini", "--conf-dir", "mini", "-D", setting, "epub"]
    )
    output = "".join(capfd.readouterr())
    assert status != 0
    assert f"conf.py: {named}" in output and "Traceback" not in output, output
    assert snapshot(project / "_build" / "epub") == before


def test_a_worker_stopped_by_close_is_reaped_once() -> None:
    # The pool's thread may see a stopped worker's end after close() handed it to join();
    # both closed its pipe, and the thread died with EBADF (a traceback after a build).
    import multiprocessing

    from classbook.render.pool import WorkerPool

    finished: list[object] = []
    pool = WorkerPool(1, multiprocessing.get_context("fork"), lambda *a: finished.append(a))
    pool.start()
    [worker] = pool._workers
    pool.close()
    worker.process.join(10)
    pool._died(worker)  # the thread's late view of it: nothing to do, and no error
    assert not worker.pipe.closed
    pool.join()
    assert worker.pipe.closed and finished == []


def test_a_pool_that_cannot_start_early_ends_no_thread_with_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A build refused before its first job (a BibTeX bomb) closed the service while the
    # background start met a fork server gone: "Exception in thread render pool".
    from classbook.render.pool import WorkerPool

    def refused(self: WorkerPool) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(WorkerPool, "start", refused)
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    with RenderService(workers=1) as service:
        service.start()
        for thread in [t for t in threading.enumerate() if t.name == "render pool"]:
            thread.join(30)
    assert failures == []


def test_the_render_cache_is_named_whatever_the_current_folder(tmp_path: Path) -> None:
    # CI: "No such file or directory: '_build/.cache/render/….pdf'" in a worker, for a book
    # whose conf.py is in a subfolder (Sphinx runs conf.py inside its folder; a fork server
    # started meanwhile gave the workers that folder).
    from classbook.publish.orchestrator import Build

    build = Build(source_dir=Path("mini"), conf_dir=Path("mini"), build_dir=Path("_build"))
    assert build.cache.folder.is_absolute()
    assert build.cache.folder == Path.cwd() / "_build" / ".cache" / "render"
