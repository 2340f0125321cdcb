"""The formula layer (classbook/formulas): a lesson's formulas, bad TeX, the cache, determinism."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from classbook.formulas import (
    Converted,
    Failed,
    Formula,
    Stats,
    ToolsError,
    convert_all,
    ensure_tools,
    font,
    tex,
    with_alttext,
    ziamath_fast,
)
from classbook.formulas import svg as svg_module
from classbook.formulas.cache import FormulaCache

MATHML = "{http://www.w3.org/1998/Math/MathML}"
SVG = "{http://www.w3.org/2000/svg}"

#: A mathematics lesson: what a teacher writes, inline and display.
LESSON = {
    "letter": Formula("x", False),
    "fraction": Formula(r"\frac{a}{b} + \tfrac{1}{2}", False),
    "root": Formula(r"\sqrt{x^2 + 1}", False),
    "cube root": Formula(r"\sqrt[3]{8} = 2", False),
    "inline sum": Formula(r"\sum_{i=1}^{n} i", False),
    "inline integral": Formula(r"\int_0^1 x^2\,dx", False),
    "quadratic": Formula(r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}", True),
    "matrix": Formula(r"A = \begin{pmatrix} a & b \\ c & d \end{pmatrix}", True),
    "series": Formula(r"\sum_{k=1}^{\infty} \frac{1}{k^2} = \frac{\pi^2}{6}", True),
    "integral": Formula(r"\int_{-\infty}^{\infty} e^{-x^2}\,dx = \sqrt{\pi}", True),
    "aligned": Formula(r"\begin{aligned} (a+b)^2 &= a^2 + 2ab + b^2 \\ &= c \end{aligned}", True),
    "align": Formula(r"\begin{align} a &= b + c \\ d &= e \end{align}", True),
    "equation": Formula(r"\begin{equation} E = mc^2 \end{equation}", True),
    "one line": Formula(r"\begin{align*} x &= 1 \end{align*}", True),
}
BAD = {
    "malformed": Formula(r"\frac{a", False),
    "unknown": Formula(r"x + \foo{y}", False),
    "unknown in align": Formula(r"\begin{align} a &= \foo \end{align}", True),
    "empty": Formula("  ", False),
    "a file": Formula(r"\includegraphics{lesson.png}", False),
}


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Converted | Failed]:
    cache = tmp_path_factory.mktemp("formulas")
    results = convert_all([*LESSON.values(), *BAD.values()], cache)
    return {name: results[f] for name, f in {**LESSON, **BAD}.items()}


def converted(result: Converted | Failed) -> Converted:
    assert isinstance(result, Converted), result
    return result


def test_each_lesson_formula_converts(lesson: dict[str, Converted | Failed]) -> None:
    for name, formula in LESSON.items():
        result = converted(lesson[name])
        math = ET.fromstring(result.mathml)
        assert math.tag == f"{MATHML}math", name
        assert (math.get("display") == "block") == formula.display, name
        annotation = math.find(f".//{MATHML}annotation")
        assert annotation is not None and annotation.get("encoding") == "application/x-tex"
        shown = [e.text or "" for e in math.iter() if e.tag != f"{MATHML}annotation"]
        assert "\\" not in "".join(shown), name  # no raw TeX in what is shown
        drawing = ET.fromstring(result.svg)
        assert drawing.tag == f"{SVG}svg", name
        assert len(drawing.get("viewBox", "").split()) == 4, name
        assert re.fullmatch(r"[\d.]+em", drawing.get("width", "")), name
        assert drawing.get("style") == f"vertical-align:-{result.depth_em:.4f}".rstrip("0") + "em"
        assert drawing.findtext(f"{SVG}title") == result.speech, name
        assert result.width_em > 0 and result.height_em > result.depth_em >= 0, name


def test_the_speech_says_the_mathematics(lesson: dict[str, Converted | Failed]) -> None:
    said = {name: converted(lesson[name]).speech for name in LESSON}
    assert said["fraction"].startswith("a over b plus")
    assert "square root of x squared plus 1" in said["root"]
    assert "cube root of 8" in said["cube root"]
    assert said["quadratic"] == (
        "x equals the fraction with numerator negative b plus or minus the square root of "
        "b squared minus 4 a c and denominator 2 a"
    )
    assert "integral" in said["inline integral"] and "sum" in said["series"]
    assert "matrix" in said["matrix"]
    # An environment of one line is its math, not "1 lines Line 1:" (temml frames it in a
    # table of one row); lines are counted only where there are several.
    assert said["equation"] == "E equals m c squared"
    assert said["one line"] == "x equals 1"
    assert said["align"].startswith("2 lines Line 1:")


def test_numbered_environments_are_left_to_sphinx(lesson: dict[str, Converted | Failed]) -> None:
    # temml numbers align itself with CSS counters (not MathML Core): it gets align*.
    result = converted(lesson["align"])
    assert "tml-eqn" not in result.mathml
    assert r"\begin{align*}" in result.mathml  # the TeX converted, in the annotation


def test_an_inline_integral_is_not_stretched(lesson: dict[str, Converted | Failed]) -> None:
    # ziamath stretched an inline ∫ with limits to 2.8 em; in text it is a text-size sign.
    inline = converted(lesson["inline integral"])
    display = converted(lesson["integral"])
    assert inline.height_em < 1.9 < display.height_em


def test_a_sum_keeps_its_size_beside_a_fraction(tmp_path: Path) -> None:
    # ziamath's operator dictionary makes ∑ stretchy: in text it grew to the fraction's
    # height. MathML Core (and TeX) keep it text-size; display style picks the large one.
    import ziamath

    def sigma_height(formula: Formula) -> float:
        result = converted(convert_all([formula], tmp_path)[formula])
        math = ziamath.Math(svg_module.prepare(result.mathml, formula.display), size=100)
        stack = [math.node]
        while stack:
            node = stack.pop()
            if type(node).__name__ == "Moperator" and getattr(node, "string", "") == "∑":
                return node.bbox.ymax - node.bbox.ymin
            stack += [*getattr(node, "nodes", []), *filter(None, [getattr(node, "base", None)])]
        raise AssertionError("no ∑ drawn")

    alone = sigma_height(Formula(r"\sum x", False))
    assert sigma_height(Formula(r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}", False)) == alone
    assert sigma_height(Formula(r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}", True)) > 1.2 * alone


def test_a_hyphen_as_text_after_a_number_draws(tmp_path: Path) -> None:
    # ziamath's own reading of a string replaced everything from the first <mn> to a later
    # ">-" with "<mn>−": \text{-} in the second row of an aligned failed (QuantEcon's
    # complex_and_trig lesson). A number's hyphen and a lone "-" operator still become "−".
    formula = Formula(r"\begin{aligned} 1 &= 2 \\ &= \cos{(\text{-}\theta)} \end{aligned}", True)
    assert isinstance(convert_all([formula], tmp_path)[formula], Converted)
    math = svg_module.parse("<math><mn>-1</mn><mo>-</mo><mtext>-</mtext><mn>1</mn></math>")
    assert [e.text for e in math] == ["\u22121", " \u2212 ", "-", "1"]


def test_a_blank_line_in_an_align_is_a_line_high(tmp_path: Path) -> None:
    """TeX's "\\\\ \\\\" (a blank line between rows, as matematikk_1t writes its steps):
    ziamath drew the empty row with its box's sentinels, a height of -217 em (WeasyPrint
    dropped it with a warning, the build failed). It is one line high, as in TeX."""
    rows = [r"a &= b \\ x \\ c &= d", r"a &= b \\ \\ c &= d", r"a &= b \\ c &= d"]
    formulas = [Formula(f"\\begin{{aligned}} {r} \\end{{aligned}}", True) for r in rows]
    results = convert_all(formulas, tmp_path)
    full, blank, two = (converted(results[f]) for f in formulas)
    assert two.height_em < blank.height_em < full.height_em + 0.6
    assert blank.depth_em > 0 and blank.glyph is not None


def test_a_formula_sits_on_the_baseline(lesson: dict[str, Converted | Failed]) -> None:
    # The depth lowers the SVG so its baseline is the text's: an x reaches below only by
    # the room left around the ink; a fraction's denominator hangs well below.
    assert converted(lesson["letter"]).depth_em < 0.04
    assert converted(lesson["fraction"]).depth_em > 0.3


def test_bad_tex_is_one_message(lesson: dict[str, Converted | Failed]) -> None:
    messages = {}
    for name in BAD:
        result = lesson[name]
        assert isinstance(result, Failed), name
        assert result.message and "\n" not in result.message, name
        messages[name] = result.message
    assert "end of the formula" in messages["malformed"]
    assert messages["unknown"] == r"unknown command \foo at position 5"
    # The position is the author's, though temml read \begin{align*}.
    assert messages["unknown in align"] == r"unknown command \foo at position 20"
    assert messages["empty"] == "the formula is empty"
    # temml runs with trust: false: a book's formula reads no file and makes no link.
    assert messages["a file"] == r"\includegraphics is not allowed in a formula at position 1"


def test_a_noop_batch_converts_nothing(tmp_path: Path) -> None:
    formulas = [*LESSON.values(), *BAD.values()]
    first, again = Stats(), Stats()
    before = convert_all(formulas, tmp_path, stats=first)
    after = convert_all(formulas, tmp_path, stats=again)
    assert (first.mathml, first.node_runs) == (len(formulas) - 1, 1)  # the empty one: no tool
    assert (again.mathml, again.speech, again.svg, again.node_runs) == (0, 0, 0, 0)
    assert after == before  # failures too: reported again from the cache


def test_a_changed_formula_converts_only_itself(tmp_path: Path) -> None:
    formulas = list(LESSON.values())
    convert_all(formulas, tmp_path)
    formulas[0] = Formula(r"\frac{a}{c}", False)
    stats = Stats()
    convert_all(formulas, tmp_path, stats=stats)
    assert (stats.mathml, stats.speech, stats.svg, stats.node_runs) == (1, 1, 1, 1)


def test_the_books_own_commands_reach_every_formula(tmp_path: Path) -> None:
    """classbook_math_macros, as a Jupyter Book's MathJax macros (matematikk_1t's \\liff)
    or LaTeX's \\newcommand: every formula is converted with them; a change converts again."""
    from types import SimpleNamespace

    from classbook.config import SETTINGS, problems

    formulas = [Formula(r"x = 1 \liff y", False), Formula(r"\annotate{=}{def}", True)]
    macros = {"liff": r"\quad\iff\quad", "\\annotate": r"\overset{\text{#2}}{#1}"}
    results = convert_all(formulas, tmp_path, macros=macros)
    assert all(isinstance(r, Converted) for r in results.values())
    assert "double arrow" in converted(results[formulas[0]]).speech  # \iff, spoken
    plain = convert_all(formulas, tmp_path)  # another book, without them: said, not drawn
    assert [r.message for r in plain.values() if isinstance(r, Failed)] == [
        "unknown command \\liff at position 7",
        "unknown command \\annotate at position 1",
    ]
    stats = Stats()
    convert_all(formulas, tmp_path, macros={**macros, "liff": r"\iff"}, stats=stats)
    assert stats.mathml == 2  # the key holds the commands: both converted again
    # conf.py's check: a name that is not a command's, a value that is not TeX.
    for wrong in ({"2x": "y"}, {"R": ""}):
        values = {setting.name: setting.default for setting in SETTINGS}
        config = SimpleNamespace(**{**values, "classbook_math_macros": wrong})
        found = problems(config)  # type: ignore[arg-type]  # the names Sphinx's Config has
        assert any(p.startswith("conf.py: classbook_math_macros") for p in found), found


