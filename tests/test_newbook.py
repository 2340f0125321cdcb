"""`classbook new-book`: a plain-text, Markdown or Word document in, a buildable book out."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pypandoc
import pytest
import yaml
from conftest import ROOT
from helpers import SOURCE, pdf_pages, run_classbook

from classbook._version import __version__
from classbook.publish import verify
from classbook.sources import read, slugify
from classbook.sources.text import MAX_HEADING_CHARS

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.S)


def new_book(source: Path, dest: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_classbook(source.parent, "new-book", str(source), str(dest), *flags, epoch=0)


def chapters(project: Path) -> list[tuple[dict, str]]:
    """(front matter, body) of each chapter, in the order of the book's contents."""
    index = (project / "book" / "index.md").read_text(encoding="utf-8")
    names = re.findall(r"^(chapters/\S+)$", index, re.M)
    result = []
    for name in names:
        text = (project / "book" / f"{name}.md").read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        assert match, name
        result.append((yaml.safe_load(match.group(1)), text[match.end() :]))
    return result


def png(rgb: bytes = b"\x00\xa0\x00") -> bytes:
    """A one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + rgb)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


WORD_MARKDOWN = """---
title: A Summer in Provence
author: Zoë Martin
---

These opening words come before any chapter.

# The Arrival

We came by the *night* train, with **two** bags.

- a map
- a key

1. first stop
2. second stop

![A green field under a blue sky](field.png)

## The House

| Room | Window |
|------|--------|
| kitchen | east |
| study | west |

# Leaving

We left in September.
"""


@pytest.fixture(scope="module")
def word_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Word document with a Title, Heading 1 and 2, lists, a table and an image."""
    folder = tmp_path_factory.mktemp("word")
    (folder / "field.png").write_bytes(png())
    (folder / "in.md").write_text(WORD_MARKDOWN, encoding="utf-8")
    docx = folder / "provence.docx"
    pypandoc.convert_file(str(folder / "in.md"), "docx", outputfile=str(docx), cworkdir=folder)
    return docx


# -- Reading ------------------------------------------------------------------------------


def test_windows_line_endings_and_a_byte_order_mark_read_as_the_same_text(tmp_path: Path) -> None:
    data = SOURCE.read_bytes()
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert read(crlf).sections == read(SOURCE).sections
    done = new_book(crlf, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    [kept] = (tmp_path / "book" / "book" / "_source").iterdir()
    assert kept.read_bytes() == crlf.read_bytes()  # byte for byte, BOM and CRLF included


def test_a_text_without_headings_is_one_chapter(tmp_path: Path) -> None:
    source = tmp_path / "letter.txt"
    source.write_text("Dear reader, this is a letter.\nIt has two paragraphs.\n", encoding="utf-8")
    done = new_book(source, tmp_path / "book", "--title", "A Letter")
    assert done.returncode == 0, done.stderr
    [(meta, body)] = chapters(tmp_path / "book")
    assert meta == {"source_heading": "", "source_section": 1}
    assert body.lstrip().startswith("# A Letter\n")
    assert "Dear reader, this is a letter.\n\nIt has two paragraphs." in body


def test_a_text_of_headings_only_makes_chapters_without_text(tmp_path: Path) -> None:
    source = tmp_path / "outline.txt"
    source.write_text("First Part\n\nSecond Part\nThird Part: Notes and Ends\n", encoding="utf-8")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    found = chapters(tmp_path / "book")
    # No heading has text under it, so none is a group label: each is a chapter.
    assert [meta for meta, _ in found] == [
        {"source_heading": "First Part", "source_section": 1},
        {"source_heading": "Second Part", "source_section": 2},
        {"source_heading": "Third Part: Notes and Ends", "source_section": 3},
    ]
    assert not any("source-text" in body for _, body in found)


def test_a_very_long_line_is_a_paragraph_and_the_guess_is_reported(tmp_path: Path) -> None:
    long_line = " ".join(["word"] * 4000)  # no closing punctuation, 20,000 characters
    source = tmp_path / "long.txt"
    source.write_text(f"A Heading\n{long_line}\n", encoding="utf-8")
    document = read(source)
    assert [s.paragraphs for s in document.sections] == [(long_line,)]
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "long.txt:1: heading" in done.stdout
    assert (
        f"long.txt:2: paragraph (no closing punctuation, but longer than {MAX_HEADING_CHARS}"
        in (done.stdout)
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"\n \n", "is empty"),
        ("image.txt", png(), "is not a text file"),
        ("latin1.txt", "Caf\xe9 society\n".encode("latin-1"), "1: is not UTF-8 text"),
        ("table.xlsx", b"PK\x03\x04", "unsupported kind of document '.xlsx'"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "is not a readable docx document"),
    ],
)
def test_unreadable_input_is_named_and_nothing_is_written(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    done = new_book(source, tmp_path / "out" / "book")
    assert done.returncode == 1
    assert f"classbook: {source}" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_an_existing_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "mine.txt").write_text("keep me", encoding="utf-8")
    done = new_book(SOURCE, tmp_path / "book")
    assert done.returncode == 1 and "already exists" in done.stderr
    assert [p.name for p in (tmp_path / "book").iterdir()] == ["mine.txt"]


