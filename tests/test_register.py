"""The claims register and its evidence: the table and verdicts in every output, the evidence
in the teacher edition only, and the build failing, with file and line, on each bad entry."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REGISTER_HEADERS, ROOT, sphinx
from helpers import epub_documents, pdf_pages, pdf_text, replace_once

from classbook.ext import schemas, yamldata
from classbook.ext.schemas import MAX_QUOTE_WORDS, VERDICTS

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
    assert [th.get_text(" ", strip=True) for th in table.thead.find_all("th")] == REGISTER_HEADERS
    body = table.tbody.find_all("tr")
    assert len(body) == rows
    for row in body:
        # The claim is the row's header; the verdict is a word, not a colour.
        assert row.find("th") is not None
        verdict = row.find(class_="verdict")
        assert verdict is not None
        assert verdict.get_text(strip=True) in VERDICTS.values()


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
    assert cells[4].get_text(strip=True) == "Contradicted"
    citation = cells[5].find("a")
    assert citation is not None
    assert "chapters/03-last.html#" in citation["href"]  # the bibliography


def test_register_in_epub(mini) -> None:
    documents = epub_documents(mini.out("epub") / "mini.epub")
    page = next(text for name, text in documents.items() if name.endswith("sources.xhtml"))
    _assert_accessible(_register(page), rows=2)


def test_register_in_book_pdf(mini) -> None:
    text = _squash(pdf_text(mini.out("bookpdf") / "mini-a4.pdf"))
    for words in ("Claims register", "on March 3, 2001", "What the record shows", "Contradicted"):
        assert _squash(words) in text


def test_unchanged_fixture_passes_the_checks(mini_copy: Path, tmp_path: Path, capsys) -> None:
    assert _check(mini_copy, tmp_path) == 0, capsys.readouterr().err


# -- Each kind of bad entry fails the build, naming the file and the line -------------------


DATE_EVIDENCE = """    - source: doe2001
      quote: "The report is dated 4 March 2001, a day after the source's date."
      where: "first paragraph"
      read_on: 2026-12-01
      read_at: "https://example.org/report"
