"""Editor's notes beside every checked claim, in every output; objectives, questions, terms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from helpers import ROOT, SLUG, epub_documents, fold, pdf_text

CHAPTERS = {
    re.search(r"^\((.+)\)=$", path.read_text(encoding="utf-8"), re.M).group(1): path.stem
    for path in sorted((ROOT / "book" / "chapters").glob("*.md"))
}
CLAIMS = yaml.safe_load((ROOT / "book" / "_data" / "claims.yml").read_text(encoding="utf-8"))


def page(book, stem: str) -> BeautifulSoup:
    html = book.out("html") / "chapters" / f"{stem}.html"
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def quoted(claim: str) -> str:
    return f"The source says: \u201c{fold(claim)}\u201d"


def test_register_covers_the_research_notes_claims() -> None:
    assert len(CLAIMS) >= 11
    chapters = {entry["chapter"] for entry in CLAIMS}
    assert {"overview", "february-2", "eyewitness-accounts", "recommended-reading"} <= chapters


@pytest.mark.parametrize("entry", CLAIMS, ids=[entry["id"] for entry in CLAIMS])
def test_claim_has_an_adjacent_cited_note_in_html(book, entry: dict) -> None:
    soup = page(book, CHAPTERS[entry["chapter"]])
    notes = [
        note
        for note in soup.select("aside.editor-note")
        if fold(note.select_one(".claim-words").get_text()) == f"\u201c{fold(entry['claim'])}\u201d"
    ]
    assert len(notes) == 1
    note = notes[0]
    assert note.select(".bibtex-citation a[href]"), "the note cites no source"
    # Adjacent: only other editor's notes stand between the source text and the note.
    for sibling in note.find_previous_siblings(True):
        if "source-text" in sibling.get("class", []):
            break
        assert "editor-note" in sibling.get("class", []), sibling.name
    else:
        pytest.fail("no source text before the note")


@pytest.mark.parametrize("entry", CLAIMS, ids=[entry["id"] for entry in CLAIMS])
def test_claim_note_in_epub(book, entry: dict) -> None:
    docs = epub_documents(book.out("epub") / f"{SLUG}.epub")
    text = BeautifulSoup(docs[f"chapters/{CHAPTERS[entry['chapter']]}.xhtml"], "html.parser")
    assert quoted(entry["claim"]) in fold(text.get_text(" "))


def test_claim_notes_in_pdf(book) -> None:
    text = pdf_text(book.out("bookpdf") / f"{SLUG}-a4.pdf")
    missing = [entry["id"] for entry in CLAIMS if quoted(entry["claim"]) not in text]
    assert missing == []


@pytest.mark.parametrize("stem", CHAPTERS.values())
def test_every_chapter_has_objectives_questions_and_terms(book, stem: str) -> None:
    soup = page(book, stem)
    objectives = soup.select("section.editorial.objectives li")
    questions = soup.select("section.editorial.questions > ol > li, section.questions ol > li")
    assert 2 <= len(objectives) <= 4
    assert 3 <= len(questions) <= 5
    assert soup.select("a[href*='glossary.html#term-']"), "no glossary term linked"


def test_every_glossary_link_resolves(book) -> None:
    glossary = BeautifulSoup(
        (book.out("html") / "back" / "glossary.html").read_text(encoding="utf-8"), "html.parser"
    )
    ids = {tag["id"] for tag in glossary.select("[id]")}
    links = [
        a["href"].split("#", 1)[1]
        for path in (book.out("html") / "chapters").glob("*.html")
        for a in page(book, Path(path).stem).select("a[href*='glossary.html#']")
    ]
    assert links
    assert sorted(set(links) - ids) == []
