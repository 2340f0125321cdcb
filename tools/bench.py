"""``make bench``: our pipeline against the naive one, on synthetic books and the real book.

For each book (``synthetic-N`` for every N of ``--chapters``, then ``real``) and each
pipeline, in one run on this machine: a cold build of every output, a no-op rebuild, a
rebuild after editing one sentence of one chapter, the peak memory of the whole process
tree, the PDF pages laid out and the layout floor. The naive pipeline is the one this
project had before its orchestrator: a ``sphinx-build`` per output into an empty folder,
each builder with WeasyPrint workers of its own, nothing cached. (The web theme's HTML and
CSS fed to WeasyPrint does not finish one chapter page in 300 s on this stack, so it is
no baseline.) For the synthetic books it also times the book PDF alone (student
edition, A4) against sphinx-simplepdf's, installed into a throwaway environment of its own
(``_build/bench/simplepdf-venv``; it is not a dependency of the project), and the web site
with the book theme against Sphinx's basic theme: each pair ``--repeat`` times (3),
alternating, and reports the medians. For the real book it also times the live preview:
a sentence saved into a chapter until Chromium shows it (``tools/previewbench.py``). Prints
a table with the ratios and writes ``_build/bench/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from previewbench import bench_preview

ROOT = Path(__file__).resolve().parents[1]
#: The peer the book PDF is compared with (issue: chunked book PDF), and where it lives.
SIMPLEPDF = "sphinx-simplepdf==1.7.0"
#: Debian's Chromium (the browser tests' too): the stretch figure's printer.
CHROMIUM = "/usr/bin/chromium"
SIMPLEPDF_VENV = ROOT / "_build" / "bench" / "simplepdf-venv"
WORDS = [
    "the",
    "city",
    "council",
    "archive",
    "record",
    "witness",
    "report",
    "district",
    "street",
    "family",
    "school",
    "market",
    "river",
    "bridge",
    "morning",
    "evening",
    "letter",
    "teacher",
    "student",
    "question",
    "evidence",
    "source",
    "account",
    "history",
    "people",
    "year",
    "month",
    "village",
    "road",
    "house",
    "window",
    "door",
]


# -- Synthetic books --------------------------------------------------------------------------


def _prose(seed: int, words: int) -> str:
    """Deterministic filler prose of ``words`` words, in sentences."""
    out, sentence = [], []
    for i in range(words):
        sentence.append(WORDS[(seed * 7 + i * 13) % len(WORDS)])
        if len(sentence) == 12:
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return " ".join(out)


def make_book(folder: Path, chapters: int) -> Path:
    """A project of ``chapters`` chapters of about 1,500 words each, with our conf.py."""
    book = folder / "book"
    for sub in ("_source", "_data", "_static", "chapters", "front", "back"):
        (book / sub).mkdir(parents=True, exist_ok=True)
    (book / "_data" / "references.bib").write_text(
        "@online{synthetic2012,\n  author = {Doe, Jane},\n  title = {A Report},\n"
        "  date = {2012-02-04},\n  organization = {Example News},\n"
        "  url = {https://example.org/report},\n}\n",
        encoding="utf-8",
    )
    claims = []
    (book / "_static" / "figure.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80">'
        '<rect width="200" height="80" fill="#ddd"/><text x="10" y="45">Figure</text></svg>',
        encoding="utf-8",
    )
    source, toc = [], []
    for n in range(1, chapters + 1):
        heading = f"Synthetic Chapter {n}"
        paragraphs = [_prose(n * 3 + k, 100) for k in range(3)]
        source += [heading, *paragraphs]
        sections = "\n\n".join(
            f"## Section {n}.{k}\n\n{_prose(n * 11 + k, 290)}[^n{k}]\n\n[^n{k}]: A note, {k}."
            for k in range(1, 5)
        )
        back = f" Compare {{ref}}`chapter-{n - 1}`." if n > 1 else ""
        claim = " ".join(paragraphs[0].split()[1:4])
        text = "\n".join(
            [
                "---",
                f'source_heading: "{heading}"',
                "---",
                f"(chapter-{n})=",
                f"# {heading}",
                "",
                ":::{objectives}",
                f"- Read chapter {n} closely.",
                ":::",
                "",
                *(f":::{{source-text}}\n{p}\n:::\n" for p in paragraphs),
                ":::{editor-note}",
                f":claim: {claim}",
                f":label: note-c{n}",
                f"A note of ours on chapter {n} {{cite:p}}`synthetic2012`.{back}",
                ":::",
                "",
                sections,
                "",
                ":::{figure} ../_static/figure.svg",
                ":alt: A grey box labelled Figure",
                "",
                f"A figure in chapter {n}.",
                ":::",
                "",
                ":::{questions}",
                f"1. What does chapter {n} say?",
                ":::",
                "",
            ]
        )
        claims.append(
            f'- id: c{n}\n  chapter: chapter-{n}\n  claim: "{claim}"\n'
            f'  record: "What the report says of chapter {n}."\n  reported_by: Example News\n'
            "  verdict: supported\n  evidence:\n    - source: synthetic2012\n"
            f'      quote: "A sentence of the report about chapter {n}."\n'
            "      where: paragraph 1\n      read_on: 2026-12-01\n"
            "      read_at: https://example.org/report\n"
        )
        name = f"chapters/{n:03d}-synthetic"
        (book / f"{name}.md").write_text(text, encoding="utf-8")
        toc.append(name)
    (book / "_data" / "claims.yml").write_text("\n".join(claims), encoding="utf-8")
    (book / "_source" / "synthetic.txt").write_text("\n".join(source) + "\n", encoding="utf-8")
    (book / "front" / "content-note.md").write_text(
        "(content-note)=\n# Content note\n\nSynthetic text for measuring the pipeline.\n",
        encoding="utf-8",
    )
    (book / "index.md").write_text(
        f"# Synthetic book of {chapters} chapters\n\n:::{{toctree}}\n:maxdepth: 1\n\n"
        "front/content-note\n" + "\n".join(toc) + "\nback/bibliography\n:::\n",
        encoding="utf-8",
    )
    shutil.copy(ROOT / "book" / "back" / "bibliography.md", book / "back" / "bibliography.md")
    conf = ROOT / "conf.py"
    (folder / "conf.py").write_text(
        f"# Our real configuration, with this book's facts.\n__file__ = {str(conf)!r}\n"
        f"exec(compile(open(__file__, encoding='utf-8').read(), __file__, 'exec'))\n"
        f"project = html_title = epub_title = 'Synthetic book of {chapters} chapters'\n"
        "classbook_slug = epub_basename = 'synthetic'\n"
        "classbook_source_document = '_source/synthetic.txt'\n",
        encoding="utf-8",
    )
    return folder


def real_book(folder: Path) -> Path:
    """A copy of the real book's project (its content and conf.py; the pipeline is ours)."""
    shutil.copytree(ROOT / "book", folder / "book")
    shutil.copy(ROOT / "conf.py", folder / "conf.py")
    return folder


