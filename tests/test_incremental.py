"""One build for every output, rebuilding only what changed: what is rendered, what is reused.

The fixture book is built once through ``python -m classbook build``; each test edits a
private copy of that project (book, work area, render cache and all) and checks, from the
build's own progress lines, exactly which PDFs were laid out again and which published files
were rewritten. No timing is asserted here: ``make bench`` measures.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import EPOCH, ROOT, ROOTS
from helpers import replace_once, run_classbook
from sphinx.application import Sphinx

from classbook import render
from classbook.builders import downloads
from classbook.builders.rendering import ClassbookSphinx
from classbook.publish import aside
from classbook.render.cache import RenderCache
from classbook.render.service import RenderService

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

ASSIGNMENT = "title: Week 1\nchapters: [last]\npaper: both\n"
#: Every PDF of the fixture book with one assignment (``week-1``, chapter 3 only).
BOOK_PDFS = {f"pdf/mini-{p}.pdf" for p in ("a4", "letter")}
TEACHER_PDFS = {f"pdf/mini-teacher-{p}.pdf" for p in ("a4", "letter")}
PROGRESS = re.compile(r"^\[\d+/\d+\] (\S+) [\d.]+ s$", re.MULTILINE)


def run(
    project: Path, *args: str, pipeline: Path = ROOT, epoch: str | None = EPOCH
) -> subprocess.CompletedProcess[str]:
    """``python -m classbook build ARGS`` on the project's fixture book."""
    build = ("build", "--source-dir", "mini", "--conf-dir", "mini")
    return run_classbook(project, *build, *args, epoch=epoch, pipeline=pipeline)


def rendered(done: subprocess.CompletedProcess[str]) -> set[str]:
    """The PDFs a build laid out (its progress lines), measuring runs left out."""
    assert done.returncode == 0, done.stderr
    return {name for name in PROGRESS.findall(done.stderr) if "/_packets/" not in name}


def published(project: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every published file: inode, modification time and bytes (a rewrite changes one)."""
    build = project / "_build"
    return {
        path.relative_to(build).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns,
                                             path.read_bytes())
        for path in sorted(build.rglob("*"))
        if path.is_file() and not path.relative_to(build).parts[0].startswith(".")
    }  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture book with one assignment, every output built once."""
    project = tmp_path_factory.mktemp("incremental") / "project"
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    (project / "mini" / "assignments").mkdir()
    (project / "mini" / "assignments" / "week-1.yml").write_text(ASSIGNMENT, encoding="utf-8")
    done = run(project, "all")
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def all_pdfs(project: Path) -> set[str]:
    """Every published PDF (the site's downloads are copies of these)."""
    build = project / "_build"
    return {p.relative_to(build).as_posix() for p in build.glob("[!.]*/*.pdf")}


def test_the_first_build_renders_every_pdf_once(built: Path) -> None:
    pdfs = all_pdfs(built)
    assert {"handouts/03-last-a4.pdf", "packets/week-1-a4.pdf"} <= pdfs
    assert pdfs >= BOOK_PDFS | TEACHER_PDFS
    entries = list((built / "_build" / ".cache" / "render").glob("*.pdf"))
    assert len(entries) >= len(pdfs)  # with the packets' measuring runs


def test_a_no_op_rebuild_renders_nothing_and_rewrites_nothing(project: Path) -> None:
    before = published(project)
    done = run(project, "all")
    assert rendered(done) == set()
    assert "rendered 0 PDFs" in done.stderr and "published nothing" in done.stderr
    assert published(project) == before


def test_an_edit_that_changes_no_output_runs_the_builders_and_renders_nothing(
    project: Path,
) -> None:
    before = published(project)
    conf = project / "mini" / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    done = run(project, "all")
    assert rendered(done) == set()
    assert re.search(r"reused \d+ from the cache", done.stderr)
    assert "reused 0 " not in done.stderr  # the builders ran and asked the cache
    assert published(project) == before


def test_editing_one_chapter_renders_only_the_pdfs_that_contain_it(project: Path) -> None:
    before = published(project)
    chapter = project / "mini" / "chapters" / "03-last.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new sentence of ours.\n")
    done = run(project, "all")
    handouts = {f"handouts/03-last-{p}.pdf" for p in ("a4", "letter")}
    packets = {f"packets/week-1-{p}.pdf" for p in ("a4", "letter")}
    assert rendered(done) == BOOK_PDFS | TEACHER_PDFS | handouts | packets
    after = published(project)
    assert after["handouts/01-first-a4.pdf"] == before["handouts/01-first-a4.pdf"]
    assert after["handouts/03-last-a4.pdf"][2] != before["handouts/03-last-a4.pdf"][2]