def test_arabic_and_accented_text_keeps_its_headings_and_a_safe_slug(tmp_path: Path) -> None:
    source = tmp_path / "arabic.txt"
    source.write_text(
        "مقدمة الكتاب\nهذه فقرة أولى من النص؟\nالفصل الثاني\nوهذه فقرة ثانية، وهي الأخيرة.\n",
        encoding="utf-8",
    )
    document = read(source)
    assert [s.heading for s in document.sections] == ["مقدمة الكتاب", "الفصل الثاني"]
    assert document.sections[0].paragraphs == ("هذه فقرة أولى من النص؟",)
    assert slugify("مقدمة الكتاب", "arabic") == "arabic"
    assert slugify("Été à Genève") == "ete-a-geneve"
    done = new_book(source, tmp_path / "book", "--language", "ar")
    assert done.returncode == 0, done.stderr
    assert "language = 'ar'" in (tmp_path / "book" / "conf.py").read_text(encoding="utf-8")
    assert [m["source_heading"] for m, _ in chapters(tmp_path / "book")] == [
        "مقدمة الكتاب",
        "الفصل الثاني",
    ]


def test_markdown_headings_make_chapters_and_sections_and_keep_the_markup(tmp_path: Path) -> None:
    source = tmp_path / "notes.md"
    source.write_text(
        "---\ntitle: Field Notes\nauthor: R. Ahmed\n---\n\nOpening words.\n\n"
        "# Spring\n\nWe saw *three* [herons](https://example.org/herons).\n\n"
        "### Late March\n\n- reeds\n- mud\n\n"
        "# Summer\n\n| Bird | Count |\n|---|---|\n| heron | 3 |\n",
        encoding="utf-8",
    )
    document = read(source)
    assert (document.title, document.author) == ("Field Notes", "R. Ahmed")
    assert [s.heading for s in document.sections] == ["", "Spring", "Summer"]
    assert document.sections[1].paragraphs == ("We saw three herons.", "reeds", "mud")
    assert document.sections[2].paragraphs == ("Bird", "Count", "heron", "3")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert len(chapters(tmp_path / "book")) == 2
    body = chapters(tmp_path / "book")[0][1]
    assert "We saw *three* [herons](https://example.org/herons)." in body
    assert "\n## Late March\n" in body  # a deeper heading is a section of the chapter
    index = (tmp_path / "book" / "book" / "index.md").read_text(encoding="utf-8")
    assert ":maxdepth: 2" in index and "Opening words." in index
    assert "project = 'Field Notes'" in (tmp_path / "book" / "conf.py").read_text()