def edit_one_chapter(project: Path) -> None:
    """Append one sentence of ours to the first chapter (not to the source text)."""
    first = sorted((project / "book" / "chapters").glob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nOne more sentence of ours.\n")


# -- Measuring -------------------------------------------------------------------------------


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            with open(f"/proc/{current}/status", encoding="utf-8") as handle:
                total += next(
                    (int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0
                )
        except OSError:
            continue
    return total


def measure(
    commands: list[list[str]],
    cwd: Path,
    *,
    bin_dir: Path | None = None,
    environ: dict[str, str] | None = None,
) -> tuple[float, float, str]:
    """Run ``commands`` one after the other; wall seconds, peak tree RSS (MB), stderr.

    ``bin_dir`` goes first on PATH (sphinx-simplepdf runs its environment's ``weasyprint``);
    ``environ`` adds to the environment.
    """
    peak, err = 0, []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
    env |= environ or {}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    started = time.perf_counter()
    for command in commands:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        chunks: list[str] = []
        reader = threading.Thread(target=lambda p=process, c=chunks: c.append(p.stderr.read()))
        reader.start()
        while process.poll() is None:
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.05)  # sampling interval, not a synchronisation
        reader.join()
        err += chunks
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{''.join(chunks)[-3000:]}")
    return time.perf_counter() - started, peak / 1024, "".join(err)


@dataclass
class Record:
    """One book built by one pipeline (the fields `_build/bench/latest.json` holds)."""

    book: str
    pipeline: str
    # None for a pipeline that makes only the book PDF (sphinx-simplepdf).
    cold_s: float | None = None
    noop_s: float | None = None
    edit_s: float | None = None
    peak_rss_mb: float | None = None
    floor_s: float | None = None
    pages: int = 0
    pdfs_rendered_noop: int | None = None
    pdfs_rendered_edit: int | None = None
    html_s: float | None = None
    html_basic_s: float | None = None
    #: The book PDF alone (student edition, A4), cold: wall seconds and peak tree RSS.
    pdf_s: float | None = None
    pdf_peak_rss_mb: float | None = None
    #: Both editions' book PDFs (A4) through the orchestrator: cold, and after one edit.
    pdf_build_cold_s: float | None = None
    pdf_build_edit_s: float | None = None
    #: The same book printed by Chromium (single-page HTML, the web theme), as Jupyter
    #: Book's pdfhtml does: wall seconds of the print alone, and its pages.
    chromium_s: float | None = None
    chromium_pages: int | None = None
    #: The cartridge step's own seconds in a build with the site's address (what it adds
    #: to a cold build), and the wall seconds of `make cartridge` when nothing changed.
    cartridge_s: float | None = None
    cartridge_noop_s: float | None = None
    #: The live preview (the real book): seconds from a sentence saved into a chapter to
    #: Chromium showing it, the median of three edits (tools/previewbench.py).
    preview_reload_s: float | None = None


def _pages(folder: Path) -> int:
    return _count_pages(p for p in folder.glob("[!.]*/*.pdf") if p.parent.name != "downloads")


def _count_pages(pdfs: Iterable[Path]) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(pdf).pages) for pdf in sorted(pdfs))


