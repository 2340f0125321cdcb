"""The document's own text units, counted without the converter, and which a book lost."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from classbook.sources.document import decode_text
from classbook.sources.myst import DOLLAR_RULES, FORMULA, VERBATIM_DIRECTIVES, options_end

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
OMML = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"

#: Kinds of unit a book leaves out on purpose, and why (new-book reports them so).
LEFT_OUT = {
    "comment": "a comment: in the teacher edition only",
    "header": "a page header: not book text",
    "footer": "a page footer: not book text",
    "contents": "an entry of Word's table of contents: the book has its own",
}


@dataclass(frozen=True)
class Unit:
    """One unit of a document's text: a paragraph, heading, list item, table cell, caption,
    note or comment, as the document itself holds it."""

    kind: str  # "paragraph", "heading", "list item", "table cell", "caption", "text box",
    # "footnote", "endnote", "comment", "header", "footer", "contents", "code", "line"
    text: str
    place: str  # "line 12", "paragraph 7 ('First words…')", "footnote 2"


@dataclass(frozen=True)
class Finding:
    """A unit the book does not hold as the document has it."""

    unit: Unit
    status: str  # "missing" (none of it), "altered" (some of its words), "left out" (LEFT_OUT)


def fold(text: str) -> str:
    """Text as compared: compatibility forms, whitespace and soft hyphens folded."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return " ".join(text.split())


