"""Benchmark (not a test): 500 textbook formulas, cold and no-op conversion, WeasyPrint cost."""

#     python -m classbook.formulas.bench convert [--runs 5]
#     python -m classbook.formulas.bench weasyprint [--runs 3] [--forms text inline-svg ...]
#     python -m classbook.formulas.bench page OUT   (a lesson as PDF, SVG and font forms, + MathML)
#
# Each run is a fresh process (a cold build starts one); the median is reported, with the load
# average, because the machine is shared.

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from classbook.formulas.model import Converted, Formula

FONTS = Path(__file__).resolve().parent.parent / "themes" / "print" / "static" / "fonts"

INLINE = [
    r"x^{%d}", r"a_{%d} + b_{%d}", r"\frac{%d}{x+1}", r"\sqrt{x^2+%d}", r"y = %dx + 3",
    r"\alpha_{%d} \leq \beta", r"f(x) = x^2 - %d", r"\sin(%d\theta)", r"e^{-%d t}",
    r"\log_{2} %d", r"\vec{v}_{%d}", r"|x - %d| < \varepsilon", r"\pi r^{%d}", r"\Delta x = %d",
    r"%d^\circ", r"\mathbf{F} = m\mathbf{a}_{%d}", r"P(A \cap B_{%d})", r"n \ge %d",
    r"\binom{n}{%d}", r"x \in \mathbb{R}^{%d}",
]  # fmt: skip
DISPLAY = [
    r"x = \frac{-b \pm \sqrt{b^2 - %d ac}}{2a}",
    r"\sum_{i=1}^{n} i^{%d} = \frac{n(n+1)}{2}",
    r"\int_{0}^{%d} x^2 \, dx = \frac{x^3}{3} \Big|_0^{%d}",
    r"\begin{pmatrix} 1 & %d \\ 0 & 1 \end{pmatrix} \begin{pmatrix} x \\ y \end{pmatrix}",
    r"\begin{aligned} (a+b)^2 &= a^2 + 2ab + b^2 \\ &= %d \end{aligned}",
    r"\lim_{x \to %d} \frac{\sin x}{x} = 1",
    r"f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h} + %d",
    r"\sqrt[3]{%d} \approx \left( 1 + \frac{1}{n} \right)^{n}",
]


def textbook(count: int = 500) -> list[Formula]:
    """``count`` distinct formulas as a school or college chapter has them (about 90 % inline):
    the researcher's set, so the figures compare."""
    out: dict[Formula, None] = {}
    k = 0
    while len(out) < count:
        k += 1
        for pattern in INLINE:
            out[Formula(pattern.replace("%d", str(k)), False)] = None
        for pattern in DISPLAY[: 2 if k % 2 else 3]:
            out[Formula(pattern.replace("%d", str(k)), True)] = None
    return list(out)[:count]


# -- The page WeasyPrint draws ----------------------------------------------------------------

CSS = f"""
@page {{ size: A5; margin: 16mm 14mm; }}
@font-face {{ font-family: "Book Serif"; src: url({(FONTS / "NotoSerif-Regular.ttf").as_uri()}); }}
@font-face {{ font-family: "Book Serif"; font-style: italic;
  src: url({(FONTS / "NotoSerif-Italic.ttf").as_uri()}); }}
@font-face {{ font-family: "Book Serif"; font-weight: bold;
  src: url({(FONTS / "NotoSerif-Bold.ttf").as_uri()}); }}
html {{ font-family: "Book Serif"; font-size: 10.5pt; line-height: 1.5; }}
p {{ text-align: justify; hyphens: auto; margin: 0 0 .6em; }}
.formula {{ overflow: visible; }}
.equation {{ display: flex; align-items: center; margin: .5em 0; }}
.equation::before, .equation .eqno {{ content: ""; flex: 1 1 0; }}
.equation .eqno {{ text-align: right; }}
"""


