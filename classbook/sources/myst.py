"""MyST Markdown as the readers see it: its parser, the text units of a block, code kept apart."""

from __future__ import annotations

import functools
import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

#: MyST's math syntax, on in every book (classbook/ext/formulas.py turns it on whatever
#: conf.py says): ``$…$``, ``$$…$$ (label)``, ``\begin{align}``.
MYST_MATH = ("dollarmath", "amsmath")
#: The MyST syntax chapters are written in (conf.py's myst_enable_extensions for new books,
#: and the math every book reads): the reader reads a document as the book will.
MYST_EXTENSIONS = frozenset({"colon_fence", "deflist", *MYST_MATH})


#: Directives whose content MyST parses as Markdown: their paragraphs are the source's.
MARKDOWN_DIRECTIVES = frozenset(
    {
        *("admonition", "note", "warning", "tip", "hint", "important", "caution", "danger"),
        *("error", "attention", "seealso", "topic", "sidebar", "epigraph", "highlights"),
        *("pull-quote", "container", "list-table", "table", "figure"),
    }
)


#: Directives whose last paragraph, when it starts with a dash, is an attribution.
QUOTES = frozenset({"epigraph", "highlights", "pull-quote"})


#: Directives whose content is not prose (code, math, an image): no text units.
VERBATIM_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "math", "image", "eval-rst"})


#: Directives whose argument names a code block's language.
CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})


#: Roles every book knows, and how much of their text a reader sees.
TEXT_ROLES = frozenset(
    {"sup", "sub", "superscript", "subscript", "kbd", "math", "code", "literal", "samp"}
    | {"file", "command", "guilabel", "program", "dfn", "abbr", "strong", "emphasis"}
)


ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+-]*)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks)", re.S)


ATTRIBUTES = re.compile(
    r"\s*\{\s*(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|\S+?))(?:\s+[^}]*)?\}"
)


#: MyST's dollar-math rules as every book has them unless its conf.py says otherwise (set by
#: classbook/ext/formulas.py): prices are not formulas ("$5 and $10" stays text, no space
#: just inside a pair of dollars), as pandoc reads dollars too. The reader reads by them.
DOLLAR_RULES = {"dmath_allow_space": False, "dmath_allow_digits": False}


@functools.cache
def parser(**rules: bool) -> MarkdownIt:
    """MyST's own Markdown parser, with the book's syntax and dollar rules (``rules``
    overrides them)."""
    chosen = {**DOLLAR_RULES, **rules}
    config = MdParserConfig(
        enable_extensions=set(MYST_EXTENSIONS),
        dmath_allow_space=chosen["dmath_allow_space"],
        dmath_allow_digits=chosen["dmath_allow_digits"],
    )
    return create_md_parser(config, RendererHTML)


def role_text(token: Token) -> str:
    name, content = str(token.meta.get("name", "")), token.content
    if name == "abbr" and (match := re.match(r"^(.*?)\s*\(.*\)$", content, re.S)):
        return match.group(1)
    if name not in TEXT_ROLES and (match := re.match(r"^(.*?)\s*<[^<>]*>$", content, re.S)):
        return match.group(1)  # a cross-reference's title
    return content


#: Around a formula's TeX in a text unit (characters of Unicode's private use area, which no
#: text of a reader holds): what `make verify` compares as one formula, whatever an output
#: draws for it. The build's source-text check marks the chapter's formulas the same way.
FORMULA_OPEN, FORMULA_CLOSE = "\ue000", "\ue001"
#: One formula, whatever writes it (TeX, MathML, a glyph, Word's OMML): what a check that
#: compares text without drawing formulas (`make verify`, new-book's count) finds instead.
FORMULA = "\ufffc"
_MARKED = re.compile(f"{FORMULA_OPEN}[^{FORMULA_CLOSE}]*{FORMULA_CLOSE}")


def formulas_as_one(unit: str) -> str:
    """A text unit with each of its marked formulas as one FORMULA."""
    return _MARKED.sub(f" {FORMULA} ", unit)


def formula_mark(tex: str) -> str:
    """A formula's TeX as a text unit holds it."""
    return f"{FORMULA_OPEN}{tex}{FORMULA_CLOSE}"


#: Around the label of an equation reference (``{eq}``) in a text unit: each output writes
#: the equation's number there, "(3)", which `make verify` looks up by the label.
REFERENCE_OPEN, REFERENCE_CLOSE = "\ue002", "\ue003"


def reference_mark(label: str) -> str:
    """An equation reference's label as a text unit holds it."""
    return f"{REFERENCE_OPEN}{label}{REFERENCE_CLOSE}"


