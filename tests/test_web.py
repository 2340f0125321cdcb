"""The web edition in a real browser: Playwright driving Debian's Chromium.

The built site is served on 127.0.0.1 under the path of ``html_baseurl`` (as a static host
would serve it), and every request to any other host is refused and fails the test.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import REGISTER_HEADERS
from helpers import ROOT
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The newest axe-core, installed from npm by classbook/setup/install-node-tools.sh.
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
#: The site's path on its host (html_baseurl in conf.py).
PREFIX = "/homs-massacre/"
PHONE = {"width": 390, "height": 844}
#: Browser set-ups every page is audited in.
MODES = {
    "light": {"color_scheme": "light"},
    "dark": {"color_scheme": "dark"},
    "phone": {
        "color_scheme": "light",
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
MAGIC = {
    "pdf": (b"%PDF-", "application/pdf"),
    "epub": (b"PK\x03\x04", "application/epub+zip"),
    "cartridge": (b"PK\x03\x04", "application/octet-stream"),
}


# -- The site on 127.0.0.1 ------------------------------------------------------------


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """A static host: the site under PREFIX, its 404 page for anything missing."""

    extensions_map = {  # noqa: RUF012 - the base class's own mapping, extended
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".epub": "application/epub+zip",
        ".pdf": "application/pdf",
        # No registered type: a host that does not know it serves it as bytes.
        ".imscc": "application/octet-stream",
        ".js": "text/javascript",
    }

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(PREFIX):  # nothing outside the site's path
            return str(Path(self.directory, "__outside_the_site__"))
        return super().translate_path("/" + path.removeprefix(PREFIX))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = Path(self.directory, "404.html")
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(book) -> Iterator[str]:
    """The built site's address on a free port of 127.0.0.1; the server stops after."""
    handler = functools.partial(StaticHost, directory=str(book.out("html")))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in a browser context that refuses every host but 127.0.0.1."""

    context: BrowserContext
    page: Page
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def open_tab(browser: Browser, mode: str = "light") -> Iterator[Tab]:
    """A fresh browser context in ``mode``; fails if anything reached for another host."""
    context = browser.new_context(**MODES[mode])
    tab = Tab(context, context.new_page())

    def guard(route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname != "127.0.0.1":
            tab.outside.append(url)
            route.abort()
        else:
            route.continue_()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(f"{tab.page.url}: {message.text}")

    context.route("**/*", guard)
    tab.page.on("console", console)
    tab.page.on("pageerror", lambda error: tab.errors.append(f"{tab.page.url}: {error}"))
    try:
        yield tab
    finally:
        context.close()
    assert tab.outside == [], "requests to hosts other than 127.0.0.1"


# -- What the site holds ----------------------------------------------------------------


def site_pages(book) -> list[str]:
    """Every HTML page of the site, relative to its root (theme fragments excluded)."""
    html = book.out("html")
    return sorted(
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not p.relative_to(html).parts[0].startswith("_")
    )


def content_pages(book) -> list[str]:
    """Pages made from book/ (not the search, index and 404 pages)."""
    return [p for p in site_pages(book) if p not in {"search.html", "genindex.html", "404.html"}]


def path_of(url: str, site: str) -> str:
    """A page's path inside the site: ``chapters/01-overview.html``."""
    path = unquote(urlsplit(url).path).removeprefix(urlsplit(site).path)
    return path or "index.html"


def goto(tab: Tab, url: str) -> None:
    response = tab.page.goto(url, wait_until="load")
    assert response is not None
    assert response.status == 200, url


# -- The home page, navigation and search --------------------------------------------


