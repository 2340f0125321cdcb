"""Formulas at build time: MyST's math syntax on, every formula of a build converted once."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.util import logging

from classbook.formulas import Failed, Formula, Result, ToolsError, convert_all
from classbook.sources.myst import DOLLAR_RULES, MYST_MATH

if TYPE_CHECKING:
    from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: The per-document record (classbook.ext.stores): docname -> (TeX, display, line) of each
#: formula in reading order.
STORE = "classbook_formulas"
#: speech-rule-engine's locales; a book in another language is spoken in English.
SPEECH_LOCALES = frozenset(
    ["af", "ca", "da", "de", "en", "es", "fr", "hi", "it", "ko", "nb", "nn", "sv"]
)
#: How much of a failed formula's TeX a message quotes.
QUOTE = 80

Record = tuple[str, bool, int | None]


class FormulaToolsError(SphinxError):
    """node or the formula tools are missing: one line, no traceback."""

    category = "Formula tools missing"


def enable_math(app: Sphinx, config: Config) -> None:
    """Turn MyST's math syntax on for every book (conf.py need not name it)."""
    enabled = list(config.myst_enable_extensions)
    config.myst_enable_extensions = [*enabled, *(n for n in MYST_MATH if n not in enabled)]
    # Prices are not formulas: "$5 and $10" stays text (no digit right after a closing
    # dollar, no space inside one), unless conf.py says otherwise.
    raw = getattr(config, "_raw_config", {})
    for name, value in DOLLAR_RULES.items():
        if f"myst_{name}" not in raw:
            setattr(config, f"myst_{name}", value)
    # One renderer of our own: Sphinx's MathJax (a script from another host) is never used.
    config.html_math_renderer = "classbook"


def tex_of(node: nodes.Element) -> str:
    """The TeX a formula node stands for, as the converter takes it.

    A ``{math}`` block or ``$$…$$`` may hold several equations separated by blank lines,
    or rows separated by ``\\\\``: Sphinx sets them as one aligned group (its
    ``wrap_displaymath``); an amsmath environment (``nowrap``) is taken as written.
    """
    text = node.astext().strip()
    if not isinstance(node, nodes.math_block) or node.get("nowrap"):
        return text
    parts = [part.strip() for part in text.split("\n\n") if part.strip()]
    if len(parts) == 1 and "\\\\" not in parts[0]:
        return parts[0]
    return "\\begin{aligned}" + " \\\\\n".join(parts) + "\\end{aligned}"


def _amsmath_label(renderer: SphinxRenderer) -> str:
    """The label of a numbered amsmath environment: the n-th of its document.

    MyST labels each with a random UUID (it cannot read ``\\label`` inside one): every
    build would write other ids, and the outputs would never be byte-identical.
    """
    document = renderer.document
    prefix = document.settings.env.docname.replace("/", "-") + "-amsmath-"
    count = sum(
        1
        for node in document.findall(nodes.math_block)
        if str(node.get("label", "")).startswith(prefix)
    )
    return f"{prefix}{count + 1}"


def formula_of(node: nodes.Element) -> Formula:
    return Formula(tex_of(node), isinstance(node, nodes.math_block))


def _line(node: nodes.Node) -> int | None:
    # Inline math inside a paragraph may carry no line of its own: its paragraph's.
    current: nodes.Node | None = node
    while current is not None:
        if current.line:
            return current.line
        current = current.parent
    return None


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    records: list[Record] = [
        (tex_of(node), isinstance(node, nodes.math_block), _line(node))
        for node in doctree.findall(nodes.Element)
        if isinstance(node, (nodes.math, nodes.math_block))
    ]
    getattr(app.env, STORE)[app.env.docname] = records


def cache_dir(app: Sphinx) -> Path:
    """Where converted formulas are kept between builds (``classbook_formula_cache``)."""
    if app.config.classbook_formula_cache:
        return Path(app.config.classbook_formula_cache)
    # A plain sphinx-build: beside its output folder (_build/html -> _build/.cache/formulas).
    return Path(app.outdir).parent / ".cache" / "formulas"


def _convert(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Convert every formula of the build in one batch; each failure is one warning."""
    records: dict[str, list[Record]] = getattr(env, STORE, {})
    formulas = [Formula(tex, display) for found in records.values() for tex, display, _ in found]
    results: dict[Formula, Result] = {}
    if formulas:
        language = (app.config.language or "en").split("_")[0].split("-")[0]
        folder = cache_dir(app)
        folder.mkdir(parents=True, exist_ok=True)
        # One conversion at a time per cache: the teacher edition's process starts beside
        # the student steps on the same formulas; it waits, then finds them converted.
        with (folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                results = convert_all(
                    formulas,
                    folder,
                    locale=language if language in SPEECH_LOCALES else "en",
                    macros=app.config.classbook_math_macros,
                )
            except ToolsError as error:
                raise FormulaToolsError(str(error)) from None
    app.classbook_formula_results = results  # type: ignore[attr-defined]  # per application
    for docname in sorted(records):
        for tex, display, line in records[docname]:
            result = results[Formula(tex, display)]
            if isinstance(result, Failed):
                quoted = tex if len(tex) <= QUOTE else tex[: QUOTE - 1] + "…"
                delimiter = "$$" if display else "$"
                # A command of the author's own: where a book defines it, once for all.
                hint = (
                    " (a command of the book's own? define it in conf.py's classbook_math_macros)"
                    if result.message.startswith("unknown command")
                    else ""
                )
                logger.warning(
                    "formula %s cannot be converted: %s%s",
                    f"{delimiter}{' '.join(quoted.split())}{delimiter}",
                    result.message,
                    hint,
                    location=(docname, line),
                    type="classbook",
                    subtype="formula",
                )
    return []


def results(app: Sphinx) -> dict[Formula, Result]:
    """The build's converted formulas (empty before the environment is up to date)."""
    found: dict[Formula, Result] = getattr(app, "classbook_formula_results", {})
    return found


def setup(app: Sphinx) -> None:
    """Enable the syntax, collect each document's formulas, convert them before writing."""
    from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer

    SphinxRenderer._random_label = _amsmath_label  # type: ignore[method-assign,assignment]
    app.connect("config-inited", enable_math)
    app.connect("doctree-read", _collect)
    app.connect("env-updated", _convert)
