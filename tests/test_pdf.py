"""The book PDF: paper sizes, metadata, outline, contents page numbers, running heads, fonts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from conftest import SITE
from helpers import SLUG, SOURCE, fold, pdf_pages
from pypdf import PdfReader

from classbook.sources import read_source

MEDIA = {"a4": (595, 842), "letter": (612, 792)}
CHAPTER_TITLES = [s.heading for s in read_source(SOURCE)]


def pdf(book, paper: str = "a4") -> Path:
    return book.out("bookpdf") / f"{SLUG}-{paper}.pdf"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_media_box(book, paper: str) -> None:
    reader = PdfReader(pdf(book, paper))
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == MEDIA[paper]


def test_metadata(book) -> None:
    reader = PdfReader(pdf(book))
    assert reader.metadata.title == "The Homs Massacre, February 2012"
    assert "Classbook editors" in reader.metadata.author
    with pikepdf.open(pdf(book)) as doc:
        assert str(doc.Root.Lang) == "en"
        assert doc.Root.ViewerPreferences.DisplayDocTitle is True


def _outline(book) -> list[tuple[str, int]]:
    reader = PdfReader(pdf(book))

    def walk(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            elif depth == 0:
                yield item.title, reader.get_destination_page_number(item) + 1

    return list(walk(reader.outline))


def test_outline_titles_are_the_chapter_titles(book) -> None:
    titles = [title for title, _ in _outline(book)]
    for chapter in CHAPTER_TITLES:
        assert chapter in titles
    chapter_positions = [titles.index(c) for c in CHAPTER_TITLES]
    assert chapter_positions == sorted(chapter_positions)


def test_contents_page_numbers_match_chapter_starts(book) -> None:
    pages = pdf_pages(pdf(book))
    toc = next(p for p in pages if p.lstrip().startswith("Contents"))
    printed = {}
    for line in toc.splitlines():
        match = re.match(r"(.+?)[ .…]*\s(\d+)$", line.strip())
        if match:
            printed[match.group(1).rstrip(" .")] = int(match.group(2))
    starts = dict(_outline(book))
    for chapter in CHAPTER_TITLES:
        assert printed[chapter] == starts[chapter], chapter
        # The chapter title opens the page the contents point to.
        assert chapter in pages[starts[chapter] - 1]


def test_each_chapter_starts_a_new_page(book) -> None:
    starts = [page for title, page in _outline(book) if title in CHAPTER_TITLES]
    assert len(set(starts)) == len(CHAPTER_TITLES)


def test_running_head_and_page_number(book) -> None:
    pages = pdf_pages(pdf(book))
    starts = dict(_outline(book))
    page = starts["Overview of the Homs Massacre"]
    continuation = pages[page]  # the chapter's second page
    # Margin boxes are artifacts, extracted after the page's content: one line holds
    # the book title (top left) and the chapter title (top right).
    assert any(
        "The Homs Massacre, February 2012" in line and "Overview of the Homs Massacre" in line
        for line in continuation.splitlines()
    )
    assert re.search(rf"(^|\n)\s*{page + 1}\s*($|\n)", continuation)


def test_edition_page(book) -> None:
    text = fold(" ".join(pdf_pages(pdf(book))[:4]))
    assert f"Read online at {SITE}" in text
    assert "Version 1.0" in text
    assert "CC BY-NC-SA 4.0" in text


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_all_fonts_embedded(book, paper: str) -> None:
    listing = subprocess.run(
        ["pdffonts", str(pdf(book, paper))], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing
    for row in listing:
        assert row.split()[-5] == "yes", row  # the "emb" column


def test_tagged_for_accessibility(book) -> None:
    with pikepdf.open(pdf(book)) as doc:
        assert "/StructTreeRoot" in doc.Root
        assert doc.Root.MarkInfo.Marked is True


def test_print_links_show_their_target(book) -> None:
    text = fold(" ".join(pdf_pages(pdf(book))))
    # Internal cross-references print the page they lead to, external ones their address.
    pages = [int(n) for n in re.findall(r"\(see p\. (\d+)\)", text)]
    assert pages
    assert all(1 <= n <= len(pdf_pages(pdf(book))) for n in pages)


def test_external_links_print_their_address(mini) -> None:
    text = fold(" ".join(pdf_pages(mini.out("bookpdf") / "mini-a4.pdf")))
    assert "See Example News (https://example.org/news)." in text
    # A bibliography entry shows its address once, not again in brackets.
    assert "https://example.org/report (https://example.org/report)" not in text


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_every_character_inside_the_page_box(book, paper: str) -> None:
    with pdfplumber.open(pdf(book, paper)) as doc:
        for page in doc.pages:
            for char in page.chars:
                assert char["x0"] >= 0 and char["x1"] <= page.width + 0.5, char["text"]
                assert char["top"] >= 0 and char["bottom"] <= page.height + 0.5