def bench_classbook(project: Path, book: str) -> Record:
    build = project / "_build"
    report = project / "report.json"
    command = [sys.executable, "-m", "classbook", "build", "--build-dir", str(build)]
    command += ["--report", str(report), "all"]
    cold, peak, _ = measure([command], project)
    figures = json.loads(report.read_text(encoding="utf-8"))
    floor = figures["layout_s"] / (os.cpu_count() or 1) + figures["steps"]["student/html"]
    pages = _pages(build)
    noop, peak_noop, _ = measure([command], project)
    noop_rendered = json.loads(report.read_text(encoding="utf-8"))["rendered"]
    edit_one_chapter(project)
    edit, peak_edit, _ = measure([command], project)
    edit_rendered = json.loads(report.read_text(encoding="utf-8"))["rendered"]
    return Record(book, "classbook", cold, noop, edit, max(peak, peak_noop, peak_edit),
                  floor, pages, noop_rendered, edit_rendered)  # fmt: skip


#: A GitHub repository for the books' site address: the cartridge links to real pages.
CARTRIDGE_REPOSITORY = "classbook-editions/bench"
#: The limits of issue #27, set for our book: what the cartridge adds to its cold build, and
#: a no-op rebuild (a synthetic book's figures are reported, not held to them).
CARTRIDGE_LIMIT_S, CARTRIDGE_NOOP_LIMIT_S = 1.0, 2.0


def bench_cartridge(project: Path) -> tuple[float, float]:
    """The cartridge step's seconds in a build with the site's address, then the wall
    seconds of the same command (`make cartridge`) again with nothing changed."""
    build, report = project / "_build", project / "report-cartridge.json"
    command = [sys.executable, "-m", "classbook", "build", "--build-dir", str(build)]
    command += ["--report", str(report), "cartridge"]
    environ = {"GITHUB_REPOSITORY": CARTRIDGE_REPOSITORY}
    measure([command], project, environ=environ)
    step = json.loads(report.read_text(encoding="utf-8"))["steps"]["student/cartridge"]
    noop, _peak, _ = measure([command], project, environ=environ)
    return step, noop


def cartridge_limits(records: list[Record]) -> list[str]:
    """Each figure over the cartridge's limits, as a line to print."""
    over = []
    for r in (r for r in records if r.book == "real"):
        if r.cartridge_s is not None and r.cartridge_s > CARTRIDGE_LIMIT_S:
            over.append(f"{r.book}: the cartridge step took {r.cartridge_s:.2f} s "
                        f"(limit {CARTRIDGE_LIMIT_S} s)")  # fmt: skip
        if r.cartridge_noop_s is not None and r.cartridge_noop_s > CARTRIDGE_NOOP_LIMIT_S:
            over.append(f"{r.book}: a no-op make cartridge took {r.cartridge_noop_s:.2f} s "
                        f"(limit {CARTRIDGE_NOOP_LIMIT_S} s)")  # fmt: skip
    return over