def page(formulas: list[Formula], items: list[str]) -> str:
    """An HTML page: the inline formulas in sentences, each display one in a numbered row."""
    parts: list[str] = []
    sentence: list[str] = []
    number = 0
    for formula, item in zip(formulas, items, strict=True):
        if formula.display:
            number += 1
            parts.append("<p>" + " and ".join(sentence) + ".</p>")
            sentence = []
            parts.append(f'<div class="equation">{item}<span class="eqno">({number})</span></div>')
        else:
            sentence.append(f"the value {item}")
    parts.append("<p>" + " and ".join(sentence) + ".</p>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Formulas</title>'
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def _img(source: str, result: Converted) -> str:
    return (
        f'<img class="formula" src="{source}" alt="{html.escape(result.speech)}" '
        f'style="width:{result.width_em:.4f}em;height:{result.height_em:.4f}em;'
        f'vertical-align:{-result.depth_em:.4f}em">'
    )


def font_items(
    formulas: list[Formula], results: dict[Formula, Converted], folder: Path
) -> tuple[list[str], Path]:
    """Each formula as a character of a font made for these formulas (font.py), or its SVG
    when it has no glyph; and the font's file."""
    from classbook.formulas import font

    order = [f for f in dict.fromkeys(formulas) if results[f].glyph is not None]
    index = {f: i for i, f in enumerate(order)}
    path = font.write([results[f].glyph for f in order], folder)  # type: ignore[misc]
    items = [font.snippet(results[f], index[f]) if f in index else results[f].svg for f in formulas]
    return items, path


def font_page(formulas: list[Formula], results: dict[Formula, Converted], folder: Path) -> str:
    """The page with the formulas as glyphs of one font (the form WeasyPrint draws fastest)."""
    from classbook.formulas import font

    items, path = font_items(formulas, results, folder)
    return page(formulas, items).replace("</style>", font.css(path.as_uri(), 1.1) + "</style>")


def unsimplified(formula: Formula, result: Converted, *, use: bool) -> str:
    """The formula as ziamath writes it, before svg.simplify: a <path> per glyph and a <rect>
    per bar (``use``: each glyph once as <symbol>, placed with <use>), sized like svg.draw."""
    import xml.etree.ElementTree as ET

    import ziafont
    import ziamath

    from classbook.formulas import svg

    ziafont.config.svg2 = use
    try:
        math = ziamath.Math(svg.prepare(result.mathml, formula.display), size=svg.UNITS, margin=0)
        root = math.svgxml()
    finally:
        ziafont.config.svg2 = False
    root.set("viewBox", re.search(r'viewBox="([^"]+)"', result.svg).group(1))  # type: ignore[union-attr]
    root.set("width", f"{result.width_em:.4f}em")
    root.set("height", f"{result.height_em:.4f}em")
    root.set("style", f"vertical-align:-{result.depth_em:.4f}em")
    title = ET.Element("title")
    title.text = result.speech
    root.insert(0, title)
    return ET.tostring(root, encoding="unicode")


def forms(folder: Path) -> dict[str, Callable[[Formula, Converted], str]]:
    """The ways a formula can reach WeasyPrint, by name."""
    folder.mkdir(parents=True, exist_ok=True)

    def file(_: Formula, result: Converted) -> str:
        name = hashlib.sha256(result.svg.encode()).hexdigest()[:20] + ".svg"
        (folder / name).write_text(result.svg, encoding="utf-8")
        return _img((folder / name).as_uri(), result)

    return {
        "text": lambda f, _: f"<code>{html.escape(f.tex)}</code>",
        "inline-svg": lambda _, r: r.svg,
        "inline-svg-unmerged": lambda f, r: unsimplified(f, r, use=False),
        "inline-svg-use": lambda f, r: unsimplified(f, r, use=True),
        "img-data-utf8": lambda _, r: _img("data:image/svg+xml," + quote(r.svg), r),
        "img-data-base64": lambda _, r: _img(
            "data:image/svg+xml;base64," + base64.b64encode(r.svg.encode()).decode(), r
        ),
        "img-file": file,
    }


# -- A page to look at ---------------------------------------------------------------------------

#: A lesson's paragraph: text and (inline TeX,) pieces; then display formulas.
LESSON = [
    "Let ", ("x^2 + y^2 = r^2",), " be a circle of radius ", ("r",), "; its area is ",
    (r"\pi r^2",), " and, away from the axis, its slope is ", (r"\frac{dy}{dx} = -\frac{x}{y}",),
    ". For every whole number ", (r"n \ge 1",), " the root ", (r"\sqrt{n}",),
    " grows more slowly than ", ("n",), ", and the sum ", (r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}",),
    " is a triangular number. A vector ", (r"\vec{v}_1",), " decays as ", (r"e^{-t/\tau}",),
    "; the entries ", (r"a_{ij}",), " of a matrix ", (r"A \in \mathbb{R}^{m \times n}",),
    " are real, and ", (r"\int_0^1 x^2\,dx = \tfrac{1}{3}",), ". Greek letters ",
    (r"\alpha, \beta, \gamma",), " and the binomial ", (r"\binom{n}{k}",),
    " sit on the line like the words around them. Text italic <i>x</i> beside math ", ("x",),
    " and text 2 beside ", ("2",), ".",
]  # fmt: skip
LESSON_DISPLAY = [
    r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}",
    r"A = \begin{pmatrix} a_{11} & a_{12} & a_{13} \\ a_{21} & a_{22} & a_{23} \\ "
    r"a_{31} & a_{32} & a_{33} \end{pmatrix}",
    r"\sum_{k=1}^{\infty} \frac{1}{k^2} = \frac{\pi^2}{6} \qquad "
    r"\int_{-\infty}^{\infty} e^{-x^2}\,dx = \sqrt{\pi}",
    r"\begin{align} (a+b)^2 &= a^2 + 2ab + b^2 \\ (a-b)^2 &= a^2 - 2ab + b^2 \\ "
    r"a^2 - b^2 &= (a+b)(a-b) \end{align}",
]