def test_home_loads_without_console_errors(browser, site) -> None:
    with open_tab(browser) as tab:
        goto(tab, site)
        assert tab.page.title().startswith("The Homs Massacre, February 2012")
        heading = tab.page.locator("article h1").first
        assert heading.inner_text().strip().startswith("The Homs Massacre, February 2012")
        cover = tab.page.locator(".classbook-cover img")
        assert cover.get_attribute("alt").startswith("Cover of The Homs Massacre")
        assert tab.page.evaluate(
            "img => img.complete && img.naturalWidth > 0", cover.element_handle()
        )
        assert "Last updated on" in tab.page.locator("footer.bd-footer-content").inner_text()
        assert tab.errors == []


def test_previous_next_walks_every_chapter_in_order(browser, site, book) -> None:
    with open_tab(browser) as tab:
        goto(tab, site)
        links = tab.page.locator("nav.bd-docs-nav a.reference.internal")
        order = [
            path_of(urljoin(tab.page.url, href.split("#")[0]), site)
            for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        ]
        order = list(dict.fromkeys(order))
        walked = [path_of(tab.page.url, site)]
        while tab.page.locator("a.right-next").count():
            tab.page.locator("a.right-next").click()
            tab.page.wait_for_load_state("load")
            walked.append(path_of(tab.page.url, site))
            assert len(walked) <= len(order) + 1, walked
        assert walked == order
        back = [walked[-1]]
        while tab.page.locator("a.left-prev").count():
            tab.page.locator("a.left-prev").click()
            tab.page.wait_for_load_state("load")
            back.append(path_of(tab.page.url, site))
            assert len(back) <= len(order) + 1, back
        assert back == walked[::-1]
        assert tab.errors == []
    # Every chapter of the source, in its numbered order.
    chapters = sorted(p.stem for p in (ROOT / "book" / "chapters").glob("*.md"))
    assert [p for p in walked if p.startswith("chapters/")] == [
        f"chapters/{stem}.html" for stem in chapters
    ]


def _page_words(path: Path) -> set[str]:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    return set(re.findall(r"[a-z]+", article.get_text(" ").lower()))


def search_probe(book) -> tuple[str, str]:
    """A word of the source text found in one chapter only (and nothing like it elsewhere)."""
    html = book.out("html")
    words = {page: _page_words(html / page) for page in content_pages(book)}
    source = (ROOT / "book" / "_source" / "homs-massacre.txt").read_text(encoding="utf-8")
    for word in (w.lower() for w in re.findall(r"[A-Za-z]{9,}", source)):
        stem = word[:6]  # the search stems words: nothing else may share the stem
        pages = [p for p, ws in words.items() if any(w.startswith(stem) for w in ws)]
        if len(pages) == 1 and pages[0].startswith("chapters/"):
            return word, pages[0]
    raise AssertionError("no word of the source appears in one chapter only")


def test_search_finds_the_chapter(browser, site, book) -> None:
    word, chapter = search_probe(book)
    with open_tab(browser) as tab:
        goto(tab, f"{site}search.html?q={word}")
        summary = tab.page.locator("#search-results p.search-summary")
        summary.wait_for()
        tab.page.wait_for_function(
            "() => document.querySelector('#search-results p.search-summary')"
            ".textContent.includes('found')"
        )
        results = tab.page.locator("#search-results ul.search li a").evaluate_all(
            "links => links.map(a => a.href)"
        )
        assert results, f"no result for {word!r}"
        assert path_of(results[0].split("#")[0], site) == chapter, (word, results)
        assert tab.errors == []


def test_search_dialog_opens_from_the_keyboard(browser, site) -> None:
    with open_tab(browser) as tab:
        goto(tab, site)
        tab.page.keyboard.press("Control+k")
        field = tab.page.locator("#pst-search-dialog input[name=q]")
        field.wait_for(state="visible")
        field.fill("Homs")
        field.press("Enter")
        tab.page.wait_for_url(re.compile(r"search\.html\?q=Homs"))
        tab.page.locator("#search-results ul.search li").first.wait_for()
        assert tab.errors == []


# -- Downloads ------------------------------------------------------------------------


