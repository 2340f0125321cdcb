"""Checks and small edits of temml's MathML: well-formed, a <math> root, an alttext added."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_ROOT = re.compile(r"<math\b")


def problem(mathml: str) -> str | None:
    """None when ``mathml`` is well-formed XML with a MathML ``<math>`` root, else what is
    wrong (temml has written neither so far; the EPUB's XHTML would not parse)."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as err:
        return f"temml wrote MathML that is not well-formed XML ({err})"
    if root.tag != f"{{{MATHML_NS}}}math":
        return f"temml wrote {root.tag}, not a MathML <math> element"
    return None


def with_alttext(mathml: str, text: str) -> str:
    """``mathml`` with ``alttext="text"`` on its root (EPUB reading systems without MathML
    support read it). An alttext already there is kept."""
    if re.match(r"<math\b[^>]*\salttext=", mathml):
        return mathml
    value = _attribute(text)
    return _ROOT.sub(lambda _: f"<math alttext={value}", mathml, count=1)


def _attribute(text: str) -> str:
    # escape() leaves tabs and newlines, which an attribute value turns into spaces anyway.
    return '"' + escape(" ".join(text.split()), quote=True) + '"'