def test_display_and_inline_are_different_formulas(tmp_path: Path) -> None:
    results = convert_all([Formula(r"\sum_i i", False), Formula(r"\sum_i i", True)], tmp_path)
    inline, display = (converted(r) for r in results.values())
    assert inline.svg != display.svg and inline.height_em < display.height_em


def test_another_language_speaks_again_and_draws_nothing(tmp_path: Path) -> None:
    formulas = [LESSON["quadratic"], LESSON["root"]]
    english = convert_all(formulas, tmp_path)
    stats = Stats()
    german = convert_all(formulas, tmp_path, locale="de", stats=stats)
    assert (stats.mathml, stats.speech, stats.svg) == (0, 2, 0)
    assert converted(german[LESSON["root"]]).speech != converted(english[LESSON["root"]]).speech
    assert "wurzel" in converted(german[LESSON["root"]]).speech.lower()


def test_a_damaged_entry_is_made_again(tmp_path: Path) -> None:
    formula = LESSON["root"]
    first = convert_all([formula], tmp_path)
    entries = sorted(tmp_path.rglob("*.json"))
    assert [p.relative_to(tmp_path).parts[0] for p in entries] == ["mathml", "speech", "svg"]
    speech = next(p for p in entries if p.relative_to(tmp_path).parts[0] == "speech")
    speech.write_text("{not json", encoding="utf-8")
    stats = Stats()
    assert convert_all([formula], tmp_path, stats=stats) == first
    assert (stats.mathml, stats.speech, stats.svg) == (0, 1, 0)
    assert not list(tmp_path.rglob("*.part"))


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    formulas = list(LESSON.values())
    one = convert_all(formulas, tmp_path / "one")
    two = convert_all(list(reversed(formulas)), tmp_path / "two")
    assert one == two
    for path in (tmp_path / "one").rglob("*.json"):
        twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert path.read_bytes() == twin.read_bytes()