def lesson_pages(out: Path, cache: Path) -> list[Path]:
    """The lesson as HTML and PDF/UA-1 in two print forms (inline SVG; glyphs of a font),
    and its MathML as an HTML page for a browser: what a reader sees."""
    from weasyprint import HTML

    from classbook.formulas.convert import convert_all

    inline = [Formula(p[0], False) for p in LESSON if isinstance(p, tuple)]
    display = [Formula(t, True) for t in LESSON_DISPLAY]
    converted = convert_all([*inline, *display], cache)
    results = {f: r for f, r in converted.items() if isinstance(r, Converted)}
    assert len(results) == len(converted), converted
    out.mkdir(parents=True, exist_ok=True)

    def body(item: Callable[[Formula], str]) -> str:
        pieces = iter(inline)
        text = "".join(p if isinstance(p, str) else item(next(pieces)) for p in LESSON)
        blocks = [
            f'<div class="equation">{item(f)}<span class="eqno">({n})</span></div>'
            for n, f in enumerate(display, 1)
        ]
        return (
            f"<h1>Formulas in print</h1><p>{text}</p><p>The roots of a quadratic, "
            f"equation (1):</p>{blocks[0]}<p>A square matrix of order three:</p>{blocks[1]}"
            f"<p>Two famous results:</p>{blocks[2]}<p>Three identities, aligned on the "
            f"equals sign:</p>{blocks[3]}<p>After the display the text goes on with "
            f"{item(inline[0])} again, so the line after a display shows the spacing.</p>"
        )

    head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lesson</title>'
    pages = []
    svg_html = (
        f"{head}<style>{CSS}</style></head><body>{body(lambda f: results[f].svg)}</body></html>"
    )
    from classbook.formulas import font

    order = [*inline, *display]
    items, path = font_items(order, results, out)
    item = dict(zip(order, items, strict=True))
    font_css = font.css(path.name, 1.1)
    font_html = (
        f"{head}<style>{CSS}{font_css}</style></head><body>{body(item.__getitem__)}</body></html>"
    )
    for name, document in (("lesson-svg", svg_html), ("lesson-font", font_html)):
        (out / f"{name}.html").write_text(document, encoding="utf-8")
        HTML(string=document, base_url=str(out)).write_pdf(
            out / f"{name}.pdf", pdf_variant="pdf/ua-1"
        )
        pages.append(out / f"{name}.pdf")
    stix = Path(str(__import__("ziamath").__file__)).parent / "fonts" / "STIXTwoMath-Regular.ttf"
    serif = (FONTS / "NotoSerif-Regular.ttf").as_uri()
    # The web: temml's own stylesheet (alignment, spacing, fonts), with STIX Two Math from the
    # ziamath wheel in place of the font file it expects beside it (nothing from another host).
    from classbook.formulas.tools import ensure_tools

    temml_css = ensure_tools().modules / "node_modules" / "temml" / "dist" / "Temml-STIX2.css"
    style = temml_css.read_text(encoding="utf-8").replace("./STIXTwoMath.woff2", stix.as_uri())
    web = (
        f"{head}<style>{style}"
        f"@font-face {{ font-family: 'Book Serif'; src: url('{serif}'); }}"
        "body { font-family: 'Book Serif'; font-size: 18px; line-height: 1.5; max-width: 40em; }"
        ".equation { display: flex; align-items: center; } .equation > math { flex: 1; }</style>"
        f"</head><body>{body(lambda f: results[f].mathml)}</body></html>"
    )
    (out / "lesson-mathml.html").write_text(web, encoding="utf-8")
    pages.append(out / "lesson-mathml.html")
    return pages


