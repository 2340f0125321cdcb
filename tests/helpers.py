"""Readers for the built outputs: text and structure from HTML, EPUB and PDF files."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup
from pypdf import PdfReader

from classbook.publish.verify import fold  # the fold `make verify` uses

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "book" / "_source" / "homs-massacre.txt"
SLUG = "homs-massacre"


def html_text(path: Path, selector: str = "main, article, body") -> str:
    """Visible text of an HTML or XHTML file's main content."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    node = soup.select_one(selector) or soup
    return fold(node.get_text(" "))


def epub_documents(epub: Path) -> dict[str, str]:
    """Each XHTML content document of an EPUB, by its name in the archive."""
    with zipfile.ZipFile(epub) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".xhtml")
        }


def epub_text(epub: Path) -> str:
    """All text of an EPUB's content documents."""
    return fold(
        " ".join(
            BeautifulSoup(doc, "html.parser").get_text(" ") for doc in epub_documents(epub).values()
        )
    )


def print_parts(folder: Path) -> list[Path]:
    """The print HTML of a book PDF build, one file per part (classbook.builders.parts)."""
    parts = sorted(folder.glob("index-part-*.html"))
    assert parts, f"no print parts in {folder}"
    return parts


def print_book(folder: Path) -> BeautifulSoup:
    """All parts of the print book as one soup, in reading order."""
    return BeautifulSoup(
        "".join(p.read_text(encoding="utf-8") for p in print_parts(folder)), "html.parser"
    )


def pdf_pages(pdf: Path) -> list[str]:
    """Text of each page of a PDF, as extracted (line breaks kept)."""
    info = pdf.stat()
    return list(_pdf_pages(str(pdf), info.st_size, info.st_mtime_ns))


@functools.lru_cache(maxsize=128)
def _pdf_pages(pdf: str, _size: int, _mtime_ns: int) -> tuple[str, ...]:
    # Read once per file as it is (a rebuilt PDF has another size or time): pypdf takes
    # seconds for a book, and a dozen tests read the same book PDFs.
    return tuple(page.extract_text() or "" for page in PdfReader(pdf).pages)


def pdf_text(pdf: Path) -> str:
    """All text of a PDF, folded."""
    return fold("\n".join(pdf_pages(pdf)))


def replace_once(old: str, new: str) -> Callable[[str], str]:
    """An edit for a test's broken copy of a file: ``old`` must be there, once replaced."""

    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


def run_classbook(
    project: Path, *args: str, epoch: int | str | None, tz: str = "UTC", pipeline: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m classbook ARGS`` in ``project`` with a fixed SOURCE_DATE_EPOCH (None:
    none, as a writer runs it) and the ``classbook`` package of ``pipeline``."""
    env = {**os.environ, "PYTHONPATH": str(pipeline), "SOURCE_DATE_EPOCH": str(epoch), "TZ": tz}
    if epoch is None:
        del env["SOURCE_DATE_EPOCH"]
    return subprocess.run(
        [sys.executable, "-m", "classbook", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