def as_written(unit: str, *, roles: bool = True) -> str:
    """A text unit as its document writes it (for messages): each formula between dollars,
    each equation reference as its role (or, without ``roles``, as its label alone)."""
    unit = unit.replace(FORMULA_OPEN, "$").replace(FORMULA_CLOSE, "$")
    opening, closing = ("{eq}`", "`") if roles else ("", "")
    return unit.replace(REFERENCE_OPEN, opening).replace(REFERENCE_CLOSE, closing)


def inline_text(token: Token, *, formulas: bool = False) -> str:
    """The plain text of an inline token: what a reader sees, markup left out (footnote
    markers and images too: they are not the paragraph's words); each formula's TeX and
    each equation reference's label, marked when ``formulas`` (text units)."""
    parts = []
    for child in token.children or ():
        if child.type in {"math_inline", "math_inline_double"}:
            parts.append(formula_mark(child.content) if formulas else child.content)
        elif child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "myst_role" and formulas and child.meta.get("name") == "eq":
            parts.append(reference_mark(role_text(child)))
        elif child.type == "myst_role" and formulas and child.meta.get("name") == "math":
            parts.append(formula_mark(child.content))  # {math}`x`: a formula as $x$ is
        elif child.type == "myst_role":
            parts.append(role_text(child))
    return "".join(parts).strip()


def split_directive(info: str, content: str) -> tuple[str, str]:
    """A fenced directive's name ("" for a fenced div) and its content without options."""
    name = info[1:].split("}", 1)[0].strip() if info.startswith("{") else ""
    lines = content.split("\n")
    return name, "\n".join(lines[options_end(lines, 0, len(lines)) :])


def options_end(lines: list[str], start: int, closing: int) -> int:
    """Where a directive's options end: ``:key: value`` lines (a value may go on, indented,
    on the lines below) or a YAML block between ``---`` lines, as MyST reads them."""
    if start < closing and lines[start].strip() == "---":
        end = next((i for i in range(start + 1, closing) if lines[i].strip() == "---"), None)
        return start if end is None else end + 1
    at = start
    while at < closing and re.match(r"^\s*:[\w-]+:", lines[at]):
        indent = len(lines[at]) - len(lines[at].lstrip())
        at += 1
        while (
            at < closing and lines[at].strip() and len(lines[at]) - len(lines[at].lstrip()) > indent
        ):
            at += 1
    return at