def naive_commands(project: Path) -> list[list[str]]:
    """The naive pipeline: a ``sphinx-build`` per output into an empty folder, each builder
    starting WeasyPrint workers of its own and rendering every PDF, nothing cached (the
    Makefile before the orchestrator)."""
    out = project / "naive"
    shutil.rmtree(out, ignore_errors=True)
    sphinx = [sys.executable, "-m", "sphinx", "-c", str(project), str(project / "book")]
    steps = [("epub", "epub", "student"), ("bookpdf", "pdf", "student"),
             ("bookpdf", "pdf-teacher", "teacher"), ("handouts", "handouts", "student"),
             ("packets", "packets", "student"), ("html", "html", "student")]  # fmt: skip
    commands = []
    for builder, folder, edition in steps:
        tag = ["-t", "teacher", "-D", "classbook_edition=teacher"] if edition == "teacher" else []
        doctrees = out / f"doctrees-{edition}"
        commands.append(
            ["rm", "-rf", str(out / folder)]  # each output starts from an empty folder
        )
        commands.append(
            [*sphinx, str(out / folder), "-b", builder, "-nW", "--keep-going", "-q",
             "-d", str(doctrees), *tag]
        )  # fmt: skip
    return commands


def bench_naive(project: Path, book: str) -> Record:
    commands = naive_commands(project)
    cold, peak, _ = measure(commands, project)
    pages = _pages(project / "naive")
    pdfs = len([p for p in (project / "naive").glob("*/*.pdf") if "_packets" not in p.parts])
    noop, peak_noop, _ = measure(commands, project)
    edit_one_chapter(project)
    edit, peak_edit, _ = measure(commands, project)
    return Record(book, "naive", cold, noop, edit, max(peak, peak_noop, peak_edit), None,
                  pages, pdfs, pdfs)  # fmt: skip


def bench_book_pdf(project: Path) -> tuple[float, float]:
    """Our book PDF alone, cold, as ``sphinx-build -b bookpdf`` makes it (A4 only)."""
    out = project / "bookpdf-only"
    command = [sys.executable, "-m", "sphinx", "-b", "bookpdf", "-c", str(project),
               str(project / "book"), str(out), "-q", "-D", "classbook_paper_sizes=a4",
               "-d", str(out / ".doctrees")]  # fmt: skip
    seconds, peak, _ = measure([command], project)
    return seconds, peak


def bench_book_pdf_edit(project: Path) -> tuple[float, float]:
    """Both editions' book PDFs (A4) through the orchestrator, cold into a build folder and
    cache of their own, then again after one chapter's edit: wall seconds of each."""
    build = project / "_build-pdf"
    command = [sys.executable, "-m", "classbook", "build", "-q", "--build-dir", str(build),
               "-D", "classbook_paper_sizes=a4", "pdf"]  # fmt: skip
    cold = measure([command], project)[0]
    edit_one_chapter(project)
    edit = measure([command], project)[0]
    return cold, edit


def bench_chromium(project: Path) -> tuple[float, int]:
    """The single-page HTML of the book (web theme) printed by Chromium: wall seconds of
    the print, and its pages (Jupyter Book's ``pdfhtml`` prints the same way)."""
    out = project / "singlehtml"
    build = [sys.executable, "-m", "sphinx", "-b", "singlehtml", "-c", str(project),
             str(project / "book"), str(out), "-q"]  # fmt: skip
    measure([build], project)
    pdf = project / "chromium.pdf"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", (out / "index.html").as_uri()]  # fmt: skip
    seconds = measure([command], project)[0]
    return seconds, _count_pages([pdf])


def simplepdf_python() -> Path:
    """The throwaway environment with sphinx-simplepdf and this pipeline (made once)."""
    python = SIMPLEPDF_VENV / "bin" / "python"
    stamp = SIMPLEPDF_VENV / f".installed-{SIMPLEPDF}"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SIMPLEPDF_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        # The book's directives need the pipeline's extension; its pins match simplepdf's.
        subprocess.run([*pip, SIMPLEPDF, "-e", str(ROOT)], check=True)
        stamp.touch()
    return python