def test_the_cache_key_covers_text_and_display() -> None:
    keys = {
        FormulaCache.key("svg", "v", mode, text)
        for mode in ("inline", "display")
        for text in ("x", "x ", "y")
    }
    assert len(keys) == 6


def test_mathml_takes_an_alttext(lesson: dict[str, Converted | Failed]) -> None:
    result = converted(lesson["quadratic"])
    text = 'say "a < b" & mean it\n'
    math = ET.fromstring(with_alttext(result.mathml, text))
    assert math.get("alttext") == 'say "a < b" & mean it'
    assert with_alttext(with_alttext(result.mathml, "one"), "two").count("alttext=") == 1


def test_the_speedups_draw_what_ziamath_draws(lesson: dict[str, Converted | Failed]) -> None:
    sources = [(converted(lesson[n]).mathml, LESSON[n].display) for n in LESSON]
    fast = [svg_module.draw(m, d).svg for m, d in sources]
    ziamath_fast.uninstall()
    try:
        plain = [svg_module.draw(m, d).svg for m, d in sources]
    finally:
        ziamath_fast.install()
    assert fast == plain


def test_compiled_xpath_speaks_as_sre_does(lesson: dict[str, Converted | Failed]) -> None:
    from classbook.formulas import nodebatch

    speak = {name: converted(lesson[name]).mathml for name in LESSON}
    options = {"locale": "en", "domain": "clearspeak", "style": "default"}
    answers = [
        nodebatch.run(ensure_tools(), [], speak, options, lambda _: None, timeout=60,
                      compile_xpath=compiled)[1]
        for compiled in (True, False)
    ]  # fmt: skip
    assert answers[0] == answers[1]
    assert {name: a.text for name, a in answers[0].items()} == {
        name: converted(lesson[name]).speech for name in LESSON
    }