"""
LONG_QUOTE = " ".join(["word"] * (MAX_QUOTE_WORDS + 1))
BAD_ENTRIES = {
    "no evidence": (
        replace_once("  evidence:\n" + DATE_EVIDENCE, "  evidence: []\n"),
        8,
        "has no evidence",
    ),
    "no evidence key": (
        replace_once("  evidence:\n" + DATE_EVIDENCE, ""),
        2,
        "'evidence' is missing",
    ),
    "unknown key": (
        replace_once(
            '    - source: doe2001\n      quote: "The report',
            '    - source: nobody1999\n      quote: "The report',
        ),
        9,
        "'nobody1999' is not a key in refs.bib",
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
        17,
        "is not in the source text of chapter 'second'",
    ),
    "unknown verdict": (
        replace_once("verdict: contradicted", "verdict: wrong"),
        7,
        "verdict 'wrong' is not one of supported, partly-supported, contradicted, disputed, "
        "not-found",
    ),
    "missing key": (
        replace_once('  record: "The report is dated 4 March 2001."\n', ""),
        2,
        "'record' is missing",
    ),
    "misspelt key": (replace_once("reported_by:", "reportedby:"), 6, "unknown key 'reportedby'"),
    "duplicate id": (replace_once("id: dash", "id: date"), 15, "the id is already used"),
    "quote too long": (
        replace_once(
            'quote: "The report is dated 4 March 2001, a day after the source\'s date."',
            f'quote: "{LONG_QUOTE}"',
        ),
        10,
        f"the quote has {MAX_QUOTE_WORDS + 1} words",
    ),
    "bad date read": (
        replace_once("read_on: 2026-12-01", "read_on: 2026-13-01"),
        12,
        "read_on '2026-13-01' is not a calendar date; write it as YYYY-MM-DD",
    ),
    "read at no address": (
        replace_once('read_at: "https://example.org/report"', 'read_at: "the library"'),
        13,
        "give the http(s) address of the page the quote was read on",
    ),
    "version in one word": (
        replace_once(
            'read_at: "https://example.org/report"\n',
            'read_at: "https://example.org/report"\n      version: "later"\n',
        ),
        14,
        "say which version the copy carries in words a later check can match",
    ),
    "version empty": (
        replace_once(
            'read_at: "https://example.org/report"\n',
            'read_at: "https://example.org/report"\n      version: ""\n',
        ),
        14,
        "'version' is empty; write its text",
    ),
    "reprint not named": (
        replace_once('      reprint: "Example Mirror (a copy of the report)"\n', ""),
        22,
        "name the site that reprinted it under 'reprint'",
    ),
    "YAML that does not parse": (
        replace_once('where: "second paragraph"', "where: [second paragraph"),
        25,
        "YAML does not parse",
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


def test_each_problem_of_an_evidence_item_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "claims.yml"
    path.write_text(
        "- id: two-mistakes\n"
        "  chapter: first\n"
        "  claim: on March 3, 2001\n"
        "  record: The report is dated 4 March 2001.\n"
        "  reported_by: The source\n"
        "  verdict: contradicted\n"
        "  evidence:\n"
        "    - source: doe2001\n"
        "      quote: The report is dated 4 March 2001.\n"
        "      where: first paragraph\n"
        "      where: second paragraph\n"
        "      read_on: 2026-13-01\n"
        "      read_at: the library\n",
        encoding="utf-8",
    )
    data = yamldata.load(path)
    assert data.problems == [(11, "key 'where' is given twice")]
    valid, problems = schemas.validate(schemas.Claim, data.records)
    assert valid == []
    assert problems == [
        (12, "read_on '2026-13-01' is not a calendar date; write it as YYYY-MM-DD"),
        (13, "give the http(s) address of the page the quote was read on"),
    ]


def test_version_names_the_copy_read(tmp_path: Path) -> None:
    # A wire report changes during the day: the version says which text the copy carries.
    path = tmp_path / "claims.yml"
    path.write_text(
        "- id: versioned\n"
        "  chapter: first\n"
        "  claim: on March 3, 2001\n"
        "  record: The report is dated 4 March 2001.\n"
        "  reported_by: The source\n"
        "  verdict: contradicted\n"
        "  evidence:\n"
        "    - source: doe2001\n"
        "      quote: The report is dated 4 March 2001.\n"
        "      where: first paragraph\n"
        "      read_on: 2026-12-01\n"
        "      read_at: https://example.org/report\n"
        '      version: "later version, stamped 2:06 p.m. ET"\n',
        encoding="utf-8",
    )
    valid, problems = schemas.validate(schemas.Claim, yamldata.load(path).records)
    assert problems == []
    assert valid[0][1].evidence[0].version == "later version, stamped 2:06 p.m. ET"


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
    assert len(entries) >= 16
    assert {entry["verdict"] for entry in entries} <= set(VERDICTS)
    for entry in entries:
        assert entry["evidence"], entry["id"]
        for item in entry["evidence"]:
            assert 0 < len(item["quote"].split()) <= MAX_QUOTE_WORDS, (entry["id"], item)
            assert item["read_at"].startswith(("http://", "https://")), (entry["id"], item)


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


# -- Notes and their evidence: each citation of a note has evidence, each evidence a note ----


ROE = """
@online{roe2002,
  author = {Roe, Richard},
  title = {Another Report},
  date = {2002-01-01},
  organization = {Other News},
  url = {https://example.org/other},
}
"""
ROE_EVIDENCE = """    - source: roe2002
      quote: "Another report says so."
      where: "page 2"
      read_on: 2026-12-01
      read_at: "https://example.org/other"
"""


def _edit(path: Path, edit: Callable[[str], str]) -> None:
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def _fails(src: Path, tmp_path: Path, capsys, where: str, message: str) -> None:
    assert _check(src, tmp_path) != 0
    err = capsys.readouterr().err
    assert f"{where}: WARNING" in err, err
    assert message in err, err


def test_note_citing_a_source_without_evidence_fails(mini_copy: Path, tmp_path, capsys) -> None:
    _edit(mini_copy / "_data" / "refs.bib", lambda text: text + ROE)
    _edit(mini_copy / "chapters" / "01-first.md", replace_once("`doe2001`", "`doe2001,roe2002`"))
    _fails(
        mini_copy,
        tmp_path,
        capsys,
        "chapters/01-first.md:16",
        "editor-note 'note-date' cites 'roe2002', but its entry in _data/claims.yml (line 2) "
        "has no evidence from that source",
    )


def test_evidence_belonging_to_no_note_fails(mini_copy: Path, tmp_path, capsys) -> None:
    _edit(mini_copy / "_data" / "refs.bib", lambda text: text + ROE)
    claims = mini_copy / "_data" / "claims.yml"
    _edit(claims, replace_once(DATE_EVIDENCE, DATE_EVIDENCE + ROE_EVIDENCE))
    _fails(
        mini_copy,
        tmp_path,
        capsys,
        "claims.yml:14",
        "the evidence from 'roe2002' belongs to no note: the editor's note 'note-date'",
    )


def test_entry_without_a_note_fails(mini_copy: Path, tmp_path, capsys) -> None:
    _edit(mini_copy / "chapters" / "02-second.md", replace_once(":label: note-dash", ":label: x"))
    assert _check(mini_copy, tmp_path) != 0
    err = capsys.readouterr().err
    assert "chapters/02-second.md:11: WARNING: editor-note: give the note a label" in err, err
    assert "claims.yml:15: WARNING" in err and "no editor's note has ':label: note-dash'" in err


def test_note_without_an_entry_fails(mini_copy: Path, tmp_path, capsys) -> None:
    _edit(
        mini_copy / "chapters" / "01-first.md",
        replace_once(":label: note-date", ":label: note-new"),
    )
    _fails(
        mini_copy,
        tmp_path,
        capsys,
        "chapters/01-first.md:16",
        "editor-note 'note-new' has no entry in _data/claims.yml: add one with 'id: new'",
    )


# -- Verdicts in every output; evidence only in the teacher edition ---------------------------


def test_verdict_beside_the_note_in_html_epub_and_pdf(mini) -> None:
    html = BeautifulSoup(
        (mini.out("html") / "chapters" / "01-first.html").read_text(), "html.parser"
    )
    assert html.select_one("#note-date .verdict-line .verdict").get_text() == "Contradicted"
    assert not html.select(".note-evidence, .claims-evidence")
    epub = epub_documents(mini.out("epub") / "mini.epub")
    chapter = BeautifulSoup(epub["chapters/01-first.xhtml"], "html.parser")
    assert chapter.select_one("#note-date .verdict").get_text() == "Contradicted"
    second = BeautifulSoup(epub["chapters/02-second.xhtml"], "html.parser")
    assert second.select_one("#note-dash .verdict").get_text() == "Supported"
    pdf = _squash(pdf_text(mini.out("bookpdf") / "mini-a4.pdf"))
    assert _squash("Our verdict: Contradicted") in pdf
    assert _squash("Our verdict: Supported") in pdf
    assert _squash("a day after the source's date") not in pdf  # an evidence quote


def test_teacher_edition_prints_the_evidence(mini_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "epub"
    extra = ("-D", "classbook_edition=teacher")
    assert sphinx("epub", mini_copy, out, doctrees=tmp_path / "dt", extra=extra) == 0
    docs = epub_documents(out / "mini.epub")
    note = BeautifulSoup(docs["chapters/01-first.xhtml"], "html.parser").select_one("#note-date")
    evidence = note.select_one(".note-evidence").get_text(" ")
    assert (
        "\u201cThe report is dated 4 March 2001, a day after the source's date.\u201d" in evidence
    )
    assert "first paragraph (read on 1 December 2026)" in " ".join(evidence.split())
    second = BeautifulSoup(docs["chapters/02-second.xhtml"], "html.parser").get_text(" ")
    assert "read in a reprint: Example Mirror (a copy of the report)" in " ".join(second.split())
    register = BeautifulSoup(docs["sources.xhtml"], "html.parser").select_one(".claims-evidence")
    assert "The sentence has a dash." in register.get_text()


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_book_register_rows_never_split_across_pages(book, paper: str) -> None:
    # Each row's first and last words (the claim, the end of the record) are on one page.
    pages = [
        _squash(text)
        for text in pdf_pages(book.out("bookpdf") / f"homs-massacre-{paper}.pdf")
        if "What the record shows" in text
    ]
    claims = yaml.safe_load((ROOT / "book" / "_data" / "claims.yml").read_text("utf-8"))
    assert len(pages) >= 2 and len(claims) >= 10
    for claim in claims:
        first, last = _squash(claim["claim"]), _squash(" ".join(claim["record"].split()[-4:]))
        holding = [n for n, page in enumerate(pages) if first in page]
        assert holding, claim["claim"]
        assert last in pages[holding[0]], (claim["id"], paper)