def bench_simplepdf(project: Path, book: str) -> Record:
    """The same book through sphinx-simplepdf: one PDF, cold."""
    conf = project / "simplepdf-conf"
    conf.mkdir(exist_ok=True)
    (conf / "conf.py").write_text(
        f"__file__ = {str(project / 'conf.py')!r}\n"
        "exec(compile(open(__file__, encoding='utf-8').read(), __file__, 'exec'))\n"
        "extensions.append('sphinx_simplepdf')\n"
        # Paths in our conf.py are relative to its folder, not to this one.
        f"bibtex_bibfiles = [{str(project)!r} + '/' + f for f in bibtex_bibfiles]\n",
        encoding="utf-8",
    )
    out = project / "simplepdf"
    python = simplepdf_python()
    command = [str(python), "-m", "sphinx", "-b", "simplepdf", "-c", str(conf),
               str(project / "book"), str(out), "-q", "-d", str(out / ".doctrees")]  # fmt: skip
    seconds, peak, _ = measure([command], project, bin_dir=python.parent)
    pages = _count_pages(out.glob("*.pdf"))
    return Record(book, "simplepdf", pages=pages, pdf_s=seconds, pdf_peak_rss_mb=peak)


def bench_html_themes(project: Path, repeat: int = 1) -> tuple[float, float]:
    """Cold ``html`` builds with the book theme and with Sphinx's ``basic`` theme, one after
    the other ``repeat`` times: the median of each."""
    times: dict[str, list[float]] = {"sphinx_book_theme": [], "basic": []}
    for _ in range(repeat):
        for theme, seconds in times.items():
            out = project / f"html-{theme}"
            shutil.rmtree(out, ignore_errors=True)
            command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(project),
                       str(project / "book"), str(out), "-q",
                       "-D", f"html_theme={theme}"]  # fmt: skip
            seconds.append(measure([command], project)[0])
    return statistics.median(times["sphinx_book_theme"]), statistics.median(times["basic"])


def bench_book_pdfs(project: Path, book: str, repeat: int = 1) -> tuple[float, float, Record]:
    """Our book PDF and sphinx-simplepdf's, one after the other ``repeat`` times: the median
    seconds and peak memory of ours, and simplepdf's record with its medians."""
    ours: list[tuple[float, float]] = []
    theirs: list[Record] = []
    for _ in range(repeat):
        shutil.rmtree(project / "bookpdf-only", ignore_errors=True)
        ours.append(bench_book_pdf(project))
        shutil.rmtree(project / "simplepdf", ignore_errors=True)
        theirs.append(bench_simplepdf(project, book))
    peer = theirs[-1]
    peer.pdf_s = statistics.median(r.pdf_s for r in theirs if r.pdf_s is not None)
    peer.pdf_peak_rss_mb = statistics.median(
        r.pdf_peak_rss_mb for r in theirs if r.pdf_peak_rss_mb is not None
    )
    return statistics.median(s for s, _ in ours), statistics.median(m for _, m in ours), peer


# -- Report ----------------------------------------------------------------------------------