def test_every_download_link_answers_with_its_file(browser, site, book) -> None:
    links: dict[str, str] = {}
    with open_tab(browser) as tab:
        for page in content_pages(book):
            goto(tab, site + page)
            block = tab.page.locator(".classbook-downloads")
            assert block.count() >= 1, f"{page}: no downloads block"
            found = block.first.locator("a[data-classbook-download]").evaluate_all(
                "links => links.map(a => [a.href, a.dataset.classbookDownload])"
            )
            assert found, f"{page}: no download links"
            links.update(dict(found))
        for url, kind in sorted(links.items()):
            assert path_of(url, site).startswith("downloads/"), url
            response = tab.context.request.get(url)
            assert response.status == 200, url
            magic, media_type = MAGIC[kind]
            assert response.headers["content-type"] == media_type, url
            body = response.body()
            assert body.startswith(magic), url
            if kind == "epub":
                assert body[30:58] == b"mimetypeapplication/epub+zip", url
    kinds = set(links.values())
    # The book is built with its GitHub Pages address: teachers get its cartridges too.
    assert kinds == {"pdf", "epub", "cartridge"}
    # The EPUB offered is the one that was built.
    epub = next(url for url, kind in links.items() if kind == "epub")
    with zipfile.ZipFile(book.out("html") / path_of(epub, site)) as archive:
        assert archive.read("mimetype") == b"application/epub+zip"


# -- Phone, dark mode, the 404 page -----------------------------------------------------


#: Elements that scroll sideways inside the page (a table in its scrolling container).
SIDEWAYS = """Array.from(document.querySelectorAll('*')).filter(e => {
  const x = getComputedStyle(e).overflowX;
  return (x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1;
}).map(e => e.tagName + '.' + e.className)"""


def test_no_horizontal_scroll_on_a_phone(browser, site, book) -> None:
    wide = {}
    with open_tab(browser, "phone") as tab:
        for page in site_pages(book):
            goto(tab, site + page)
            width = tab.page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[page] = width
            if sideways := tab.page.evaluate(SIDEWAYS):
                wide[page] = sideways
    assert wide == {}


def test_page_badges_are_badges_wherever_they_fall(browser, site, book) -> None:
    """A "p. 10" badge is as wide as its words, in a paragraph, before a heading or in an
    editor's note's title (the theme lays rubrics out as a flex column), on every page."""
    bars, seen = {}, 0
    with open_tab(browser) as tab:
        for page in content_pages(book):
            goto(tab, site + page)
            widths = tab.page.evaluate(
                "[...document.querySelectorAll('.classbook-page')]"
                ".map(b => b.getBoundingClientRect().width)"
            )
            seen += len(widths)
            if wide := [width for width in widths if width > 80]:
                bars[page] = wide
    assert seen and bars == {}


def test_the_claims_register_is_cards_on_a_phone(browser, site, book) -> None:
    page = "back/sources-and-verification.html"
    with open_tab(browser, "phone") as tab:
        goto(tab, site + page)
        assert tab.page.evaluate(SIDEWAYS) == []
        rows = tab.page.locator("table.claims-register tbody tr")
        assert rows.count() >= 10
        for index in range(rows.count()):
            box = rows.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        labels = tab.page.evaluate(
            """Array.from(document.querySelectorAll(
                 'table.claims-register tbody tr:first-child > *'))
               .map(c => getComputedStyle(c, '::before').content.replace(/^"|"$/g, ''))"""
        )
        assert labels == REGISTER_HEADERS
        rows.first.scroll_into_view_if_needed()
        screenshot(tab, book, page, "phone")
    with open_tab(browser, "light") as tab:  # a wide screen keeps the table and its header
        goto(tab, site + page)
        assert tab.page.locator("table.claims-register thead").is_visible()


