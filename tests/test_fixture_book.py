"""Fast checks on the tiny fixture book: directives, integrity checks and stack defects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, sphinx
from helpers import pdf_pages, print_book

from classbook.builders.parts import XREF


def _build(src: Path, tmp_path: Path, builder: str = "html", *extra: str) -> int:
    return sphinx(builder, src, tmp_path / builder, doctrees=tmp_path / "doctrees", extra=extra)


def test_fixture_book_builds_clean(mini) -> None:
    assert (mini.out("html") / "chapters" / "01-first.html").is_file()


def test_a_warning_fails_the_build(mini_copy: Path, tmp_path: Path, capsys) -> None:
    chapter = mini_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + "\nSee {ref}`no-such-label`.\n")
    assert _build(mini_copy, tmp_path) != 0
    assert "02-second.md" in capsys.readouterr().err


def test_altered_source_text_fails_naming_file_and_line(
    mini_copy: Path, tmp_path: Path, capsys
) -> None:
    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace("apostrophe's", "apostrophe’s"))
    assert _build(mini_copy, tmp_path) != 0
    err = capsys.readouterr().err
    assert "01-first.md:12" in err
    assert "must stay verbatim" in err


def test_unmapped_source_section_fails(mini_copy: Path, tmp_path: Path, capsys) -> None:
    (mini_copy / "chapters" / "02-second.md").unlink()
    index = mini_copy / "index.md"
    index.write_text(index.read_text().replace("chapters/02-second\n", ""))
    assert _build(mini_copy, tmp_path) != 0
    assert "'Second Section' is mirrored by no chapter" in capsys.readouterr().err


def test_claim_must_quote_the_chapter(mini_copy: Path, tmp_path: Path, capsys) -> None:
    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace(":claim: on March 3, 2001", ":claim: on May 5"))
    assert _build(mini_copy, tmp_path) != 0
    assert "'on May 5' is not in this chapter's source-text" in capsys.readouterr().err


def test_editor_note_needs_a_citation(mini_copy: Path, tmp_path: Path, capsys) -> None:
    chapter = mini_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace(" {cite:p}`doe2001`", ""))
    assert _build(mini_copy, tmp_path) != 0
    assert "cite at least one source" in capsys.readouterr().err


def test_ids_unique_and_footnotes_in_place_on_the_single_page(mini) -> None:
    soup = print_book(mini.work("bookpdf"))
    ids = [tag["id"] for tag in soup.select("[id]")]
    assert len(ids) == len(set(ids))
    # Each chapter's [^1] stays its own note, placed where it is called.
    notes = soup.select("span.print-footnote")
    assert [n.get_text() for n in notes] == [
        "A footnote of the first chapter.",
        "A footnote of the second chapter.",
    ]
    assert notes[0].find_parent("section", class_="chapter").h2["id"].endswith("01-first")
    assert notes[1].find_parent("section", class_="chapter").h2["id"].endswith("02-second")


def test_print_links_name_one_anchor_of_the_book(mini) -> None:
    # Every internal link of the print book names an anchor of some part (its own or
    # another: the merge points it there), never a double fragment, never a bare "#".
    soup = print_book(mini.work("bookpdf"))
    assert not soup.select("a[href^='#']")
    hrefs = [a["href"] for a in soup.select(f"a[href^='{XREF}']")]
    assert hrefs
    assert all("#" not in href for href in hrefs)
    ids = {tag["id"] for tag in soup.select("[id]")}
    missing = [h for h in hrefs if h[len(XREF) :] not in ids]
    assert not missing


def test_teacher_guidance_only_in_teacher_edition(mini, mini_copy: Path, tmp_path: Path) -> None:
    student = (mini.out("html") / "chapters" / "01-first.html").read_text()
    assert "Secret answer guidance" not in student
    assert _build(mini_copy, tmp_path, "epub", "-D", "classbook_edition=teacher") == 0
    teacher = (tmp_path / "epub" / "chapters" / "01-first.xhtml").read_text()
    assert "Secret answer guidance" in teacher


def test_footnotes_at_the_foot_of_their_page(mini) -> None:
    pages = pdf_pages(mini.out("bookpdf") / "mini-a4.pdf")
    for note, chapter in [
        ("A footnote of the first chapter.", "A Tiny Source"),
        ("A footnote of the second chapter.", "Second Section"),
    ]:
        holding = [page for page in pages if note in page]
        assert len(holding) == 1, note
        assert chapter in holding[0]


def test_chapter_openers_number_only_the_chapters(mini) -> None:
    soup = print_book(mini.work("bookpdf"))
    chapters = [s.h2["id"] for s in soup.select("section.chapter")]
    assert chapters == [
        "document-chapters/01-first",
        "document-chapters/02-second",
        "document-chapters/03-last",
    ]


def test_printed_contents_list_sections_with_their_pages(mini_copy: Path, tmp_path: Path) -> None:
    # A book whose contents list sections (`:maxdepth: 2`, as a Word file's Heading 2 gives).
    index = mini_copy / "index.md"
    index.write_text(index.read_text().replace(":maxdepth: 1", ":maxdepth: 2"), "utf-8")
    for name in ("02-second", "03-last"):
        chapter = mini_copy / "chapters" / f"{name}.md"
        extra = "".join(
            f"\n## Part {k} of {name}\n\n" + "A paragraph of ours to fill the page. " * 80 + "\n"
            for k in (1, 2)
        )
        chapter.write_text(chapter.read_text() + extra, "utf-8")
    assert _build(mini_copy, tmp_path, "bookpdf") == 0  # no "No anchor" warning
    soup = print_book(tmp_path / "bookpdf")
    links = soup.select(".print-toc a[href]")
    sections = [a for a in links if a.get_text().startswith("Part ")]
    assert len(sections) == 4
    for link in links:
        assert link["href"].startswith(XREF)
        assert soup.find(id=link["href"][len(XREF) :]) is not None, link["href"]
    pages = pdf_pages(tmp_path / "bookpdf" / "mini-a4.pdf")
    contents = next(page for page in pages if "Contents" in page)
    for link in sections:
        title = link.get_text()
        number = re.search(re.escape(title) + r"[ .]*(\d+)", contents)
        assert number, (title, contents)
        printed = int(number.group(1))
        heading_page = next(
            n for n, page in enumerate(pages, 1) if n > 1 and title in page and page != contents
        )
        assert printed == heading_page, (title, printed, heading_page)


def test_a_numbered_list_that_starts_at_three_prints_three(mini_copy: Path, tmp_path: Path) -> None:
    # WeasyPrint ignores <ol start>: a Word list resumed after a paragraph printed 1, 1, 1.
    chapter = mini_copy / "chapters" / "03-last.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(
        text.replace("```{bibliography}", "3. Third step.\n4. Fourth step.\n\n```{bibliography}"),
        encoding="utf-8",
    )
    args = ["--source-dir", str(mini_copy), "--conf-dir", str(mini_copy)]
    args += ["--build-dir", str(tmp_path / "out"), "handouts", "pdf"]
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "build", "-q", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    handout = next((tmp_path / "out" / "handouts").glob("*last*-a4.pdf"))
    for pdf in (handout, tmp_path / "out" / "pdf" / "mini-a4.pdf"):
        # As laid out (print draws an item's number after its text: pypdf reads it so).
        shown = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(r"3\. +Third step\.\n+ *4\. +Fourth step\.", shown), pdf.name
