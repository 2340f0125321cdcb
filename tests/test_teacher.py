"""The teacher edition has the "For teachers" part and the answer guidance; no student
output (site, EPUB, book PDF, handouts, packets, cartridges) has a word of either."""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pdfplumber
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT
from helpers import SLUG, epub_text, fold, pdf_text

BOOK = ROOT / "book"
#: Characters of MyST markup: a sentence with any of them does not reach the output as is.
MARKUP = re.compile(r"[{}`*\[\]<>_|#]")
WORDS = 9


def sentences(markdown: str) -> list[str]:
    """Plain sentences of ``markdown``, cut to their first words (short enough not to
    straddle a page break, long enough to be found nowhere else)."""
    found = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        if paragraph.lstrip().startswith((":::", "(", "#", "```")):
            continue
        for raw in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())):
            sentence = re.sub(r"^(\d+\.|-)\s+", "", raw)
            words = sentence.split()
            if len(words) >= WORDS and not MARKUP.search(sentence):
                found.append(" ".join(words[:WORDS]))
    return found


TEACHER_ONLY = re.compile(r":::\{teacher-only\}\n(.*?)\n:::", re.DOTALL)


def teacher_only_text() -> dict[str, list[str]]:
    """Sentences of every teacher-only block and every "For teachers" page, by file; not
    those that student pages share (the About page describes the book in the same words,
    the claims register quotes the record)."""
    student = " ".join(
        " ".join(TEACHER_ONLY.sub("", path.read_text(encoding="utf-8")).split())
        for path in sorted([*BOOK.rglob("*.md"), *(BOOK / "_data").glob("*.yml")])
        if "teachers" not in path.relative_to(BOOK).parts
    )
    found: dict[str, list[str]] = {}
    for path in sorted((BOOK / "chapters").glob("*.md")):
        blocks = TEACHER_ONLY.findall(path.read_text(encoding="utf-8"))
        found[path.name] = [s for block in blocks for s in sentences(block) if s not in student]
    for path in sorted((BOOK / "teachers").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        found[f"teachers/{path.name}"] = [s for s in sentences(text) if s not in student]
    return {name: sentences_[:4] for name, sentences_ in found.items()}


TEACHER_TEXT = teacher_only_text()
SNIPPETS = [s for found in TEACHER_TEXT.values() for s in found]


def evidence_quotes() -> list[str]:
    """The first words of each evidence quote in the claims register (teacher edition only):
    long enough to be found nowhere else, short enough not to straddle a page break."""
    claims = yaml.safe_load((BOOK / "_data" / "claims.yml").read_text(encoding="utf-8"))
    quotes = {item["quote"] for entry in claims for item in entry["evidence"]}
    # Not words the student text also has (a book's title, say).
    ours = fold(
        " ".join(p.read_text(encoding="utf-8") for p in [*BOOK.rglob("*.md"), *BOOK.rglob("*.bib")])
    ).lower()
    starts = {" ".join(q.split()[:7]) for q in quotes if len(q.split()) >= 10}
    # Compared as the leak check compares, without case: "As head of" is in "was head of".
    return sorted(start for start in starts if fold(start).lower() not in ours)


EVIDENCE = evidence_quotes()


def test_every_teacher_file_gives_sentences_to_look_for() -> None:
    assert all(TEACHER_TEXT.values()), [name for name, found in TEACHER_TEXT.items() if not found]
    assert len(TEACHER_TEXT) >= 11 + 4


@pytest.fixture(scope="module")
def teacher(book) -> Path:
    """Where `make book` publishes the teacher edition: beside the student PDFs."""
    return book.out("bookpdf")


def body_text(pdf: Path) -> str:
    """A PDF's text without running heads and page numbers, so that sentences running
    over a page break read on."""
    info = pdf.stat()
    return _body_text(str(pdf), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _body_text(pdf: str, _size: int, _mtime_ns: int) -> str:
    # pdfplumber takes seconds a book; two tests read each teacher edition as it is.
    parts = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            body = page.crop((0, 50, page.width, page.height - 45))
            parts.append(body.extract_text() or "")
    return fold("\n".join(parts))


def test_teacher_edition_is_named_and_sized_per_paper(teacher) -> None:
    names = sorted(p.name for p in teacher.glob("*.pdf"))
    assert names == [f"{SLUG}-{paper}.pdf" for paper in ("a4", "letter")] + [
        f"{SLUG}-teacher-{paper}.pdf" for paper in ("a4", "letter")
    ]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_teacher_edition_has_the_guidance_and_the_for_teachers_part(teacher, paper) -> None:
    text = body_text(teacher / f"{SLUG}-teacher-{paper}.pdf")
    assert "Answer guidance" in text
    assert "Teacher edition" in fold(pdf_text(teacher / f"{SLUG}-teacher-{paper}.pdf"))
    missing = [s for s in SNIPPETS if fold(s) not in text]
    assert not missing, missing


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_teacher_edition_prints_the_evidence_quotes(teacher, paper) -> None:
    text = body_text(teacher / f"{SLUG}-teacher-{paper}.pdf")
    assert len(EVIDENCE) >= 30
    # The print style sets the note's evidence heading in capitals.
    assert "evidence (teacher edition)" in text.lower()
    assert "Evidence for each claim (teacher edition)" in text
    missing = [quote for quote in EVIDENCE if fold(quote) not in text]
    assert not missing, missing


def student_outputs(book) -> dict[str, str]:
    """The text of every student output, by file."""
    texts: dict[str, str] = {}
    site = book.out("html")
    for page in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        texts[str(page.relative_to(book.root))] = fold(soup.get_text(" "))
    index = site / "searchindex.js"
    texts["html/searchindex.js"] = fold(index.read_text(encoding="utf-8"))
    for epub in book.out("epub").glob("*.epub"):
        texts[f"epub/{epub.name}"] = epub_text(epub)
    # The teacher edition is published beside the student book PDFs; the rest are students'.
    student = [p for p in book.out("bookpdf").glob("*.pdf") if "-teacher-" not in p.name]
    pdfs = [*student, *book.out("handouts").glob("*.pdf")]
    pdfs += (book.root / "packets").glob("*.pdf")
    for pdf in sorted(pdfs):
        texts[str(pdf.relative_to(book.root))] = pdf_text(pdf)
    # The cartridges a teacher imports into an LMS, where students see them: every text
    # file inside (manifest, web links, discussion topics, quizzes, instructions); a topic's
    # or a quiz's text is HTML inside the XML.
    for package in sorted((book.root / "cartridge").rglob("*.imscc")):
        with zipfile.ZipFile(package) as archive:
            parts = []
            for name in archive.namelist():
                data = archive.read(name)
                if name.endswith(".xml"):
                    parts.append(" ".join(ElementTree.fromstring(data).itertext()))
                elif name.endswith(".html"):
                    parts.append(data.decode("utf-8"))
        markup = " ".join(parts)
        texts[str(package.relative_to(book.root))] = fold(
            BeautifulSoup(markup, "html.parser").get_text(" ")
        )
    return texts


def test_no_student_output_has_teacher_text(book) -> None:
    texts = student_outputs(book)
    kinds = {name.split("/", 1)[0] for name in texts}
    assert kinds == {"html", "epub", "pdf", "handouts", "packets", "cartridge"}, kinds
    assert not any("teacher" in name for name in texts)
    leaks = [
        (name, snippet)
        for name, text in texts.items()
        for snippet in [*SNIPPETS, *EVIDENCE, "Answer guidance", "evidence (teacher edition)"]
        if fold(snippet).lower() in text.lower()
    ]
    assert not leaks, leaks[:10]
    assert not (book.out("html") / "teachers").exists()


def test_no_cartridge_carries_or_links_the_teacher_edition(book) -> None:
    packages = sorted((book.root / "cartridge").rglob("*.imscc"))
    assert packages
    for package in packages:
        with zipfile.ZipFile(package) as archive:
            names = archive.namelist()
            text = " ".join(archive.read(n).decode("utf-8") for n in names if n.endswith(".xml"))
        assert not [name for name in names if "teacher" in name], package.name
        assert "-teacher-" not in text and "/teachers/" not in text, package.name