def test_dark_mode_toggle(browser, site) -> None:
    with open_tab(browser, "light") as tab:
        goto(tab, site + "chapters/01-overview.html")
        page = tab.page
        html = page.locator("html")
        assert html.get_attribute("data-theme") == "light"
        light_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.locator("article").first.wait_for()
        page.locator(".bd-header-article button.theme-switch-button").click()
        page.locator(".bd-header-article button.theme-change-button[data-mode=dark]").click()
        assert html.get_attribute("data-theme") == "dark"
        dark_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert dark_background != light_background
        assert luminance(dark_background) < 0.1 < luminance(light_background)
        # The choice is kept from page to page.
        page.locator("a.right-next").click()
        page.wait_for_load_state("load")
        assert html.get_attribute("data-theme") == "dark"
        assert tab.errors == []


def luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of an ``rgb(r, g, b)`` colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_missing_page_shows_the_404_page(browser, site) -> None:
    with open_tab(browser) as tab:
        response = tab.page.goto(site + "no/such/page.html")
        assert response is not None and response.status == 404
        tab.page.wait_for_load_state("load")
        assert "Page not found" in tab.page.locator("article h1").first.inner_text()
        # Its styles and links work from any depth: they carry the site's path.
        assert tab.page.evaluate("document.styleSheets.length") >= 3
        home = tab.page.locator("a.navbar-brand").first.get_attribute("href")
        assert home.startswith(PREFIX)
        # Only the missing page's own status is an error.
        assert [e for e in tab.errors if "404" not in e] == []


# -- Keyboard: skip link and visible focus ----------------------------------------------


def test_skip_link_and_visible_focus(browser, site) -> None:
    with open_tab(browser) as tab:
        goto(tab, site + "chapters/02-background.html")
        page = tab.page
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "Skip to main content"
        # It slides into view when focused.
        page.wait_for_function(
            "(() => { const r = document.activeElement.getBoundingClientRect();"
            " return r.top >= 0 && r.width > 10 && r.height > 10; })()"
        )
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main-content"
        # Every tab stop shows where the focus is: the article, its footer, then (after
        # the document's end) the header and the sidebar.
        for _ in range(45):
            page.keyboard.press("Tab")
            html, outline, width, shadow = page.evaluate(
                "(() => { const e = document.activeElement, s = getComputedStyle(e);"
                " return [e === document.body ? '' : e.outerHTML.slice(0, 100),"
                " s.outlineStyle, s.outlineWidth, s.boxShadow]; })()"
            )
            if not html:  # past the last stop, the browser's own UI has the focus
                continue
            visible_shadow = shadow != "none" and not shadow.startswith("rgba(0, 0, 0, 0)")
            assert (outline != "none" and width != "0px") or visible_shadow, html


# -- axe-core, every page, three ways ---------------------------------------------------


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


@pytest.mark.parametrize("mode", list(MODES))
def test_axe_reports_no_violation(browser, site, book, mode: str) -> None:
    assert AXE.is_file(), "axe-core missing: run classbook/setup/install-node-tools.sh"
    version = ""
    violations = {}
    with open_tab(browser, mode) as tab:
        for page in site_pages(book):
            goto(tab, site + page)
            theme = tab.page.locator("html").get_attribute("data-theme")
            assert theme == ("dark" if mode == "dark" else "light"), page
            tab.page.add_script_tag(path=str(AXE))
            version = tab.page.evaluate("axe.version")
            found = tab.page.evaluate(AXE_RUN)
            if found:
                violations[page] = found
            screenshot(tab, book, page, mode)
        assert tab.errors == []
    assert version, "axe-core did not run"
    assert violations == {}, f"axe-core {version}"


#: Pages whose screenshots are kept in _build/screenshots/, for a person to look at.
SCREENSHOTS = {
    "index.html": "home",
    "chapters/04-february-2.html": "chapter",
    "back/sources-and-verification.html": "register",
}


def screenshot(tab: Tab, book, page: str, mode: str) -> None:
    name = SCREENSHOTS.get(page)
    if name is None:
        return
    folder = Path(__file__).resolve().parents[1] / "_build" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=folder / f"{name}-{mode}.png")
