"""Formulas for every output: TeX to MathML, speech, a print glyph or SVG (docs/formulas.md)."""

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
