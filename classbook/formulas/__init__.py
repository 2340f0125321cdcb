"""Formulas for every output: TeX -> MathML (web, EPUB), spoken text, SVG (print), cached.

No Sphinx here: the Sphinx integration collects the formulas, calls ``convert_all`` once per
build, and writes what it gets back::

    results = convert_all([Formula(r"\\frac{a}{b}", display=False), ...], cache_dir)
    for formula, result in results.items():
        if isinstance(result, Failed):
            ...  # one warning with the file, the line, the TeX and result.message

Print: ``Converted.svg`` goes into the print HTML as it is (simple; WeasyPrint draws it slowly:
about 4.4 s per PDF per 500 formulas), or ``font.write`` makes a font of the PDF's formulas
and ``font.snippet`` writes each as one character of it (WeasyPrint draws them as text:
about nothing per PDF).

``ensure_tools()`` installs the node tools (temml, speech-rule-engine) under the virtualenv
the first time; ``convert_all`` calls it only when something is not in the cache.
"""

from classbook.formulas.convert import Stats, convert_all
from classbook.formulas.mathml import with_alttext
from classbook.formulas.model import Converted, Failed, Formula, Glyph, Result
from classbook.formulas.tools import Tools, ToolsError, ensure_tools

__all__ = [
    "Converted",
    "Failed",
    "Formula",
    "Glyph",
    "Result",
    "Stats",
    "Tools",
    "ToolsError",
    "convert_all",
    "ensure_tools",
    "with_alttext",
]