# -- Runs ---------------------------------------------------------------------------------------


def _child(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "classbook.formulas.bench", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def convert_once(cache: Path, count: int) -> dict:
    """One process: convert ``count`` textbook formulas into ``cache``, timed."""
    from classbook.formulas.convert import Stats, convert_all

    formulas = textbook(count)
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    stats = Stats()
    results = convert_all(formulas, cache, stats=stats)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of this process and of node: on an idle 2-core machine the two run side by
    # side, so the wall time is about the larger one (the machine is shared: wall times vary).
    cpu = [
        a.ru_utime + a.ru_stime - (b.ru_utime + b.ru_stime)
        for a, b in zip(after, before, strict=True)
    ]
    failed = [f.tex for f, r in results.items() if not isinstance(r, Converted)]
    return {
        "seconds": seconds,
        "cpu_python_s": round(cpu[0], 2),
        "cpu_node_s": round(cpu[1], 2),
        "stats": {
            k: getattr(stats, k) for k in ("formulas", "mathml", "speech", "svg", "node_runs")
        },
        "steps": {k: round(v, 3) for k, v in stats.seconds.items()},
        "failed": failed,
    }


def bench_convert(runs: int, count: int) -> dict:
    """Cold (empty cache, tools installed) and no-op (everything cached) runs, each a fresh
    process; the figure is the conversion's own time inside it (what a build adds)."""
    from classbook.formulas.tools import ensure_tools

    ensure_tools()  # installed once per virtualenv: not part of a build's cost
    cold, noop = [], []
    with tempfile.TemporaryDirectory(prefix="classbook-formula-bench-") as tmp:
        cache = Path(tmp) / "cache"
        for _ in range(runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(_child(["convert-once", str(cache), str(count)]))
            noop.append(_child(["convert-once", str(cache), str(count)]))
    return {
        "formulas": count,
        "cold_median_s": round(statistics.median(r["seconds"] for r in cold), 2),
        "cold_runs_s": [round(r["seconds"], 2) for r in cold],
        "cold_cpu_python_median_s": statistics.median(r["cpu_python_s"] for r in cold),
        "cold_cpu_node_median_s": statistics.median(r["cpu_node_s"] for r in cold),
        "cold_steps_last": cold[-1]["steps"],
        "cold_converted_last": cold[-1]["stats"],
        "noop_median_s": round(statistics.median(r["seconds"] for r in noop), 3),
        "noop_cpu_python_median_s": statistics.median(r["cpu_python_s"] for r in noop),
        "noop_converted_last": noop[-1]["stats"],
        "failed": cold[-1]["failed"],
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }


def weasyprint_once(form: str, cache: Path, out: Path, count: int, renders: int) -> dict:
    """One process: ``renders`` PDFs of the same page, with formulas in ``form``, sharing
    WeasyPrint's image cache as the render pool's worker would (a chapter is in ~6 PDFs)."""
    from weasyprint import HTML

    from classbook.formulas.convert import convert_all

    formulas = textbook(count)
    results = {f: r for f, r in convert_all(formulas, cache).items() if isinstance(r, Converted)}
    if form == "font":
        document = font_page(formulas, results, out / "font")
    else:
        make = forms(out / "svg")[form]
        document = page(formulas, [make(f, results[f]) for f in formulas])
    image_cache: dict = {}
    times, layout = [], []
    for _ in range(renders):
        started = time.perf_counter()
        rendered = HTML(string=document, base_url=str(out)).render(cache=image_cache)
        layout.append(time.perf_counter() - started)
        rendered.write_pdf(out / f"{form}.pdf", pdf_variant="pdf/ua-1")
        times.append(time.perf_counter() - started)
    return {"times": times, "layout": layout, "bytes": (out / f"{form}.pdf").stat().st_size}


def bench_weasyprint(runs: int, count: int, names: list[str], renders: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix="classbook-formula-weasy-"))
    cache = out / "cache"
    convert_once(cache, count)
    report: dict = {"formulas": count, "renders_per_process": renders}
    for name in names:
        samples = [
            _child(["weasyprint-once", name, str(cache), str(out), str(count), str(renders)])
            for _ in range(runs)
        ]
        report[name] = {
            "first_pdf_median_s": round(statistics.median(s["times"][0] for s in samples), 2),
            "later_pdf_median_s": round(
                statistics.median(t for s in samples for t in s["times"][1:]), 2
            )
            if renders > 1
            else None,
            "parse_and_layout_median_s": round(
                statistics.median(s["layout"][0] for s in samples), 2
            ),
            "pdf_kb": samples[-1]["bytes"] // 1024,
        }
        print(name, report[name], file=sys.stderr, flush=True)  # noqa: T201 - progress
    report["loadavg_1min"] = round(os.getloadavg()[0], 2)
    shutil.rmtree(out, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    convert = sub.add_parser("convert")
    convert.add_argument("--runs", type=int, default=5)
    convert.add_argument("--count", type=int, default=500)
    weasy = sub.add_parser("weasyprint")
    weasy.add_argument("--runs", type=int, default=3)
    weasy.add_argument("--count", type=int, default=500)
    weasy.add_argument("--renders", type=int, default=2)
    weasy.add_argument("--forms", nargs="+", default=["text", "inline-svg", "img-file", "font"])
    once = sub.add_parser("convert-once")
    once.add_argument("cache", type=Path)
    once.add_argument("count", type=int)
    look = sub.add_parser("page")
    look.add_argument("out", type=Path)
    wonce = sub.add_parser("weasyprint-once")
    wonce.add_argument("form")
    wonce.add_argument("cache", type=Path)
    wonce.add_argument("out", type=Path)
    wonce.add_argument("count", type=int)
    wonce.add_argument("renders", type=int)
    args = parser.parse_args(argv)
    result: object
    if args.command == "convert":
        result = bench_convert(args.runs, args.count)
    elif args.command == "weasyprint":
        result = bench_weasyprint(args.runs, args.count, args.forms, args.renders)
    elif args.command == "page":
        result = [str(p) for p in lesson_pages(args.out, args.out / "cache")]
    elif args.command == "convert-once":
        result = convert_once(args.cache, args.count)
    else:
        result = weasyprint_once(args.form, args.cache, args.out, args.count, args.renders)
    print(json.dumps(result))  # noqa: T201 - the benchmark's answer


if __name__ == "__main__":
    main()