def test_a_word_document_gives_title_opening_chapters_sections_and_images(
    word_file: Path, tmp_path: Path
) -> None:
    document = read(word_file)
    assert (document.title, document.author) == ("A Summer in Provence", "Zoë Martin")
    assert [s.heading for s in document.sections] == ["", "The Arrival", "Leaving"]
    # The authors open the book's front page, before the words that open the document.
    assert document.sections[0].paragraphs == (
        "Zoë Martin",
        "These opening words come before any chapter.",
    )
    arrival = document.sections[1]
    assert arrival.paragraphs[:5] == (
        "We came by the night train, with two bags.",
        "a map",
        "a key",
        "first stop",
        "second stop",
    )
    assert arrival.paragraphs[-6:] == ("Room", "Window", "kitchen", "east", "study", "west")
    assert [b.markdown for b in arrival.blocks if b.level] == ["## The House"]
    done = new_book(word_file, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "book"
    body = chapters(project)[0][1]
    assert "*night*" in body and "**two**" in body and "- a map" in body
    [image] = re.findall(r"!\[A green field under a blue sky\]\((\S+)\)", body)
    assert (project / "book" / "chapters" / image).resolve().read_bytes() == png()
    kept = project / "book" / "_source" / "a-summer-in-provence.docx"
    assert kept.read_bytes() == word_file.read_bytes()


def test_an_odt_document_reads_like_the_word_one(word_file: Path, tmp_path: Path) -> None:
    odt = tmp_path / "provence.odt"
    pypandoc.convert_file(str(word_file), "odt", outputfile=str(odt))
    ours, word = read(odt).sections, read(word_file).sections
    assert [(s.heading, s.paragraphs) for s in ours[1:]] == [
        (s.heading, s.paragraphs) for s in word[1:]
    ]
    # pandoc's ODT reader knows no Title style: title and author open the book as text.
    assert ours[0].paragraphs == ("A Summer in Provence", *word[0].paragraphs)


def test_our_source_reproduces_our_books_structure(tmp_path: Path) -> None:
    done = new_book(SOURCE, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    made = [(m["source_heading"], m.get("source_group")) for m, _ in chapters(tmp_path / "book")]
    ours = []
    for chapter in sorted((ROOT / "book" / "chapters").glob("*.md")):
        meta = yaml.safe_load(FRONT_MATTER.match(chapter.read_text(encoding="utf-8")).group(1))
        ours.append((meta["source_heading"], meta.get("source_group")))
    assert made == ours
    sections = read(SOURCE).sections
    for (_, body), section in zip(chapters(tmp_path / "book"), sections, strict=True):
        assert all(f"\n{p}\n" in body for p in section.paragraphs)
    # Every line whose role was guessed is reported with its line number.
    assert (
        "homs-massacre.txt:19: group label (a heading with text follows it): 'Fun Fact'"
        in done.stdout
    )


def test_our_book_is_a_book_of_that_kind(tmp_path: Path) -> None:
    done = new_book(SOURCE, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    made = tmp_path / "book"
    targets = re.compile(r"^([a-z-]+):.*## ", re.M)
    ours = set(targets.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    assert set(targets.findall((made / "Makefile").read_text(encoding="utf-8"))) <= ours
    for path in ("conf.py", "book/index.md", "book/_source", "book/chapters", ".ci/run"):
        assert (made / path).exists() and (ROOT / path).exists(), path
    assert (made / ".ci" / "run").read_text() == (ROOT / ".ci" / "run").read_text().replace(
        "# CI: exactly the README's test command. It sets up what it needs (Debian packages,\n"
        "# .venv, node tools) and builds what it tests.",
        "# CI: exactly the README's test command. It sets up what it needs and builds what it "
        "tests.",
    )
    requirement = (made / "requirements.txt").read_text(encoding="utf-8")
    # The pipeline, not a copy of it: its release, or (run from a clone) its remote's commit.
    pin = rf"^classbook(=={re.escape(__version__)}| @ git\+\S+://\S+@[0-9a-f]{{40}})$"
    assert re.search(pin, requirement, re.M), requirement
    assert not list(made.rglob("*.py")) or all(
        p.name in {"conf.py", "test_book.py"} for p in made.rglob("*.py")
    )


# -- Building -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word_book(word_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Word document's book, built by its own tests (a clean build, every output)."""
    project = tmp_path_factory.mktemp("made") / "provence"
    done = new_book(word_file, project)
    assert done.returncode == 0, done.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "4 passed" in tests.stdout
    return project


def test_a_word_book_passes_its_own_tests(word_book: Path) -> None:
    findings = verify.verify(word_book / "book", word_book, word_book / "_build")
    assert [f.output for f in findings] == [
        "html",
        "epub/a-summer-in-provence.epub",
        "pdf/a-summer-in-provence-a4.pdf",
        "pdf/a-summer-in-provence-letter.pdf",
    ]
    assert all(f.ok and f.total == 18 for f in findings), findings


def test_make_verify_counts_per_output(word_book: Path) -> None:
    done = run_classbook(word_book, "verify", epoch=0)
    assert done.returncode == 0, done.stderr
    assert "pdf/a-summer-in-provence-a4.pdf: 18/18 source texts verbatim, ok" in done.stdout


def test_verify_names_a_paragraph_an_output_lost(word_book: Path, tmp_path: Path) -> None:
    text = verify.epub_text(word_book / "_build" / "epub" / "a-summer-in-provence.epub")
    units = [s for s in read(word_book / "book" / "_source" / "a-summer-in-provence.docx").sections]
    paragraphs = [p for s in units for p in s.paragraphs]
    finding = verify.check("epub", text.replace("We left in September.", ""), paragraphs)
    assert finding.missing == ["We left in September."] and not finding.ok


def test_the_printed_contents_list_the_word_books_sections_with_pages(word_book: Path) -> None:
    pages = pdf_pages(word_book / "_build" / "pdf" / "a-summer-in-provence-a4.pdf")
    contents = next(page for page in pages if "Contents" in page)
    entry = re.search(r"The House\s*\.*\s*(\d+)", contents)
    assert entry, contents
    printed = int(entry.group(1))
    assert "The House" in pages[printed - 1]


def test_an_image_without_alt_text_is_left_out_naming_it_or_refused(
    word_file: Path, tmp_path: Path
) -> None:
    project = tmp_path / "book"
    assert new_book(word_file, project).returncode == 0
    chapter = next((project / "book" / "chapters").glob("01-*.md"))
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(re.sub(r"!\[[^\]]+\]", "![]", text), encoding="utf-8")
    lines = chapter.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "![](" in text)
    image = Path(re.search(r"!\[\]\(<?([^)>\s]+)", lines[line - 1]).group(1)).name  # type: ignore[union-attr]
    # new-book's conf.py leaves it out: the book builds, says so, and no output holds it.
    done = run_classbook(project, "build", "-q", "epub", epoch=0)
    assert done.returncode == 0, done.stderr
    assert re.search(
        rf"{chapter.name}:{line}: image \S+{image} was left out of every output", done.stderr
    )
    epub = next((project / "_build" / "epub").glob("*.epub"))
    published = epub.read_bytes()
    with zipfile.ZipFile(epub) as archive:
        assert not [name for name in archive.namelist() if name.endswith(image)]
        pages = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")]
    assert any('class="classbook-undescribed"' in page for page in pages)
    # "refuse" fails the build at the same place, and the published EPUB stays as it was.
    conf = project / "conf.py"
    setting = 'classbook_undescribed_images = "leave-out"'
    assert setting in conf.read_text(encoding="utf-8")
    conf.write_text(
        conf.read_text(encoding="utf-8").replace(setting, setting.replace("leave-out", "refuse")),
        encoding="utf-8",
    )
    done = run_classbook(project, "build", "-q", "epub", epoch=0)
    assert done.returncode == 1
    assert re.search(rf"{chapter.name}:{line}: WARNING: image \S+ has no alt text", done.stderr)
    assert epub.read_bytes() == published


def test_an_arabic_book_builds_right_to_left_from_its_own_command(tmp_path: Path) -> None:
    source = tmp_path / "arabic.txt"
    source.write_text(
        "المدينة القديمة\nكانت المدينة مزدحمة بالناس في الصباح.\n"
        "السوق\nفي السوق باع التجار الخبز والزيتون.\n",
        encoding="utf-8",
    )
    project = tmp_path / "book"
    assert new_book(source, project, "--language", "ar", "--title", "كتاب المدينة").returncode == 0
    done = run_classbook(project, "build", "-q", "all", epoch=0)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    page = (project / "_build" / "html" / "chapters").glob("01-*.html")
    assert '<html dir="rtl" lang="ar"' in next(page).read_text(encoding="utf-8")
    findings = verify.verify(project / "book", project, project / "_build")
    assert all(f.ok for f in findings), findings
