"""One page number for the whole class: the print pages marked in the EPUB and on the web."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, Build
from helpers import SLUG, fold, pdf_pages

#: Words compared on each side of a page break.
WINDOW = 4


def words(text: str) -> list[str]:
    """Letters only, lower case: footnote calls, dashes and hyphenation do not count."""
    return [w.lower() for w in re.findall(r"[^\W\d_]+", text.replace("\u2010\n", ""))]


def holds(page_text: str, wanted: list[str]) -> bool:
    return " ".join(wanted) in " ".join(words(page_text))


def _texts(marker: Any, direction: str) -> list[str]:
    # The page's own text: the article on the web, the body in the EPUB.
    container = marker.find_parent("article") or marker.find_parent("body")
    found: list[str] = []
    for string in getattr(marker, direction)(string=True):
        parent = string.parent
        if parent is None or parent.name in {"script", "style"}:
            continue
        if container not in string.parents:
            break
        if parent.get("class") and {"headerlink", "classbook-page"} & set(parent["class"]):
            continue
        found.append(str(string))
        if len(words(" ".join(found))) > WINDOW + 2:
            break
    return found


def around(marker: Any) -> tuple[list[str], list[str]]:
    """The words before a marker and after it, in the same document."""
    after = words(" ".join(_texts(marker, "find_all_next")))
    before = words(" ".join(reversed(_texts(marker, "find_all_previous"))))
    return before[-WINDOW:], after[: WINDOW + 1]


def markers(documents: dict[str, str], selector: str) -> dict[int, tuple[str, object]]:
    """Page number -> (document, marker element) for every page marker."""
    found: dict[int, tuple[str, object]] = {}
    for name, markup in documents.items():
        soup = BeautifulSoup(markup, "html.parser")
        for marker in soup.select(selector):
            found[int(marker["id"].removeprefix("page-"))] = (name, marker)
    return found


def samples(found: dict[int, tuple[str, object]]) -> list[int]:
    """Three pages of every chapter: its first, a middle one and its last."""
    chosen: set[int] = set()
    by_doc: dict[str, list[int]] = {}
    for page, (name, _) in sorted(found.items()):
        by_doc.setdefault(name, []).append(page)
    for name, pages in by_doc.items():
        if "chapters/" in name:
            chosen |= {pages[0], pages[len(pages) // 2], pages[-1]}
    return sorted(chosen)


def check_markers(found: dict[int, tuple[str, object]], pdf: Path) -> int:
    printed = pdf_pages(pdf)
    checked = 0
    for page in samples(found):
        _, marker = found[page]
        before, after = around(marker)
        # The page's first words follow the marker (the first may be half a hyphenated
        # word on paper), and the words before it end the previous page.
        assert holds(printed[page - 1], after[1:]), (page, after, printed[page - 1][:300])
        if before:  # the page does not start its document
            assert holds(printed[page - 2], before), (page, before, printed[page - 2][-300:])
        checked += 1
    return checked


def epub_documents(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as archive:
        return {
            n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xhtml")
        }


@pytest.fixture(scope="module")
def a4(book: Build) -> Path:
    return book.out("bookpdf") / f"{SLUG}-a4.pdf"


def test_the_epub_marks_where_each_sampled_a4_page_begins(book: Build, a4: Path) -> None:
    docs = {k: v for k, v in epub_documents(book.out("epub") / f"{SLUG}.epub").items()}
    found = markers(docs, 'span[epub\\:type="pagebreak"]')
    assert check_markers(found, a4) >= 11  # every chapter; its first, middle and last page
    # Pages that break inside a paragraph are marked inside it, to the word.
    assert any(marker.parent.name == "p" for _, marker in found.values())
    for _, marker in found.values():
        assert marker["role"] == "doc-pagebreak" and marker["aria-label"].isdigit()


def test_the_web_edition_marks_the_same_pages(book: Build, a4: Path) -> None:
    html = book.out("html")
    docs = {str(p.relative_to(html)): p.read_text(encoding="utf-8") for p in html.rglob("*.html")}
    found = markers(docs, "span.classbook-page")
    epub = markers(epub_documents(book.out("epub") / f"{SLUG}.epub"), "span[id^=page-]")
    assert set(found) == set(epub)
    assert check_markers(found, a4) >= 11
    for _, marker in found.values():
        assert marker.get_text() == f"p.\u00a0{marker['id'].removeprefix('page-')}"


def test_the_epub_has_a_page_list_and_names_its_print_source(book: Build) -> None:
    with zipfile.ZipFile(book.out("epub") / f"{SLUG}.epub") as archive:
        nav = archive.read("nav.xhtml").decode("utf-8")
        opf = archive.read("content.opf").decode("utf-8")
    page_list = BeautifulSoup(nav, "html.parser").select_one('nav[epub\\:type="page-list"]')
    assert page_list is not None
    entries = [(a.get_text(), a["href"]) for a in page_list.select("a")]
    assert [int(n) for n, _ in entries] == sorted(int(n) for n, _ in entries)
    docs = epub_documents(book.out("epub") / f"{SLUG}.epub")
    for number, href in entries:  # every entry resolves to its marker
        name, fragment = href.split("#")
        assert f'id="{fragment}"' in docs[name] and fragment == f"page-{number}"
    source = "The Homs Massacre, February 2012, print edition (A4 PDF)"
    assert f'<dc:source id="print-source">{source}</dc:source>' in opf
    assert '<meta refines="#print-source" property="source-of">pagination</meta>' in opf
    for feature in ("printPageNumbers", "pageBreakMarkers", "pageNavigation"):
        assert f'property="schema:accessibilityFeature">{feature}<' in opf


def test_the_web_page_map_serves_page_addresses_and_search(book: Build) -> None:
    script = (book.out("html") / "_static" / "classbook-pages.js").read_text(encoding="utf-8")
    assert script.startswith("window.classbookPages = {")
    entries = dict(re.findall(r'"(\d+)": \["([^"]+)"', script))
    for page, address in entries.items():
        name, fragment = address.split("#")
        assert f'id="{fragment}"' in (book.out("html") / name).read_text(encoding="utf-8")
        assert fragment == f"page-{page}"


def test_each_handout_says_which_book_pages_it_reproduces(book: Build, a4: Path) -> None:
    printed = pdf_pages(a4)
    chapters = sorted((ROOT / "book" / "chapters").glob("*.md"))
    for number, chapter in enumerate(chapters, start=1):
        [handout] = book.out("handouts").glob(f"{number:02d}-*-a4.pdf")
        text = fold(" ".join(pdf_pages(handout)))  # a line may break anywhere in it
        match = re.search(r"In the book: pages? (\d+)(?:\u2013(\d+))? of the A4 edition", text)
        assert match, handout.name
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        title = re.search(r"^# (.+)$", chapter.read_text(encoding="utf-8"), re.M).group(1)
        # The chapter's title opens its first book page; its last page is before the next
        # chapter's first (or shares it, for a short chapter).
        assert holds(printed[first - 1], words(title)), (handout.name, first)
        assert last >= first
        if number < len(chapters):
            following = re.search(r"^# (.+)$", chapters[number].read_text(encoding="utf-8"), re.M)
            assert not any(
                holds(printed[p - 1], words(following.group(1))) for p in range(first, last)
            )
