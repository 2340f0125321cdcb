"""The document's own text units, counted without the converter, and which a book lost."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from classbook.sources.document import decode_text
from classbook.sources.myst import FORMULA

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


def _markdown(text: str) -> list[Unit]:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    units = []
    # Front matter is the document's settings, not its text (new-book reads it as such);
    # its lines are blanked, so the lines after it keep their numbers.
    if front := re.match(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", text, re.S):
        text = "\n" * front.group(0).count("\n") + text[front.end() :]
    tokens = parser.parse(text)
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
            units.append(Unit(kind, words, f"line {line}"))
        elif token.type in {"fence", "code_block"} and token.content.strip():
            units.append(Unit("code", token.content, f"line {line}"))
        elif token.type == "html_block" and (words := _html_words(token.content)):
            units.append(Unit("paragraph", words, f"line {line}"))
    return units


def _inline_words(token: object) -> str:
    parts: list[str] = []
    for child in getattr(token, "children", None) or ():
        if child.type == "code_inline" and parts and (role := _ROLE_NAME.search(parts[-1])):
            parts[-1] = parts[-1][: role.start()]  # {eq}`x`: a role, its text is x
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
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