def test_a_book_outside_a_repository_lays_out_an_edit_alone(project: Path) -> None:
    # Without git or SOURCE_DATE_EPOCH (a teacher's new book), the edition's date is the
    # day, not the second it was built: every page carries it, and an edit made a minute
    # later must lay out only the PDFs that hold it, not every PDF for a new time.
    assert not (project / ".git").exists()
    day = datetime.now(UTC).date()
    assert run(project, "all", epoch=None).returncode == 0  # today's date, not the fixture's
    chapter = project / "mini" / "chapters" / "03-last.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new sentence of ours.\n")
    done = run(project, "all", epoch=None)
    handouts = {f"handouts/03-last-{p}.pdf" for p in ("a4", "letter")}
    packets = {f"packets/week-1-{p}.pdf" for p in ("a4", "letter")}
    if datetime.now(UTC).date() == day:
        assert rendered(done) == BOOK_PDFS | TEACHER_PDFS | handouts | packets
    else:  # the builds straddled midnight (UTC): a new date is on every page
        assert rendered(done) == all_pdfs(project)


def test_a_chapter_put_back_with_its_old_time_is_read_again(project: Path) -> None:
    # Sphinx reads a file again only when it is newer than the last read; a chapter restored
    # from a backup that keeps times (cp -p, an archive) must not leave the edit in print.
    before = published(project)
    chapter = project / "mini" / "chapters" / "03-last.md"
    original, times = chapter.read_bytes(), chapter.stat()
    chapter.write_bytes(original + b"\nA new sentence of ours.\n")
    assert run(project, "all").returncode == 0
    chapter.write_bytes(original)
    os.utime(chapter, ns=(times.st_atime_ns, times.st_mtime_ns))
    done = run(project, "all")
    assert done.returncode == 0, done.stderr
    assert {name: data for name, (_, _, data) in published(project).items()} == {
        name: data for name, (_, _, data) in before.items()
    }


def test_a_teacher_only_edit_renders_only_the_teacher_edition(project: Path) -> None:
    chapter = project / "mini" / "chapters" / "01-first.md"
    edit = replace_once("Secret answer guidance", "Revised secret answer guidance")
    chapter.write_text(edit(chapter.read_text(encoding="utf-8")), encoding="utf-8")
    done = run(project, "all")
    assert rendered(done) == TEACHER_PDFS


def test_a_mistake_in_the_teacher_edition_alone_fails_the_build_and_publishes_nothing(
    project: Path,
) -> None:
    # The teacher edition is read and written in a process beside the student edition's
    # (classbook/publish/aside.py): its failure is the build's, named where it is.
    before = published(project)
    chapter = project / "mini" / "chapters" / "01-first.md"
    edit = replace_once("Secret answer guidance", "See {ref}`no-such-label`. Secret guidance")
    chapter.write_text(edit(chapter.read_text(encoding="utf-8")), encoding="utf-8")
    failed = run(project, "pdf")
    assert failed.returncode != 0
    assert re.search(r"01-first\.md:\d+: WARNING: .*no-such-label", failed.stderr), failed.stderr
    assert "the bookpdf build failed, so _build/pdf was left as it was" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert published(project) == before


def test_changing_the_print_css_renders_every_pdf(project: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline"
    shutil.copytree(ROOT / "classbook", pipeline / "classbook")
    css = pipeline / "classbook" / "themes" / "print" / "static" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.01em; }\n")
    done = run(project, "all", pipeline=pipeline)
    assert rendered(done) == all_pdfs(project)