def document_units(path: Path | str) -> list[Unit]:
    """Every text unit of the document at ``path``, read without the converter: Word and
    ODT from their XML, Markdown as markdown-it sees its blocks, plain text by its lines."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx(path)
    if suffix == ".odt":
        return _odt(path)
    text = decode_text(path, path.read_bytes())
    return _markdown(text) if suffix == ".md" else _text(text)


# -- Word (.docx) ---------------------------------------------------------------------------


def _docx(path: Path) -> list[Unit]:
    units: list[Unit] = []
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for name, kind in [
            ("word/document.xml", "paragraph"),
            ("word/footnotes.xml", "footnote"),
            ("word/endnotes.xml", "endnote"),
            ("word/comments.xml", "comment"),
            *sorted((n, "header") for n in names if re.fullmatch(r"word/header\d*\.xml", n)),
            *sorted((n, "footer") for n in names if re.fullmatch(r"word/footer\d*\.xml", n)),
        ]:
            if name in names:
                units += _docx_part(ElementTree.fromstring(archive.read(name)), kind)
    return units


def _docx_part(root: ElementTree.Element, part: str) -> list[Unit]:
    units: list[Unit] = []
    number = 0

    def walk(element: ElementTree.Element, within: tuple[str, ...]) -> None:
        nonlocal number
        for child in element:
            tag = child.tag
            if tag == f"{MC}Fallback" or (
                tag in {f"{W}footnote", f"{W}endnote"}
                and child.get(f"{W}type") in {"separator", "continuationSeparator"}
            ):
                continue  # a text box's copy for old readers; a note separator
            if tag == f"{W}p":
                text = _docx_text(child).strip()
                if text.strip():
                    number += 1
                    kind = _docx_kind(child, part, within)
                    place = f"{'paragraph' if part == 'paragraph' else part} {number}"
                    units.append(Unit(kind, text, f"{place} ({fold(text)[:40]!r})"))
            walk(child, (*within, tag))

    walk(root, ())
    return units


def _docx_text(paragraph: ElementTree.Element) -> str:
    """A paragraph's own text (its text boxes' paragraphs are units of their own)."""
    parts: list[str] = []

    def walk(element: ElementTree.Element) -> None:
        for child in element:
            tag = child.tag
            if tag in {f"{W}txbxContent", f"{MC}Fallback", f"{W}p", f"{W}footnoteReference"}:
                continue
            if tag in {f"{W}delText", f"{W}instrText"}:
                continue  # deleted text, a field's code
            if tag == f"{OMML}oMath":  # a formula: the book's is TeX, compared as one
                parts.append(f" {FORMULA} ")
                continue
            if tag == f"{W}t":
                parts.append(child.text or "")
            elif tag in {f"{W}tab", f"{W}br", f"{W}cr"}:
                parts.append(" ")
            elif tag == f"{W}noBreakHyphen":
                parts.append("-")
            walk(child)

    walk(paragraph)
    return "".join(parts)


#: A paragraph's kind by where it stands (inside a text box, a table cell) or its style.
_DOCX_PLACES = ((f"{W}txbxContent", "text box"), (f"{W}tc", "table cell"))
_DOCX_STYLES = (("heading", "heading"), ("title", "heading"), ("subtitle", "heading"))


def _docx_kind(paragraph: ElementTree.Element, part: str, within: tuple[str, ...]) -> str:
    if part != "paragraph":
        return part
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    name = (style.get(f"{W}val", "") if style is not None else "").lower()
    kind = "list item" if paragraph.find(f"{W}pPr/{W}numPr") is not None else "paragraph"
    if "caption" in name:
        kind = "caption"
    kind = next((k for prefix, k in _DOCX_STYLES if name.startswith(prefix)), kind)
    kind = next((k for tag, k in _DOCX_PLACES if tag in within), kind)
    return "contents" if name.startswith("toc") else kind


# -- OpenDocument (.odt) --------------------------------------------------------------------


def _odt(path: Path) -> list[Unit]:
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("content.xml"))
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    units: list[Unit] = []
    counters: dict[str, int] = {}

    def add(kind: str, text: str) -> None:
        if text.strip():
            counters[kind] = counters.get(kind, 0) + 1
            label = "paragraph" if kind not in {"footnote", "comment"} else kind
            number = (
                counters[kind]
                if label != "paragraph"
                else sum(v for k, v in counters.items() if k not in {"footnote", "comment"})
            )
            units.append(Unit(kind, text, f"{label} {number} ({fold(text)[:40]!r})"))

    def walk(element: ElementTree.Element, within: tuple[str, ...]) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{TEXT}tracked-changes":
                continue  # deleted text lives here
            if tag in {f"{TEXT}p", f"{TEXT}h"}:
                add(_odt_kind(tag, within), _odt_text(child))
            if tag == f"{TEXT}note":
                for paragraph in child.iter(f"{TEXT}p"):
                    add("footnote", _odt_text(paragraph))
                continue
            if tag == f"{OFFICE}annotation":
                add("comment", " ".join(_odt_text(p) for p in child.iter(f"{TEXT}p")))
                continue
            walk(child, (*within, tag))

    if body is not None:
        walk(body, ())
    return units


def _odt_kind(tag: str, within: tuple[str, ...]) -> str:
    if tag == f"{TEXT}h":
        return "heading"
    if f"{TEXT}table-of-content" in within:
        return "contents"
    if f"{DRAW}text-box" in within:
        return "text box"
    if f"{TABLE}table-cell" in within:
        return "table cell"
    if f"{TEXT}list-item" in within:
        return "list item"
    return "paragraph"


def _odt_text(paragraph: ElementTree.Element) -> str:
    """A paragraph's own text: its notes, comments and frames are units of their own."""
    parts: list[str] = [paragraph.text or ""]
    for child in paragraph:
        tag = child.tag
        if tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif tag in {f"{TEXT}tab", f"{TEXT}line-break"}:
            parts.append(" ")
        elif tag not in {f"{TEXT}note", f"{OFFICE}annotation", f"{DRAW}frame"}:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# -- Markdown and plain text ----------------------------------------------------------------


#: A MyST role's name just before its backquoted text (``{eq}`label```).
_ROLE_NAME = re.compile(r"\{[A-Za-z][\w:+-]*\}$")


