"""The Word reader: notes, tables, comments, tracked changes, metadata and equations carried."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypandoc
import pytest
from sourcebook import built, chapters, check_build, new_book
from test_newbook import png

from classbook.sources import read
from classbook.sources.myst import as_written
from classbook.sources.units import compare, document_units


def word(folder: Path, name: str, markdown: str, *extra: str) -> Path:
    """A Word (or ODT) file that pandoc writes from Markdown."""
    (folder / "in.md").write_text(markdown, encoding="utf-8")
    target = folder / name
    pypandoc.convert_file(
        str(folder / "in.md"),
        target.suffix[1:],
        outputfile=str(target),
        extra_args=["--resource-path", str(folder), *extra],
    )
    return target


def test_footnotes_become_myst_footnotes_in_docx_and_odt(tmp_path: Path) -> None:
    for name in ("notes.docx", "notes.odt"):
        folder = tmp_path / name.replace(".", "-")
        folder.mkdir()
        source = word(
            folder, name, "# One\n\nA sentence with a note.[^1]\n\n[^1]: The note's text.\n"
        )
        [one] = read(source).sections
        assert one.paragraphs == ("A sentence with a note.", "The note\u2019s text.")
        project = built(source, folder / "book")
        [(_path, _meta, body)] = chapters(project)
        assert "A sentence with a note.[^1]" in body
        assert re.search(r"\[\^1\]: +The note\u2019s text\.", body)


GRID = """# Prices

+------+---------------+-------+
| Item | Description           |
+======+===============+=======+
| tea  | first para    | 2     |
|      |               |       |
|      | second para   |       |
+------+---------------+-------+
| coffee               | 3     |
+------+---------------+-------+

: Prices in 2024

| A | B |
|---|---|
| 1 | 2 |

