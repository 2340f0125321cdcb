"""The source document reaches every output verbatim, each section mapped exactly once."""

from __future__ import annotations

import re

import pytest
from helpers import SLUG, SOURCE, epub_text, fold, html_text, pdf_text

from classbook.sources import read_source
from classbook.sources.text import parse_source

SECTIONS = read_source(SOURCE)
PARAGRAPHS = [p for s in SECTIONS for p in s.paragraphs]
FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.S)


def test_source_parses_into_the_expected_sections() -> None:
    headings = [s.heading for s in SECTIONS]
    assert headings[0] == "Overview of the Homs Massacre"
    assert headings[-1] == "Recommended Reading on the Syrian Conflict"
    assert len(SECTIONS) == 11
    assert len(PARAGRAPHS) == 11
    groups = {s.heading: s.group for s in SECTIONS if s.group}
    assert groups == {
        "A Call for Peace": "Fun Fact",
        "Recommended Reading on the Syrian Conflict": "Additional Resources",
    }


def test_parser_rules_on_a_small_text() -> None:
    text = "Title\nA sentence here.\nLabel\nInner Heading\nMore text: it ends.\n"
    sections = parse_source(text)
    assert [(s.heading, s.group, s.paragraphs) for s in sections] == [
        ("Title", None, ("A sentence here.",)),
        ("Inner Heading", "Label", ("More text: it ends.",)),
    ]


def test_every_source_heading_is_mapped_exactly_once() -> None:
    chapters = sorted((SOURCE.parents[1] / "chapters").glob("*.md"))
    mapped: list[tuple[str, str | None]] = []
    for chapter in chapters:
        match = FRONT_MATTER.match(chapter.read_text(encoding="utf-8"))
        assert match, f"{chapter.name} has no front matter"
        meta = dict(
            (k.strip(), v.strip().strip('"'))
            for k, v in (line.split(":", 1) for line in match.group(1).splitlines())
        )
        mapped.append((meta["source_heading"], meta.get("source_group")))
    assert sorted(h for h, _ in mapped) == sorted(s.heading for s in SECTIONS)
    assert len({h for h, _ in mapped}) == len(mapped)
    # Grouping labels are mapped too, each by exactly one chapter.
    assert sorted(g for _, g in mapped if g) == sorted(s.group for s in SECTIONS if s.group)


def test_chapters_are_in_source_order(book) -> None:
    index = (book.out("html") / "index.html").read_text(encoding="utf-8")
    positions = [index.find(f">{s.heading}<") for s in SECTIONS]
    assert -1 not in positions
    assert positions == sorted(positions)


@pytest.mark.parametrize("paragraph", PARAGRAPHS, ids=[s.heading[:30] for s in SECTIONS])
def test_paragraph_verbatim_in_html(book, paragraph: str) -> None:
    pages = [html_text(p) for p in (book.out("html") / "chapters").glob("*.html")]
    assert sum(fold(paragraph) in page for page in pages) == 1


@pytest.mark.parametrize("paragraph", PARAGRAPHS, ids=[s.heading[:30] for s in SECTIONS])
def test_paragraph_verbatim_in_epub(book, paragraph: str) -> None:
    assert fold(paragraph) in epub_text(book.out("epub") / f"{SLUG}.epub")


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_paragraphs_verbatim_in_pdf(book, paper: str) -> None:
    text = pdf_text(book.out("bookpdf") / f"{SLUG}-{paper}.pdf")
    missing = [p[:60] for p in PARAGRAPHS if fold(p) not in text]
    assert not missing


def test_fun_fact_label_is_not_printed(book) -> None:
    assert "Fun Fact" not in pdf_text(book.out("bookpdf") / f"{SLUG}-a4.pdf")
    assert "Fun Fact" not in epub_text(book.out("epub") / f"{SLUG}.epub")
    for page in book.out("html").rglob("*.html"):
        assert "Fun Fact" not in html_text(page), page


def test_additions_are_marked_and_never_inside_source_blocks(book) -> None:
    from bs4 import BeautifulSoup

    page = book.out("html") / "chapters" / "01-overview.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    source = soup.select("div.source-text")
    assert len(source) == 1
    assert not source[0].select(".editor-note, .editorial")
    assert soup.select("aside.editor-note[role=note]")
    assert soup.select("section.editorial.objectives")
    assert soup.select("section.editorial.questions")