def test_ziamath_failures_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(svg_module.DrawingError, match=r"ziamath cannot draw <mfoo>"):
        svg_module.draw('<math xmlns="http://www.w3.org/1998/Math/MathML"><mfoo/></math>', False)


def test_positions_map_back_through_starred_environments() -> None:
    text = r"\begin{align}a\end{align}\begin{gather}b\end{gather}"
    normalised, inserted = tex.normalise(text)
    assert normalised == r"\begin{align*}a\end{align*}\begin{gather*}b\end{gather*}"
    for index, char in enumerate(text, 1):
        found = [
            i
            for i in range(1, len(normalised) + 1)
            if tex.original_position(i, inserted) == index and normalised[i - 1] == char
        ]
        assert found, (index, char)


def test_a_missing_node_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ensure_tools.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        with pytest.raises(ToolsError, match=r"^formulas need Node\.js .*'node' is not on PATH"):
            ensure_tools()
        with pytest.raises(ToolsError):
            convert_all([Formula("x", False)], tmp_path / "cache")
    finally:
        ensure_tools.cache_clear()


def test_a_cached_batch_needs_no_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    convert_all([LESSON["root"]], tmp_path)
    ensure_tools.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        assert isinstance(convert_all([LESSON["root"]], tmp_path)[LESSON["root"]], Converted)
    finally:
        ensure_tools.cache_clear()