def test_a_failed_build_keeps_the_outputs_and_the_cache_consistent(project: Path) -> None:
    before = published(project)
    chapter = project / "mini" / "chapters" / "02-second.md"
    original = chapter.read_text(encoding="utf-8")
    chapter.write_text(original + "\nSee {ref}`no-such-label`.\n", encoding="utf-8")
    failed = run(project, "all")
    assert failed.returncode != 0
    assert "02-second.md:" in failed.stderr and "were left as they were" in failed.stderr
    assert published(project) == before
    cache = project / "_build" / ".cache" / "render"
    for entry in cache.glob("*.json"):
        pdf = entry.with_suffix(".pdf")
        digest = json.loads(entry.read_text(encoding="utf-8"))["digest"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == digest

    chapter.write_text(original, encoding="utf-8")  # the writer fixes the mistake
    done = run(project, "all")
    assert rendered(done) == set()  # the fixed book is the book the cache already holds
    assert {name: data for name, (_, _, data) in published(project).items()} == {
        name: data for name, (_, _, data) in before.items()
    }


class _Sink:
    """A render service that has laid out some PDFs (classbook.render.service.RenderSink)."""

    def __init__(self, futures: dict[str, Future[render.Result]]) -> None:
        self.futures = futures

    def future(self, label: str) -> Future[render.Result] | None:
        return self.futures.get(label)

    def wait(self, futures: list[Future[render.Result]]) -> list[render.Result]:
        return [future.result() for future in futures]


def test_the_site_waits_for_its_downloads_and_copies_none_of_a_failed_build(
    tmp_path: Path,
) -> None:
    # In one build of every output the site's pages are written while the PDFs are laid
    # out (builders/downloads.py): it waits for those it copies, and a failed one is the
    # render's failure to report (the build then publishes nothing), not a missing file.
    job = render.Job(tmp_path / "a.html", tmp_path / "work" / "handouts" / "01-a4.pdf", "a4")
    done: Future[render.Result] = Future()
    done.set_result(render.Result(job))
    failed: Future[render.Result] = Future()
    failed.set_exception(render.RenderError("a.html: rendering a.pdf took longer than 1 s"))
    # The application as the orchestrator makes it, without running Sphinx.
    app = ClassbookSphinx.__new__(ClassbookSphinx)
    app.render_sink = _Sink({"handouts/01-a4.pdf": done, "pdf/book-a4.pdf": failed})
    assert downloads.in_progress(app, "pdf/book-a4.pdf")
    assert not downloads.in_progress(app, "pdf/book-letter.pdf")
    assert downloads.made(app, "handouts", "01-a4.pdf") == job.pdf  # where it was laid out
    assert downloads.made(app, "pdf", "book-a4.pdf") is None
    # A plain sphinx-build (no render service) finds each output in its folder beside.
    plain = Sphinx.__new__(Sphinx)
    plain.outdir = tmp_path / "out" / "html"
    assert downloads.made(plain, "pdf", "book-a4.pdf") == tmp_path / "out" / "pdf" / "book-a4.pdf"


def test_the_cache_is_pruned_of_entries_no_output_uses(project: Path) -> None:
    cache = project / "_build" / ".cache" / "render"
    (project / "mini" / "assignments" / "week-1.yml").unlink()
    done = run(project, "all")
    assert done.returncode == 0, done.stderr
    keys = {p.stem for p in cache.glob("*.pdf")}
    again = run(project, "all")  # nothing changed: nothing to prune either
    assert rendered(again) == set() and {p.stem for p in cache.glob("*.pdf")} == keys
    # The packet's entries are gone: restoring the assignment renders its packet again.
    (project / "mini" / "assignments" / "week-1.yml").write_text(ASSIGNMENT, encoding="utf-8")
    assert {f"packets/week-1-{p}.pdf" for p in ("a4", "letter")} <= rendered(run(project, "all"))


# -- The render cache on its own -------------------------------------------------------------


def _page(folder: Path, image: bytes) -> render.Job:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figure.svg").write_bytes(image)
    html = folder / "page.html"
    html.write_text(
        '<html lang="en"><head><title>T</title></head><body><p>Text</p>'
        '<img src="figure.svg" alt="A figure"><img src="missing.png" alt="Gone"></body></html>',
        encoding="utf-8",
    )
    return render.Job(html, folder / "page.pdf", "a4", roots=(folder,), timeout=120)


def _svg(colour: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        f'<rect width="10" height="10" fill="{colour}"/></svg>'
    ).encode()


def test_a_cache_hit_gives_the_same_bytes_and_replays_the_warnings(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    job = _page(tmp_path / "build", _svg("red"))
    with RenderService(cache=cache, workers=1) as service:
        [first] = service.wait([service.submit(job)])
        data = job.pdf.read_bytes()
        [second] = service.wait([service.submit(job)])
    assert not first.reused and second.reused
    assert job.pdf.read_bytes() == data
    assert second.pages == first.pages
    assert second.messages == first.messages
    assert any("missing.png" in message for _, message in second.messages)


def test_the_cache_key_changes_when_a_referenced_image_changes(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    job = _page(tmp_path / "build", _svg("red"))
    with RenderService(cache=cache, workers=1) as service:
        service.wait([service.submit(job)])
        assert cache.fetch(job) is not None
        (tmp_path / "build" / "figure.svg").write_bytes(_svg("blue"))  # same name
        assert cache.fetch(job) is None
        [again] = service.wait([service.submit(job)])
    assert not again.reused


def test_a_closed_render_service_neither_feeds_nor_restarts_its_pool(tmp_path: Path) -> None:
    # After Ctrl-C the pool is stopped while a result may still be coming back; the late
    # callback then asks for the next queued job, exactly as a submit does here.
    first, second = _page(tmp_path / "one", _svg("red")), _page(tmp_path / "two", _svg("blue"))
    service = RenderService(workers=1)
    service.submit(first)
    service.close()
    late = service.submit(second)  # must not raise "Pool not running" nor start workers
    assert not late.done()
    assert not multiprocessing.active_children()
    service.start()
    assert not multiprocessing.active_children()


def test_a_damaged_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    job = _page(tmp_path / "build", _svg("red"))
    with RenderService(cache=cache, workers=1) as service:
        service.wait([service.submit(job)])
    [entry] = (tmp_path / "cache").glob("*.pdf")
    entry.write_bytes(b"%PDF-1.7 damaged")
    assert cache.fetch(job) is None


def _dies_without_a_report(channel: object) -> None:
    os._exit(9)  # as a process killed for its memory would, saying nothing


def test_a_process_beside_the_build_that_dies_fails_the_build_with_a_line(capfd) -> None:
    beside = aside.Aside(_dies_without_a_report, (), "teacher bookpdf")
    beside.start()
    with RenderService(workers=1) as service:
        beside.forward_to(service)
        assert beside.join() == "teacher bookpdf"
    beside.stop()
    assert "the teacher bookpdf process stopped without a report (exit status 9)" in (
        capfd.readouterr().err
    )
