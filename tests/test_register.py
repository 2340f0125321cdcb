"""The claims register: its table in every output, and the build failing on each bad entry."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, sphinx
from helpers import epub_documents, pdf_text, replace_once

from classbook.register import HEADERS, STATUSES

CLAIMS = ROOT / "book" / "_data" / "claims.yml"


def _squash(text: str) -> str:
    """Text without whitespace or hyphens: PDF lines break and hyphenate anywhere."""
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text)


def _check(src: Path, tmp_path: Path) -> int:
    """Read and check the book only (Sphinx's dummy builder): fast, and nothing is written."""
    return sphinx("dummy", src, tmp_path / "out", doctrees=tmp_path / "doctrees")


def _register(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    table = soup.select_one("table.claims-register")
    assert table is not None, "no claims register table"
    return table


def _assert_accessible(table: BeautifulSoup, rows: int) -> None:
    assert "Claims register" in table.caption.get_text()
    assert [th.get_text(" ", strip=True) for th in table.thead.find_all("th")] == list(HEADERS)
    body = table.tbody.find_all("tr")
    assert len(body) == rows
    for row in body:
        # The claim is the row's header; the status is a word, not a colour.
        assert row.find("th") is not None
        status = row.find(class_="status")
        assert status is not None
        assert status.get_text(strip=True) in STATUSES.values()


# -- The fixture book -----------------------------------------------------------------------


def test_register_in_html(mini) -> None:
    table = _register((mini.out("html") / "sources.html").read_text(encoding="utf-8"))
    _assert_accessible(table, rows=2)
    first = table.tbody.find("tr")
    cells = first.find_all(["th", "td"])
    assert cells[0].get_text(strip=True) == "on March 3, 2001"
    chapter = cells[1].find("a")
    assert chapter["href"].startswith("chapters/01-first.html")
    assert chapter.get_text(strip=True) == "A Tiny Source"
    assert cells[4].get_text(strip=True) == "Corrected"
    citation = cells[5].find("a")
    assert citation is not None
    assert "chapters/03-last.html#" in citation["href"]  # the bibliography


def test_register_in_epub(mini) -> None:
    documents = epub_documents(mini.out("epub") / "mini.epub")
    page = next(text for name, text in documents.items() if name.endswith("sources.xhtml"))
    _assert_accessible(_register(page), rows=2)


def test_register_in_book_pdf(mini) -> None:
    text = _squash(pdf_text(mini.out("bookpdf") / "mini-a4.pdf"))
    for words in ("Claims register", "on March 3, 2001", "What the record shows", "Corrected"):
        assert _squash(words) in text


def test_unchanged_fixture_passes_the_checks(mini_copy: Path, tmp_path: Path, capsys) -> None:
    assert _check(mini_copy, tmp_path) == 0, capsys.readouterr().err


# -- Each kind of bad entry fails the build, naming the file and the line -------------------


BAD_ENTRIES = {
    "no sources": (replace_once("sources: [doe2001]", "sources: []"), 8, "has no sources"),
    "no sources key": (replace_once("  sources: [doe2001]\n", ""), 2, "has no sources"),
    "unknown key": (
        replace_once("sources: [doe2001]", "sources: [doe2001, nobody1999]"),
        8,
        "cites 'nobody1999', which is not a key in refs.bib",
    ),
    "unknown chapter": (
        replace_once("chapter: first", "chapter: nowhere"),
        3,
        "chapter 'nowhere' is not a label in the book",
    ),
    "not a chapter": (
        replace_once("chapter: first", "chapter: sources"),
        3,
        "'sources' labels a page with no source text",
    ),
    "words not in the chapter": (
        replace_once('claim: "on March 3, 2001"', 'claim: "on March 5, 2001"'),
        4,
        "the claim 'on March 5, 2001' is not in the source text of chapter 'first'",
    ),
    "words of another chapter": (
        replace_once('claim: "with a dash"', 'claim: "with \\"quotes\\""'),
        12,
        "is not in the source text of chapter 'second'",
    ),
    "bad status": (
        replace_once("status: corrected", "status: wrong"),
        7,
        "status 'wrong' is not one of supported, disputed, unverified, corrected",
    ),
    "missing key": (
        replace_once('  record: "The report is dated 4 March 2001."\n', ""),
        2,
        "'record' is missing",
    ),
    "misspelt key": (replace_once("reported_by:", "reportedby:"), 6, "unknown key 'reportedby'"),
    "duplicate id": (replace_once("id: dash", "id: date"), 10, "the id is already used"),
    "YAML that does not parse": (
        replace_once("sources: [doe2001]", "sources: [doe2001"),
        10,
        "YAML does not parse: expected ',' or ']'",
    ),
}


@pytest.mark.parametrize("case", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_bad_entry_fails_naming_file_and_line(
    mini_copy: Path, tmp_path: Path, capsys, case: tuple[Callable[[str], str], int, str]
) -> None:
    edit, line, message = case
    claims = mini_copy / "_data" / "claims.yml"
    claims.write_text(edit(claims.read_text(encoding="utf-8")), encoding="utf-8")
    assert _check(mini_copy, tmp_path) != 0
    err = capsys.readouterr().err
    assert f"_data/claims.yml, line {line}" in err, err
    assert f"claims.yml:{line}: WARNING" in err, err
    assert message in err, err


def test_file_option_and_missing_file(mini_copy: Path, tmp_path: Path, capsys) -> None:
    page = mini_copy / "sources.md"
    page.write_text(
        page.read_text().replace(
            ":::{claims-register}", ":::{claims-register}\n:file: _data/none.yml"
        )
    )
    assert _check(mini_copy, tmp_path) != 0
    err = capsys.readouterr().err
    assert "_data/none.yml" in err
    assert "cannot read the file" in err


# -- The real book --------------------------------------------------------------------------


def test_book_register_file_is_complete() -> None:
    entries = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    assert len(entries) >= 10
    assert {entry["status"] for entry in entries} <= set(STATUSES)
    assert all(entry["sources"] for entry in entries)


def test_book_register_in_every_output(book) -> None:
    entries = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    page = book.out("html") / "back" / "sources-and-verification.html"
    _assert_accessible(_register(page.read_text(encoding="utf-8")), rows=len(entries))
    epub = epub_documents(book.out("epub") / "homs-massacre.epub")
    xhtml = epub["back/sources-and-verification.xhtml"]
    _assert_accessible(_register(xhtml), rows=len(entries))
    pdf = _squash(pdf_text(book.out("bookpdf") / "homs-massacre-a4.pdf"))
    assert _squash("Claims register") in pdf
    for entry in entries:
        assert _squash(entry["claim"]) in pdf, entry["id"]
