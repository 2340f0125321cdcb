"""The Markdown reader: ``#`` headings make chapters, deeper ones sections inside them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from classbook.sources.document import Block, Document, Section, SourceError, decode_text

#: The MyST syntax chapters are written in (conf.py's myst_enable_extensions for new books).
MYST_EXTENSIONS = frozenset({"colon_fence", "deflist"})


def inline_text(token: Token) -> str:
    """The plain text of an inline token: what a reader sees, markup left out."""
    parts = []
    for child in token.children or ():
        if child.type in {"text", "code_inline", "math_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
    return "".join(parts).strip()


def _units(tokens: list[Token]) -> tuple[str, ...]:
    # Paragraphs (in lists and quotes too) and table cells hold a reader's text.
    units = []
    for index, token in enumerate(tokens):
        heading = index and tokens[index - 1].type == "heading_open"
        if token.type == "inline" and not heading and (text := inline_text(token)):
            units.append(text)
    return tuple(units)


def _front_matter(path: Path, token: Token) -> dict[str, Any]:
    try:
        data = yaml.safe_load(token.content) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1  # after the opening ---
        raise SourceError(path, f"front matter is not valid YAML: {error}", line) from None
    if not isinstance(data, dict):
        raise SourceError(path, "front matter must be a mapping (title: …, author: …)", 2)
    return data


def parse_markdown(path: Path, text: str, *, first_line: int = 1) -> Document:
    """Split Markdown into sections at its top heading level, keeping each block's source."""
    parser = create_md_parser(MdParserConfig(enable_extensions=MYST_EXTENSIONS), RendererHTML)
    tokens = parser.parse(text, {})
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    if tokens and tokens[0].type == "front_matter":
        meta = _front_matter(path, tokens[0])
        tokens = tokens[1:]
    # Top-level blocks: [start, end) token ranges with their source lines.
    blocks: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0:
            blocks.append((index, index))
        if token.level == 0 and token.nesting <= 0:
            blocks[-1] = (blocks[-1][0], index + 1)
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open" and not t.level})
    rank = {level: number for number, level in enumerate(levels, start=1)}

    sections: list[Section] = []
    heading, heading_line, content = "", first_line, []
    text_run: list[tuple[int, int]] = []

    def flush_text() -> None:
        if text_run:
            start = tokens[text_run[0][0]].map[0]  # type: ignore[index]
            end = max(tokens[i].map[1] for i, _ in text_run if tokens[i].map)  # type: ignore[index]
            span = tokens[text_run[0][0] : text_run[-1][1]]
            markdown = "\n".join(lines[start:end]).strip("\n")
            content.append(Block(markdown, start + first_line, 0, _units(span)))
            text_run.clear()

    def close() -> None:
        flush_text()
        if heading or content:
            sections.append(Section(heading, heading_line, None, tuple(content)))

    for start, end in blocks:
        token = tokens[start]
        if token.type == "heading_open":
            title = tokens[start + 1].content.strip()
            line = token.map[0] + first_line if token.map else first_line
            if rank[int(token.tag[1])] == 1:
                close()
                heading, heading_line, content = inline_text(tokens[start + 1]), line, []
            else:
                flush_text()
                depth = rank[int(token.tag[1])]
                heading_text = (inline_text(tokens[start + 1]),)
                content.append(Block(f"{'#' * depth} {title}", line, depth, heading_text))
        elif token.map is not None:
            text_run.append((start, end))
    close()
    title = str(meta.get("title") or next((s.heading for s in sections if s.heading), ""))
    author = meta.get("author") or ""
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    return Document(path, "markdown", tuple(sections), title=title, author=str(author))


def read(path: Path, data: bytes) -> Document:
    """Read a UTF-8 Markdown document; its front matter may give title and author."""
    return parse_markdown(path, decode_text(path, data))