Term
:   Its definition.
"""


def test_tables_keep_merged_cells_paragraphs_and_captions(tmp_path: Path) -> None:
    source = word(tmp_path, "prices.docx", GRID)
    [prices] = read(source).sections
    assert prices.paragraphs[:3] == ("Prices in 2024", "Item", "Description")
    assert "first para" in prices.paragraphs and "second para" in prices.paragraphs
    assert prices.paragraphs[-1] == "Its definition."
    project = built(source, tmp_path / "book")
    [(_path, _meta, body)] = chapters(project)
    # A grid table in an eval-rst block: its spans as reStructuredText draws them.
    grid = re.search(r"```\{eval-rst\}\n(.*?)\n```", body, re.S).group(1)
    assert "| Description" in grid and "| coffee" in grid
    assert "| Item | Description" not in grid.replace("  ", " ")  # the span, not two cells
    assert "| A   | B   |" in body  # a simple table stays a pipe table
    assert "Term\n\n:   Its definition." in body


def test_metadata_gives_the_book_its_title_authors_subtitle_and_front_page(tmp_path: Path) -> None:
    source = word(
        tmp_path,
        "meta.docx",
        "---\ntitle: The Title\nsubtitle: The Subtitle\nauthor:\n- Ann Author\n- Bob Author\n"
        "date: 1 March 2024\nabstract: The abstract text.\n---\n\n# One\n\nBody text.\n",
    )
    document = read(source)
    assert (document.title, document.author) == ("The Title", "Ann Author, Bob Author")
    assert document.metadata == {
        "subtitle": "The Subtitle",
        "date": "1 March 2024",
        "abstract": "The abstract text.",
    }
    opening = document.sections[0]
    assert opening.heading == "" and opening.paragraphs == (
        "The Subtitle",
        "Ann Author, Bob Author",
        "1 March 2024",
        "Abstract",
        "The abstract text.",
    )
    project = built(source, tmp_path / "book")
    conf = (project / "conf.py").read_text(encoding="utf-8")
    assert "project = 'The Title'" in conf and "author = 'Ann Author, Bob Author'" in conf
    assert "classbook_subtitle = 'The Subtitle'" in conf
    assert "classbook_description = 'The abstract text.'" in conf
    assert '"dollarmath"' in conf


def test_comments_are_reported_and_kept_for_the_teacher_edition_only(tmp_path: Path) -> None:
    source = word(
        tmp_path,
        "comment.docx",
        '# One\n\nThis is [Check this date.]{.comment-start id="0" author="Ann"}'
        'commented text[]{.comment-end id="0"} in a paragraph.\n',
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert (
        "comment.docx:paragraph 2 ('This is commented text in a paragraph.'): comment by Ann on "
        "'commented text': 'Check this date.' (kept in the teacher edition only)"
    ) in done.stdout
    [(_path, _meta, body)] = chapters(tmp_path / "book")
    source_text, teacher = body.split(":::{teacher-only}")
    assert "Check this date." not in source_text and "Check this date." in teacher
    assert "This is commented text in a paragraph." in source_text
    assert check_build(tmp_path / "book").returncode == 0


def test_tracked_changes_are_accepted_and_each_is_reported(tmp_path: Path) -> None:
    source = word(
        tmp_path,
        "tracked.docx",
        '# One\n\nKept [deleted words]{.deletion author="Ann"} and '
        '[inserted words]{.insertion author="Ann"} here.\n',
    )
    [one] = read(source).sections
    assert one.paragraphs == ("Kept and inserted words here.",)
    done = new_book(source, tmp_path / "book")
    assert "tracked deletion by Ann accepted (removed): 'deleted words'" in done.stdout
    assert "tracked insertion by Ann accepted: 'inserted words'" in done.stdout


def test_equations_scripts_and_typed_entities_are_carried(tmp_path: Path) -> None:
    source = word(
        tmp_path,
        "science.docx",
        "# One\n\nThe area is $\\pi r^2$ here. E = mc^2^ and H~2~O. Some ~~struck~~ text.\n\n"
        "Write &amp;lt;p&amp;gt; for a paragraph.\n\nA line that ends with a break\\\n\nNext.\n",
    )
    [one] = read(source).sections
    # A formula is marked in a text unit (what make verify compares as one formula).
    written = "The area is $\\pi r^{2}$ here. E = mc2 and H2O. Some struck text."
    assert as_written(one.paragraphs[0]) == written
    assert one.paragraphs[1] == "Write &lt;p&gt; for a paragraph."
    assert one.paragraphs[2] == "A line that ends with a break"
    project = built(source, tmp_path / "book")
    [(_path, _meta, body)] = chapters(project)
    assert "$\\pi r^{2}$" in body and "mc{sup}`2`" in body and "H{sub}`2`O" in body


def test_images_keep_their_description_and_those_without_one_are_listed(tmp_path: Path) -> None:
    (tmp_path / "dot.png").write_bytes(png())
    source = word(tmp_path, "pics.docx", "# One\n\n![A green dot](dot.png)\n\n![](dot.png)\n")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    [(path, _meta, body)] = chapters(tmp_path / "book")
    assert "![A green dot](../media/" in body
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "![](" in text)
    assert f"book/chapters/{path.name}:{line}: image ../media/" in done.stdout


def test_document_units_are_counted_from_the_files_own_xml(tmp_path: Path) -> None:
    source = word(
        tmp_path,
        "units.docx",
        '# One\n\nA sentence.[^1] See [A remark.]{.comment-start id="0" author="Ann"}'
        'this[]{.comment-end id="0"}\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n'
        "[^1]: The note.\n",
    )
    units = document_units(source)
    kinds = {(u.kind, u.text) for u in units}
    assert ("heading", "One") in kinds and ("footnote", "The note.") in kinds
    assert ("comment", "A remark.") in kinds and ("table cell", "2") in kinds
    body = next(u for u in units if u.text.startswith("A sentence."))
    assert body.place.startswith("paragraph 2 (")
    findings = compare(units, "One A sentence. See this A B 1 2")
    assert {(f.unit.text, f.status) for f in findings} == {
        ("The note.", "missing"),
        ("A remark.", "left out"),
    }


def test_formulas_count_as_one_and_links_to_other_files_are_kept_as_text(
    tmp_path: Path,
) -> None:
    # Word's formulas (OMML) count as one each in new-book's count of the document's units,
    # as in the book; a link to another file (a Wikipedia copy's "basis_(linear_algebra)")
    # keeps its text and is reported, as for Markdown, instead of failing the build.
    source = word(
        tmp_path,
        "tensors.docx",
        "# One\n\nThe [basis](basis_(linear_algebra)) vectors $\\mathbf{e}_j$ and [more]"
        "(https://example.org/) change as\n\n$$\\hat{v}^i = R^i_j v^j$$\n\nsays the law.\n",
    )
    units = document_units(source)
    assert [u.text.count("\ufffc") for u in units if u.kind == "paragraph"] == [1, 1, 0]
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "0 missing or altered" in done.stdout
    assert "link to 'basis_(linear_algebra)', a file beside the document, kept as text" in (
        done.stdout
    )
    [(_path, _meta, body)] = chapters(tmp_path / "book")
    assert "The basis vectors $" in body and "[more](https://example.org/)" in body
    assert check_build(tmp_path / "book").returncode == 0


@pytest.mark.build
def test_a_real_word_files_equations_reach_every_output(tmp_path: Path) -> None:
    """Word's equations (OMML, from docx2python's tests) through new-book and the whole
    build: MathML on the web and in the EPUB, a tagged formula in print, verify content."""
    from conftest import ROOT
    from helpers import run_classbook

    document = ROOT / "tests" / "realworld" / "docs" / "d2p-equations.docx"
    made = run_classbook(tmp_path, "new-book", str(document), "book", epoch=1765000000)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "book"
    written = "".join(p.read_text(encoding="utf-8") for p in (project / "book").rglob("*.md"))
    assert written.count("$$") >= 6  # three display equations, carried as math
    built_all = run_classbook(project, "build", "all", epoch=1765000000)
    assert built_all.returncode == 0, built_all.stderr
    site = project / "_build" / "html"
    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert pages.count("<math") >= 3
    assert not re.search(r"<script[^>]*mathjax", pages, re.I)  # MathML, no MathJax
    verified = run_classbook(project, "verify", epoch=1765000000)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_paragraph_of_fence_marks_is_the_writers_text(tmp_path: Path) -> None:
    # ":::" or "~~~" typed in Word opened a MyST fence that never closed ("add a line").
    source = word(
        tmp_path, "marks.docx", "# Marks\n\nText.\n\n\\:\\:\\:\n\n\\~\\~\\~ and on\n\nEnd.\n"
    )
    [marks] = read(source).sections
    assert marks.paragraphs == ("Text.", ":::", "~~~ and on", "End.")
    project = built(source, tmp_path / "book")
    [(_path, _meta, body)] = chapters(project)
    assert "\n\\:::\n" in body


def test_a_tables_links_to_places_of_the_document_are_kept_as_text(tmp_path: Path) -> None:
    # Word's broken cross-reference in a table became a link to a name no output has:
    # WeasyPrint failed the book ("No anchor #bookcebd…"), naming no file.
    table = GRID.replace("| coffee               |", "| [Error! See](#nowhere) |")
    source = word(tmp_path, "refs.docx", table)
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "1 link(s) to places of the document in a table kept as text" in done.stdout
    [(_path, _meta, body)] = chapters(tmp_path / "book")
    grid = re.search(r"```\{eval-rst\}\n(.*?)\n```", body, re.S).group(1)
    assert "Error! See" in grid and "<#" not in grid
    widths = {len(line) for line in grid.splitlines()}
    assert len(widths) == 1, grid  # the grid's borders where pandoc drew them
    assert check_build(tmp_path / "book").returncode == 0


def test_a_line_break_in_a_heading_is_a_space(tmp_path: Path) -> None:
    # A Markdown heading is one line: the break ended it, and its second line became a
    # paragraph no output held as the document's heading.
    ast = {
        "pandoc-api-version": [1, 23, 1],
        "meta": {},
        "blocks": [
            {"t": "Header", "c": [1, ["", [], []], [{"t": "Str", "c": "Selecting;"},
                                                  {"t": "LineBreak"}, {"t": "Str", "c": "nodes"}]]},
            {"t": "Para", "c": [{"t": "Str", "c": "Text."}]},
        ],
    }  # fmt: skip
    source = tmp_path / "break.docx"
    pypandoc.convert_text(json.dumps(ast), "docx", format="json", outputfile=str(source))
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "a line break in a heading made a space" in done.stdout
    [(_path, _meta, body)] = chapters(tmp_path / "book")
    assert "\n# Selecting; nodes\n" in body
    assert check_build(tmp_path / "book").returncode == 0