def table(records: list[Record]) -> str:
    rows = [
        f"{'book':<14} {'pipeline':<10} {'cold s':>7} {'no-op s':>8} {'edit s':>7} "
        f"{'peak MB':>8} {'floor s':>8} {'pages':>6} {'PDFs no-op/edit':>16}"
    ]
    for r in records:
        if r.cold_s is None:
            continue  # a book-PDF-only record: below
        floor = f"{r.floor_s:.1f}" if r.floor_s is not None else "-"
        rows.append(
            f"{r.book:<14} {r.pipeline:<10} {r.cold_s:>7.1f} {r.noop_s:>8.1f} {r.edit_s:>7.1f} "
            f"{r.peak_rss_mb:>8.0f} {floor:>8} {r.pages:>6} "
            f"{f'{r.pdfs_rendered_noop}/{r.pdfs_rendered_edit}':>16}"
        )
    rows.append("")
    books = dict.fromkeys(r.book for r in records)
    for book in books:
        ours = next(r for r in records if r.book == book and r.pipeline == "classbook")
        naive = next(r for r in records if r.book == book and r.pipeline == "naive")
        line = (
            f"{book}: cold {ours.cold_s / naive.cold_s:.2f}x naive, "
            f"{ours.cold_s / ours.floor_s:.2f}x floor; "
            f"edit {ours.edit_s / ours.cold_s:.2f}x cold; no-op {ours.noop_s:.1f} s"
        )
        if ours.html_s and ours.html_basic_s:
            line += f"; html {ours.html_s / ours.html_basic_s:.2f}x the basic theme"
        rows.append(line)
        if ours.cartridge_s is not None and ours.cartridge_noop_s is not None:
            rows.append(
                f"{book}: cartridge step {ours.cartridge_s:.2f} s of a build "
                f"(limit {CARTRIDGE_LIMIT_S} s); no-op make cartridge "
                f"{ours.cartridge_noop_s:.2f} s (limit {CARTRIDGE_NOOP_LIMIT_S} s)"
            )
        peer = next((r for r in records if r.book == book and r.pipeline == "simplepdf"), None)
        if peer is not None and ours.pdf_s and peer.pdf_s and peer.pdf_peak_rss_mb:
            rows.append(
                f"{book}: book PDF (student, A4) {ours.pdf_s:.1f} s, "
                f"{ours.pdf_peak_rss_mb:.0f} MB; sphinx-simplepdf {peer.pdf_s:.1f} s, "
                f"{peer.pdf_peak_rss_mb:.0f} MB, {peer.pages} pages: "
                f"{ours.pdf_s / peer.pdf_s:.2f}x its time, "
                f"{(ours.pdf_peak_rss_mb or 0) / peer.pdf_peak_rss_mb:.2f}x its memory"
            )
        if ours.pdf_build_cold_s and ours.pdf_build_edit_s:
            rows.append(
                f"{book}: book PDFs (both editions, A4) cold {ours.pdf_build_cold_s:.1f} s, "
                f"after one chapter's edit {ours.pdf_build_edit_s:.1f} s: "
                f"{ours.pdf_build_edit_s / ours.pdf_build_cold_s:.2f}x cold"
            )
        if ours.preview_reload_s is not None:
            rows.append(f"{book}: live preview, edit to reload {ours.preview_reload_s:.2f} s")
        if ours.chromium_s and ours.pdf_s:
            rows.append(
                f"{book}: Chromium prints the single-page site in {ours.chromium_s:.1f} s "
                f"({ours.chromium_pages} pages, no page numbers): our book PDF takes "
                f"{ours.pdf_s / ours.chromium_s:.2f}x its time"
            )
    return "\n".join(rows)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give 1 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    """Build the books, print the table and write ``_build/bench/latest.json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--chapters", default="10 50", help="synthetic book sizes, e.g. '10 50' or 200"
    )
    parser.add_argument("--no-real", action="store_true", help="skip the real book")
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=3,
        help="runs of each paired comparison (book theme and basic theme; our book PDF and "
        "sphinx-simplepdf's), alternating; their medians are reported",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench" / "latest.json")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in re.split(r"[\s,]+", args.chapters.strip()) if n]
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="classbook-bench-") as tmp:
        books = [(f"synthetic-{n}", n) for n in sizes] + ([] if args.no_real else [("real", 0)])
        for name, n in books:
            for pipeline in ("classbook", "naive"):
                folder = Path(tmp) / f"{name}-{pipeline}"
                project = make_book(folder, n) if n else real_book(folder)
                sys.stderr.write(f"bench: {name}, {pipeline} pipeline\n")
                bench = bench_classbook if pipeline == "classbook" else bench_naive
                record = bench(project, name)
                if pipeline == "classbook":
                    record.cartridge_s, record.cartridge_noop_s = bench_cartridge(project)
                if n and pipeline == "classbook":
                    repeat = args.repeat
                    record.html_s, record.html_basic_s = bench_html_themes(project, repeat)
                    sys.stderr.write(f"bench: {name}, book PDF, ours and {SIMPLEPDF}\n")
                    record.pdf_s, record.pdf_peak_rss_mb, peer = bench_book_pdfs(
                        project, name, repeat
                    )
                    record.pdf_build_cold_s, record.pdf_build_edit_s = bench_book_pdf_edit(project)
                    record.chromium_s, record.chromium_pages = bench_chromium(project)
                    records.extend([record, peer])
                    continue
                if not n and pipeline == "classbook":
                    sys.stderr.write(f"bench: {name}, live preview\n")
                    record.preview_reload_s = statistics.median(bench_preview(project))
                records.append(record)
    print(table(records))  # noqa: T201
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(r) for r in records], indent=1), encoding="utf-8")
    print(f"\nwritten to {args.out}")  # noqa: T201
    over = cartridge_limits(records)
    for line in over:
        print(f"over the limit: {line}")  # noqa: T201
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
