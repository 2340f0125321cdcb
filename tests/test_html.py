"""The web site: one page per chapter with its title, previous/next, search, downloads."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import SITE
from helpers import ROOT, SOURCE

from classbook.sources import read_source

SECTIONS = read_source(SOURCE)
CHAPTERS = sorted(p.stem for p in (SOURCE.parents[1] / "chapters").glob("*.md"))


def soup(path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_each_chapter_page_has_its_title_and_neighbours(book) -> None:
    html = book.out("html")
    for n, (doc, section) in enumerate(zip(CHAPTERS, SECTIONS, strict=True)):
        page = soup(html / "chapters" / f"{doc}.html")
        assert page.select_one("article h1").get_text(strip=True).startswith(section.heading)
        assert section.heading in page.title.get_text()
        prev_link = page.select_one("a.left-prev")
        next_link = page.select_one("a.right-next")
        assert prev_link is not None
        if n < len(CHAPTERS) - 1:
            assert next_link is not None
            assert next_link["href"].endswith(f"{CHAPTERS[n + 1]}.html")
        if n > 0:
            assert prev_link["href"].endswith(f"{CHAPTERS[n - 1]}.html")


def test_search_page_and_index_exist(book) -> None:
    assert (book.out("html") / "search.html").is_file()
    index = (book.out("html") / "searchindex.js").read_text(encoding="utf-8")
    assert "khalidiya" in index.lower()


def test_every_download_link_resolves_to_a_file_of_the_right_type(book) -> None:
    html = book.out("html")
    pages = list(html.rglob("*.html"))
    checked = 0
    for page in pages:
        for link in soup(page).select("a[data-classbook-download]"):
            target = (page.parent / link["href"]).resolve()
            assert target.is_file(), (page, link["href"])
            head = target.read_bytes()[:64]
            kind = link["data-classbook-download"]
            if kind == "pdf":
                assert head.startswith(b"%PDF-"), target
            elif kind == "epub":
                assert zipfile.is_zipfile(target), target
                assert head[30:58] == b"mimetypeapplication/epub+zip"
            else:  # a Common Cartridge: a zip whose manifest is at its root
                assert kind == "cartridge" and zipfile.is_zipfile(target), (kind, target)
                assert "imsmanifest.xml" in zipfile.ZipFile(target).namelist(), target
            checked += 1
    assert checked >= 3 * len(pages)


def test_chapter_pages_offer_their_own_handouts(book) -> None:
    page = soup(book.out("html") / "chapters" / "04-february-2.html")
    hrefs = [a["href"] for a in page.select("a[data-classbook-download]")]
    assert "../downloads/04-february-2-a4.pdf" in hrefs
    assert "../downloads/04-february-2-letter.pdf" in hrefs
    assert "../downloads/homs-massacre.epub" in hrefs


def test_the_sitemap_lists_every_page_of_the_site_and_nothing_else(book) -> None:
    html = book.out("html")
    sitemap = BeautifulSoup((html / "sitemap.xml").read_text(encoding="utf-8"), "xml")
    listed = {loc.get_text() for loc in sitemap.find_all("loc")}
    base = SITE
    assert {f"{base}chapters/{doc}.html" for doc in CHAPTERS} <= listed
    assert f"{base}index.html" in listed
    assert not {f"{base}{page}" for page in ("search.html", "genindex.html", "404.html")} & listed
    # No print or EPUB output carries a sitemap of its own.
    assert not list(book.out("pdf").rglob("sitemap.xml"))
    assert not list(book.out("epub").rglob("sitemap.xml"))


def test_no_builder_keeps_a_queue_server_for_the_sitemap(tmp_path, monkeypatch) -> None:
    """sphinx-sitemap's multiprocessing queue forks a server process per builder; without
    parallel writing a plain queue does, and the server is stopped at once, for the site
    and the print builders alike."""
    import multiprocessing
    import queue

    from conftest import REPOSITORY, ROOT
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    # The sitemap is made for a site with a known address (conf.py), as on GitHub Pages.
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    for builder in ("html", "bookpdf"):
        before = set(multiprocessing.active_children())
        # As sphinx-build does: what the extensions register with docutils goes with it.
        with docutils_namespace():
            app = Sphinx(ROOT / "book", ROOT, tmp_path / builder, tmp_path / "doctrees",
                         builder, status=None, warning=None)  # fmt: skip
            assert isinstance(app.sitemap_links, queue.Queue), builder
            assert not set(multiprocessing.active_children()) - before, builder


def test_chapter_pages_have_open_graph_tags(book) -> None:
    page = soup(book.out("html") / "chapters" / f"{CHAPTERS[0]}.html")
    assert page.select_one('meta[property="og:title"]')["content"].startswith(SECTIONS[0].heading)
    assert page.select_one('meta[property="og:image"]')["content"].endswith("classbook-cover.png")


def test_opengraph_loads_without_matplotlib_when_social_cards_are_off(tmp_path: Path) -> None:
    # sphinxext-opengraph 0.13 imports matplotlib for its social cards, on or off; the book
    # turns them off, and no Sphinx process (the print builds' included) pays for them.
    code = (
        "import sys\n"
        "from sphinx.application import Sphinx\n"
        f"app = Sphinx({str(ROOT / 'book')!r}, {str(ROOT)!r}, {str(tmp_path / 'out')!r}, "
        f"{str(tmp_path / 'doctrees')!r}, 'bookpdf', status=None)\n"
        "print('sphinxext.opengraph' in app.extensions, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "True False\n"  # and nothing printed about matplotlib
