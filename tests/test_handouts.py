"""Per-chapter handouts: one per chapter and paper, numbered "Page x of N", QR to the chapter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from conftest import SITE
from helpers import SOURCE, fold, pdf_pages
from pypdf import PdfReader

from classbook.outputs import handout as handout_name
from classbook.sources import read_source

SECTIONS = read_source(SOURCE)
CHAPTERS = sorted(p.stem for p in (SOURCE.parents[1] / "chapters").glob("*.md"))
BASE = SITE
MEDIA = {"a4": (595, 842), "letter": (612, 792)}


def handouts(book) -> list[tuple[int, str, str, Path]]:
    return [
        (n, doc, paper, book.out("handouts") / handout_name(n, f"chapters/{doc}", paper))
        for n, doc in enumerate(CHAPTERS, start=1)
        for paper in ("a4", "letter")
    ]


def test_one_handout_per_chapter_and_paper(book) -> None:
    built = sorted(p.name for p in book.out("handouts").glob("*.pdf"))
    assert built == sorted(path.name for *_, path in handouts(book))
    assert len(built) == 2 * len(SECTIONS)


def test_page_numbers_restart_and_count_pages(book) -> None:
    for _n, _doc, paper, path in handouts(book):
        pages = pdf_pages(path)
        total = len(pages)
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} of {total}" in text, (path.name, number)
        box = PdfReader(path).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == MEDIA[paper]


def test_first_page_has_strip_url_content_note_and_chapter(book) -> None:
    for n, doc, _paper, path in handouts(book):
        first = fold(pdf_pages(path)[0])
        section = SECTIONS[n - 1]
        assert "The Homs Massacre, February 2012" in first
        assert section.heading in first
        assert f"{BASE}chapters/{doc}.html" in first.replace(" ", "")
        assert "Content note" in first or "CONTENT NOTE" in first
        whole = fold("\n".join(pdf_pages(path)))
        assert fold(section.paragraphs[0]) in whole


@pytest.mark.parametrize("index", [0, 4, 10])
def test_qr_code_decodes_to_the_chapter_url(book, tmp_path: Path, index: int) -> None:
    _n, doc, _paper, path = handouts(book)[index * 2]
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(png)], check=True
    )
    image = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert decoded == [f"{BASE}chapters/{doc}.html"]


def test_questions_have_answer_space_and_no_teacher_text(book) -> None:
    _n, _doc, _paper, path = handouts(book)[0]
    text = fold("\n".join(pdf_pages(path)))
    assert "DISCUSSION QUESTIONS" in text.upper()
    assert "Answer guidance" not in text


def test_every_character_inside_the_page_box(book) -> None:
    for *_, path in handouts(book)[::3]:
        with pdfplumber.open(path) as doc:
            for page in doc.pages:
                for char in page.chars:
                    assert char["x0"] >= 0 and char["x1"] <= page.width + 0.5, char["text"]
                    assert char["top"] >= 0 and char["bottom"] <= page.height + 0.5


def test_handouts_are_tagged(book) -> None:
    for *_, path in handouts(book)[:2]:
        with pikepdf.open(path) as doc:
            assert "/StructTreeRoot" in doc.Root
            assert str(doc.Root.Lang) == "en"
            assert doc.Root.ViewerPreferences.DisplayDocTitle is True