def test_the_tools_install_once_where_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # npm ci from the lockfile (npm's own cache makes it quick after the first time).
    monkeypatch.setenv("CLASSBOOK_FORMULA_TOOLS", str(tmp_path))
    ensure_tools.cache_clear()
    try:
        tools = ensure_tools()
        assert tools.modules.parent == tmp_path
        assert (tools.modules / ".complete").exists()
        assert (tools.modules / "node_modules" / "speech-rule-engine").is_dir()
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [
            tools.modules.name
        ]
        ensure_tools.cache_clear()
        assert ensure_tools() == tools  # found in place, not installed again
    finally:
        ensure_tools.cache_clear()


def test_the_tools_are_installed_under_the_virtualenv() -> None:
    tools = ensure_tools()
    assert (tools.modules / ".complete").exists()
    assert (tools.modules / "node_modules" / "temml" / "package.json").exists()
    assert tools.script.name == "mathtool.mjs" and tools.script.exists()


# -- Print as glyphs of a font (font.py) --------------------------------------------------------


def test_every_lesson_formula_has_a_glyph(lesson: dict[str, Converted | Failed]) -> None:
    for name in LESSON:
        glyph = converted(lesson[name]).glyph
        assert glyph is not None, name
        assert glyph.advance == round(converted(lesson[name]).width_em / 1.1 * 1000), name