#: A MyST directive's or a fenced div's opening line: the fence, the name ({name} or a word).
_OPENING = re.compile(r"^[ \t>]*(`{3,}|:{3,})[ \t]*(?:\{([^}\s]+)\}|([A-Za-z][\w-]*))?.*$")
#: A code fence that is not a directive (```python): its lines are code, whatever they hold.
_CODE_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
#: Directives whose content is literal (code, a formula): with backticks, a code block.
_LITERAL = VERBATIM_DIRECTIVES | {"code-cell", "raw"}


def _without_directive_marks(text: str) -> str:
    """MyST's marks blanked, line numbers kept: each directive's and fenced div's opening
    line, options and closing fence, so the count reads an exercise's or a note's paragraphs
    as paragraphs (CommonMark reads them as one paragraph with the marks, or as code). A
    literal directive in backticks ({code-block}, {math}) stays a code block, as any code
    fence does. The directive's argument (a title, a label, a path) is not counted."""
    lines = text.split("\n")
    opened: list[str] = []  # the fences of the directives and divs being read
    code = ""  # the fence of the code block being read
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip().lstrip(">").strip()
        if code:
            if set(stripped) == {code[0]} and len(stripped) >= len(code):
                code = ""
            index += 1
            continue
        if formula := _display_formula(lines, index):
            # One formula, as Word's OMML: CommonMark would read TeX's \\ as an escape.
            lines[index : index + formula] = [FORMULA, *[""] * (formula - 1)]
            index += formula
            continue
        if opened and set(stripped) == {opened[-1][0]} and len(stripped) >= len(opened[-1]):
            opened.pop()  # the closing fence of the innermost directive
            lines[index] = ""
            index += 1
            continue
        if len(stripped) >= 3 and set(stripped) == {":"}:
            lines[index] = ""  # a colon line closing what we did not see open
            index += 1
            continue
        if opened and len(stripped) >= 3 and set(stripped) in ({"^"}, {"+"}):
            lines[index] = ""  # a card's header and footer marks (sphinx-design)
            index += 1
            continue
        opening = _OPENING.match(line)
        if opening and (opening.group(2) or opening.group(3) or opening.group(1)[0] == ":"):
            fence, name = opening.group(1), opening.group(2)
            if fence[0] == "`" and (name is None or name in _LITERAL):
                code = fence
                # A literal directive's options are its settings, not its code.
                index = _blank_options(lines, index + 1) if name else index + 1
                continue
            opened.append(fence)
            lines[index] = ""
            index = _blank_options(lines, index + 1)
            continue
        if _CODE_FENCE.match(line):
            code = _CODE_FENCE.match(line).group(1)  # type: ignore[union-attr]
        index += 1
    return "\n".join(lines)


def _display_formula(lines: list[str], index: int) -> int:
    """How many lines the display formula starting at ``index`` takes ($$ … $$, or an
    amsmath environment on lines of its own), or 0."""
    first = lines[index].strip()
    if first.startswith("$$"):
        if len(first) > 2 and re.search(r"\$\$(?:[ \t]*\([^)]*\))?$", first[2:]):
            return 1
        closing = r"\$\$(?:[ \t]*\([^)]*\))?$"
    elif environment := re.match(r"\\begin\{([A-Za-z]+\*?)\}", first):
        closing = re.escape(f"\\end{{{environment.group(1)}}}") + r"\s*$"
        if re.search(closing, first):
            return 1
    else:
        return 0
    for end in range(index + 1, len(lines)):
        if not lines[end].strip():
            return 0  # a blank line: not a formula's (CommonMark ends the paragraph)
        if re.search(closing, lines[end].strip()):
            return end - index + 1
    return 0


def _blank_options(lines: list[str], index: int) -> int:
    """Blank a directive's options from ``index`` (myst.options_end: a YAML block or :key:
    lines); where its content starts."""
    end = options_end(lines, index, len(lines))
    lines[index:end] = [""] * (end - index)
    return end


