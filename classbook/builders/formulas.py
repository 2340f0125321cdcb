"""Formulas in every output: MathML on the web and in the EPUB, SVG in print, no MathJax."""

from __future__ import annotations

import html
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number

from classbook.builders.printing import THEMES, PrintMixin
from classbook.ext import formulas as collected
from classbook.formulas import Converted, Result, with_alttext

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator

#: The web's formula stylesheet: temml's rules for its MathML (MIT), STIX Two Math served
#: from the site (the font is inside the ziamath wheel; nothing from another host).
STATIC = THEMES / "formulas" / "static"
STYLESHEET = "classbook-formulas.css"
FONT = "STIXTwoMath-Regular.ttf"
#: A content document holding MathML (the EPUB manifest's ``mathml`` property).
MATHML = re.compile(r"<math[\s>]")


def _result(self: HTML5Translator, node: nodes.Element) -> Result | None:
    return collected.results(self.builder.app).get(collected.formula_of(node))


def _print(self: HTML5Translator) -> bool:
    return isinstance(self.builder, PrintMixin)


def _inline(self: HTML5Translator, node: nodes.Element, result: Result | None) -> str:
    """One formula as this output carries it, or its TeX as code when it failed (the
    build has already failed with the file and line: warnings are errors)."""
    if not isinstance(result, Converted):
        return f'<code class="formula-error">{html.escape(node.astext())}</code>'
    if _print(self):
        # WeasyPrint draws the SVG; its <title> (the speech) becomes the PDF's /Alt.
        return result.svg
    return with_alttext(result.mathml, result.speech)


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(_inline(self, node, _result(self, node)))
    raise nodes.SkipNode


def visit_math_block(self: HTML5Translator, node: nodes.math_block) -> None:
    result = _result(self, node)
    self.body.append(self.starttag(node, "div", CLASS="formula-display"))
    if _print(self):
        # A row: a spacer as wide as the number keeps the formula centred on the line.
        self.body.append('<span class="formula-spacer"></span>')
    self.body.append(_inline(self, node, result))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        if not _print(self):
            self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    elif _print(self):
        self.body.append('<span class="eqno"></span>')
    self.body.append("</div>\n")
    raise nodes.SkipNode


def _web(app: Sphinx) -> bool:
    """The web site: not the EPUB, not print (they carry their own rules)."""
    builder = app.builder
    return (
        builder.format == "html" and builder.name != "epub" and not isinstance(builder, PrintMixin)
    )


def _stylesheet(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # Only pages with formulas link the stylesheet (as Sphinx's MathJax does its script).
    if _web(app) and context.get("has_maths_elements"):
        app.builder.add_css_file(STYLESHEET)  # type: ignore[attr-defined]  # an HTML builder


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """The stylesheet and STIX Two Math into the site, when the book has formulas."""
    if exception is not None or not _web(app) or not collected.results(app):
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STATIC / STYLESHEET, static / STYLESHEET)
    with resources.as_file(resources.files("ziamath") / "fonts" / FONT) as font:
        shutil.copyfile(font, static / FONT)


def mathml_documents(outdir: Path, names: list[str]) -> set[str]:
    """Which of the EPUB's content documents hold MathML."""
    return {
        name
        for name in names
        if name.endswith(".xhtml") and MATHML.search((outdir / name).read_text(encoding="utf-8"))
    }


def setup(app: Sphinx) -> None:
    """Our math renderer for every HTML-like builder (web, EPUB, print HTML)."""
    app.add_html_math_renderer(
        "classbook", inline_renderers=(visit_math, None), block_renderers=(visit_math_block, None)
    )
    app.connect("html-page-context", _stylesheet)
    app.connect("build-finished", _copy_assets)