def test_the_font_holds_the_glyphs(lesson: dict[str, Converted | Failed], tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    results = [converted(lesson[name]) for name in LESSON]
    glyphs = [r.glyph for r in results if r.glyph is not None]
    path = font.write(glyphs, tmp_path)
    assert font.write(glyphs, tmp_path) == path  # named by content: the same file again
    assert path.read_bytes() == font.build(glyphs)  # and the same bytes
    loaded = TTFont(path)
    cmap = loaded.getBestCmap()
    table = loaded["glyf"]
    for i, glyph in enumerate(glyphs):
        name = cmap[font.FIRST_CODE_POINT + i]
        drawn = table[name]
        assert (drawn.xMin, drawn.yMin, drawn.xMax, drawn.yMax) == glyph.box
        assert loaded["hmtx"][name] == (glyph.advance, glyph.box[0])
    assert loaded["hhea"].ascent == -loaded["hhea"].descent  # the box centred on the baseline


def test_a_coloured_formula_keeps_its_svg(tmp_path: Path) -> None:
    result = converted(convert_all([Formula(r"\color{red}{x} + y", False)], tmp_path).popitem()[1])
    assert result.glyph is None and 'fill="#ff0000"' in result.svg
    with pytest.raises(ValueError, match="no glyph"):
        font.snippet(result, 0)


def test_a_glyph_sits_where_its_svg_sits(
    lesson: dict[str, Converted | Failed], tmp_path: Path
) -> None:
    """WeasyPrint lays out a line with a formula as SVG and as a glyph alike: same line
    height, same baseline, same place of the formula's box."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    names = ["letter", "fraction", "inline sum", "root"]
    results = [converted(lesson[name]) for name in names]
    path = font.write([r.glyph for r in results if r.glyph is not None], tmp_path)
    style = f"<style>p {{ font-size: 14px; line-height: 1.5; }}{font.css(path.name, 1.1)}</style>"

    def lines(items: list[str]) -> list[float]:
        body = "".join(f"<p>text {item} text</p>" for item in items)
        document = HTML(string=f"<html>{style}<body>{body}</body></html>", base_url=str(tmp_path))
        found = []
        stack = [document.render().pages[0]._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.LineBox):
                found += [box.position_y, box.height, box.baseline]
            else:
                stack.extend(reversed(getattr(box, "children", [])))
        return found

    as_svg = lines([r.svg for r in results])
    as_glyph = lines([font.snippet(r, i) for i, r in enumerate(results)])
    assert as_glyph == pytest.approx(as_svg, abs=0.05)
    assert as_svg[4] > as_svg[1]  # a fraction makes its line taller, an x does not


def _drawn_formula_boxes(pdf_path: Path) -> dict[int, tuple[int, int, int, int]]:
    """The box of each glyph of the formula font embedded in ``pdf_path``, by glyph id."""
    from io import BytesIO

    import pikepdf
    from fontTools.ttLib import TTFont

    from classbook.render.figures import is_formula_font

    with pikepdf.open(pdf_path) as pdf:
        faces = [
            face
            for page in pdf.pages
            for face in page.Resources.Font.values()
            if is_formula_font(str(face.BaseFont))
        ]
        assert len({str(face.BaseFont) for face in faces}) == 1
        program = faces[0].DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
    table = TTFont(BytesIO(program))["glyf"]
    found = {}
    for gid, name in enumerate(TTFont(BytesIO(program)).getGlyphOrder()):
        drawn = table[name]
        if drawn.numberOfContours:
            found[gid] = (drawn.xMin, drawn.yMin, drawn.xMax, drawn.yMax)
    return found


def _print_page(
    tmp_path: Path, name: str, results: list[Converted], css: Callable[[str], str]
) -> Path:
    """A print HTML of ``results`` as glyphs of a font of their own; ``css`` makes the
    stylesheet from the font's URL."""
    glyphs = [r.glyph for r in results if r.glyph is not None]
    path = font.write(glyphs, tmp_path / "_static")
    body = "".join(f"<p>See {font.snippet(r, i)} here.</p>" for i, r in enumerate(results))
    html = tmp_path / f"{name}.html"
    html.write_text(
        f'<html lang="en"><head><title>{name}</title><style>{css(f"_static/{path.name}")}'
        f"</style></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return html


def test_each_pdf_draws_the_glyphs_of_its_own_font(
    lesson: dict[str, Converted | Failed], tmp_path: Path
) -> None:
    """One render worker lays out many PDFs, each with a formula font of its own whose
    glyphs take the same code points: the second PDF draws its formulas, not the first's."""
    from classbook.render.figures import FIRST_GLYPH
    from classbook.render.jobs import Job
    from classbook.render.worker import Renderer

    renderer = Renderer()
    for name, formulas in {"book": ["quadratic", "root"], "handout": ["letter"]}.items():
        results = [converted(lesson[f]) for f in formulas]
        html = _print_page(tmp_path, name, results, lambda url: font.css(url, 1.1))
        renderer.render(Job(html, tmp_path / f"{name}.pdf", "a4", roots=(tmp_path,)))
        drawn = _drawn_formula_boxes(tmp_path / f"{name}.pdf")
        assert drawn == {FIRST_GLYPH + i: r.glyph.box for i, r in enumerate(results) if r.glyph}


def test_a_pdf_drawn_with_another_pdfs_formula_font_fails(
    lesson: dict[str, Converted | Failed], tmp_path: Path
) -> None:
    """Two fonts declared under one family (as before 2026-12-08): the worker finds that the
    second PDF's formulas were drawn with the first font and fails, writing no PDF."""
    from classbook.render import RenderError
    from classbook.render.jobs import Job
    from classbook.render.worker import Renderer

    def shared(url: str) -> str:  # the stylesheet as it was
        return font.css(url, 1.1).replace(f" {Path(url).stem.removeprefix(font.FILE_PREFIX)}", "")

    renderer = Renderer()
    first = _print_page(tmp_path, "book", [converted(lesson["quadratic"])], shared)
    renderer.render(Job(first, tmp_path / "book.pdf", "a4", roots=(tmp_path,)))
    second = _print_page(tmp_path, "handout", [converted(lesson["letter"])], shared)
    with pytest.raises(RenderError, match=r"handout\.pdf drew its formulas with glyphs"):
        renderer.render(Job(second, tmp_path / "handout.pdf", "a4", roots=(tmp_path,)))
    assert not (tmp_path / "handout.pdf").exists()