def _markdown(text: str) -> list[Unit]:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # A formula between dollars is TeX, as written: CommonMark alone reads its \, or \{ as
    # escapes. The book's dollar rules say what is one (prices stay text).
    parser = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(
            dollarmath_plugin,
            allow_space=DOLLAR_RULES["dmath_allow_space"],
            allow_digits=DOLLAR_RULES["dmath_allow_digits"],
        )
    )
    units = []
    # Front matter is the document's settings, not its text (new-book reads it as such);
    # its lines are blanked, so the lines after it keep their numbers.
    if front := re.match(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", text, re.S):
        text = "\n" * front.group(0).count("\n") + text[front.end() :]
    tokens = parser.parse(_without_directive_marks(text))
    kinds = {"heading_open": "heading", "th_open": "table cell", "td_open": "table cell"}
    parents: list[str] = []
    for token in tokens:
        if token.nesting == 1:
            parents.append(token.type)
        elif token.nesting == -1 and parents:
            parents.pop()
        line = (token.map or [0])[0] + 1
        if token.type == "inline" and (words := _inline_words(token)):
            kind = kinds.get(parents[-1] if parents else "", "paragraph")
            if kind == "paragraph" and "list_item_open" in parents:
                kind = "list item"
            # A display formula right under a sentence is a block of its own in MyST.
            for piece in re.split(f"({FORMULA})", words):
                if piece.strip():
                    units.append(Unit(kind, piece.strip(), f"line {line}"))
        elif token.type in {"fence", "code_block"} and token.content.strip():
            units.append(Unit("code", token.content, f"line {line}"))
        elif token.type == "html_block" and (words := _html_words(token.content)):
            units.append(Unit("paragraph", words, f"line {line}"))
    return units


def _inline_words(token: object) -> str:
    parts: list[str] = []
    for child in getattr(token, "children", None) or ():
        content = child.content
        if child.type == "code_inline" and parts and (role := _ROLE_NAME.search(parts[-1])):
            parts[-1] = parts[-1][: role.start()]  # {eq}`x`: a role, its text is x
            # {doc}`the text <target>`: what a reader sees is the text.
            content = re.sub(r"^(.*\S)\s*<[^<>]+>$", r"\1", content, flags=re.S)
        if child.type in {"text", "code_inline"}:
            parts.append(content)
        elif child.type in {"math_inline", "math_inline_double"}:
            parts.append(f"${child.content}$")
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "html_inline":
            parts.append("")  # a tag: not words
    return "".join(parts).strip()


def _html_words(html: str) -> str:
    import html as entities

    without = re.sub(r"<!--.*?-->|<[^>]+>", " ", html, flags=re.S)
    return " ".join(entities.unescape(without).split())


def _text(text: str) -> list[Unit]:
    """Runs of lines between blank lines, as written (a form feed is no line end)."""
    lines = re.split(r"\r\n|\r|\n", text)
    units: list[Unit] = []
    run: list[str] = []
    first = 0
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            if not run:
                first = number
            run.append(line.strip())
        elif run:
            units.append(
                Unit("line" if len(run) == 1 else "paragraph", " ".join(run), f"line {first}")
            )
            run = []
    return units


# -- What a book lost -----------------------------------------------------------------------


def compare(units: list[Unit], written: str) -> list[Finding]:
    """Each unit the written text does not hold (folded, in any order): missing when none of
    its words are there in a row, altered when only some are; a kind the book leaves out on
    purpose (comments, page headers) is "left out"."""
    text = fold(written)
    findings = []
    for unit in units:
        folded = fold(unit.text)
        if not folded or folded in text:
            continue
        if unit.kind in LEFT_OUT:
            findings.append(Finding(unit, "left out"))
            continue
        words = folded.split()
        head = " ".join(words[: max(3, len(words) // 3)])
        findings.append(Finding(unit, "altered" if head in text else "missing"))
    return findings