def units(markdown: str, references: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The text of every paragraph, list item and table cell of ``markdown`` as a chapter's
    source-text block holds them (a term of a definition list is not a paragraph, a figure's
    first paragraph is its caption)."""
    env = {"references": dict(references or {})}
    tokens = parser().parse(markdown, env)
    found: list[str] = []
    parents: list[str] = []
    for token in tokens:
        if token.nesting == 1:
            parents.append(token.type)
        elif token.nesting == -1 and parents:
            parents.pop()
        elif (
            token.type == "inline"
            and parents
            and parents[-1] in {"paragraph_open", "th_open", "td_open"}
        ):
            if "dt_open" not in parents and (text := inline_text(token, formulas=True)):
                found.append(text)
        elif token.type in {"fence", "colon_fence"} and token.nesting == 0:
            name, content = split_directive(token.info.strip(), token.content)
            if token.type == "colon_fence" and not token.info.strip().startswith("{"):
                name = "container"  # a fenced div: MyST makes a container of its Markdown
            if name == "eval-rst":
                found.extend(rst_units(content))
            if name in MARKDOWN_DIRECTIVES:
                inner = list(units(content, references))
                if name == "figure":  # its first paragraph is the caption
                    inner = inner[1:]
                if name in QUOTES and inner and inner[-1].startswith(("--", "\u2014", "\u2015")):
                    inner = inner[:-1]  # "-- Author": the quotation's attribution
                found.extend(inner)
    return tuple(found)


#: The tokens of a formula set apart from the text ($$ … $$, with a label, amsmath).
DISPLAY_MATH = frozenset({"math_block", "math_block_label", "amsmath"})


def display_formulas(markdown: str) -> int:
    """How many formulas ``markdown`` sets apart from its text (at its top level)."""
    return sum(token.type in DISPLAY_MATH for token in parser().parse(markdown))


def rst_problem(text: str) -> str:
    """Why docutils cannot read a block of reStructuredText cleanly ("" when it can)."""
    from docutils import nodes
    from docutils.core import publish_doctree

    doctree = publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )
    for message in doctree.findall(nodes.system_message):
        if message.get("level", 0) >= 2:
            return message.astext().split("\n", 1)[0]
    return ""


def rst_units(text: str) -> list[str]:
    """The paragraphs of a reStructuredText block (an eval-rst grid table), read by docutils
    as the build reads them."""
    from docutils import nodes
    from docutils.core import publish_doctree

    doctree = publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )
    skipped = (nodes.footnote_reference, nodes.citation_reference, nodes.raw, nodes.system_message)

    def words(node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return node.astext()
        if isinstance(node, skipped):
            return ""
        return "".join(words(child) for child in node.children)

    return [
        text
        for paragraph in doctree.findall(nodes.paragraph)
        if not isinstance(paragraph.parent, nodes.system_message)
        and (text := words(paragraph).strip())
    ]


def outside_code(text: str, change: Any, *, mask: bool = False, roles: bool = False) -> str:
    """``change`` applied to the text outside code (fenced blocks, code spans and roles'
    content, unless ``roles``); with ``mask``, code is blanked out instead of kept."""
    span = (
        r"((?<![`}])(`+)(?!`).+?(?<!`)\2(?!`))" if roles else r"((?<!`)(`+)(?!`).+?(?<!`)\2(?!`))"
    )

    def code(part: str) -> str:
        return re.sub(r"[^\n]", "\0", part) if mask else part

    lines = text.split("\n")
    in_code = code_lines(lines)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            part = "\n".join(run)
            pieces = re.split(span, part, flags=re.S)
            # re.split with two groups gives [text, span, ticks, text, …]
            out.append(
                "".join(
                    change(p) if n % 3 == 0 else code(p) for n, p in enumerate(pieces) if n % 3 != 2
                )
            )
            run.clear()

    for line, is_code in zip(lines, in_code, strict=True):
        if is_code:
            flush()
            out.append(code(line))
        else:
            run.append(line)
    flush()
    return "\n".join(out)


FENCE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>[^\n]*)$")


def code_lines(lines: list[str]) -> list[bool]:
    """Which lines are code or fences (left as they are); a directive's fence (``{name}``)
    or a fenced div holds Markdown, not code."""
    code = [False] * len(lines)
    stack: list[tuple[str, bool]] = []  # (fence, is code)
    for index, line in enumerate(lines):
        match = FENCE.match(line)
        if match and stack and not match["info"].strip():
            fence = stack[-1][0]
            if match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence):
                stack.pop()
                code[index] = True  # a fence is syntax: never changed
                continue
        if stack and stack[-1][1]:
            code[index] = True
        elif match and (match["fence"][0] != ":" or match["info"].strip()):
            is_code = match["fence"][0] != ":" and not match["info"].strip().startswith("{")
            stack.append((match["fence"], is_code))
            code[index] = True
    return code


class Found:
    """A match found in masked text, read from the original (the same length)."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match, self._text = match, text

    def group(self, group: int | str = 0) -> str:
        start, end = self._match.span(group)
        return self._text[start:end] if start >= 0 else None  # type: ignore[return-value]

    def start(self) -> int:
        return self._match.start()


def blank_code(text: str, roles: bool = False) -> str:
    """``text`` with its code (fenced blocks, code spans; roles' content unless ``roles``)
    blanked out, character for character."""
    if not roles:
        return outside_code(text, lambda part: part, mask=True)
    # A role's backticks are no code span's: hidden while code is found, so that the text
    # between two roles on a line ("` and {eq}`") is not taken for one.
    hidden = ROLE.sub(lambda match: match.group(0).replace("`", "\x01"), text)
    masked = outside_code(hidden, lambda part: part, mask=True, roles=True)
    return masked.replace("\x01", "`")


def substitute(pattern: re.Pattern[str], text: str, change: Any) -> str:
    """``pattern.sub(change, text)`` for matches outside code only."""
    masked, out, position = blank_code(text, roles=pattern is ROLE), [], 0
    for match in pattern.finditer(masked):
        out += [text[position : match.start()], change(Found(match, text))]
        position = match.end()
    return "".join([*out, text[position:]])


def html_escape(text: str) -> str:
    """Markdown for text that must print as written."""
    return re.sub(r"([\\`*_{}\[\]<>#!|~^$])", r"\\\1", text)


def lexes(language: str, code: str) -> bool:
    """Whether Pygments highlights ``code`` as ``language`` without an error (the build
    warns otherwise, and a warning fails it)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return False
    lexer.add_filter("raiseonerror")
    try:
        for _token in lexer.get_tokens(code):
            pass
    except Exception:
        return False
    return True
