"""The Markdown reader: ``#`` headings make chapters, the rest carried so chapters build as is."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token
from myst_parser.slugs import github_slugify, unique_slug

from classbook.sources.bookconfig import macros_near
from classbook.sources.document import Block, Document, Section, SourceError, decode_text
from classbook.sources.mddirectives import (
    CODE_CELLS,
    code_cells,
    empty_notes_as_rubrics,
    unknown_directive,
)
from classbook.sources.mdinline import (
    Context,
    Piece,
    convert_html,
    fit_directive_images,
    fit_images,
    fit_links,
    fit_references,
    fit_roles,
    plain_code,
    reference_title,
)
from classbook.sources.mdmath import equation_labels, spaced_dollars
from classbook.sources.myst import (
    ATTRIBUTES,
    MARKDOWN_DIRECTIVES,
    VERBATIM_DIRECTIVES,
    inline_text,
    parser,
    split_directive,
    units,
)

_MDBOOK_INCLUDE = re.compile(r"\{\{#(?:rustdoc_)?include[^}]*\}\}")


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


def _nested(context: Context, text: str, line: int = 0) -> list[Token]:
    """Every token of ``text``, those of its directives' and divs' Markdown included. A
    fence the text never closes (the end of the file or of a block closes it) is refused
    when ``line`` (the text's first line in the document) is given."""
    found: list[Token] = []
    lines = text.split("\n")
    for token in parser().parse(text, {"references": dict(context.references)}):
        found += _all([token])
        if token.type not in {"fence", "colon_fence"}:
            continue
        first, last = token.map or (0, 0)
        closing = lines[last - 1].strip() if last else ""
        fence = token.markup
        if line and (last - first < 2 or not closing.startswith(fence) or closing.strip(fence[0])):
            raise SourceError(
                context.path,
                f"the fence {fence!r} opened here is never closed (its block runs to the end "
                f"of the file or of the block around it): add a line {fence!r} where it ends",
                line + first,
            )
        info = token.info.strip()
        name, content = split_directive(info, token.content)
        if (token.type == "colon_fence" and not info.startswith("{")) or (
            name and name not in VERBATIM_DIRECTIVES
        ):
            found += _nested(context, content, line and line + first + 1)
    return found


def _rewrite(context: Context, tokens: list[Token], start: int) -> Piece:
    """A top-level block (from tokens[start]) as a chapter writes it."""
    token = tokens[start]
    first, last = token.map or (0, 0)
    line = first + context.first_line
    text = "\n".join(context.lines[first:last]).strip("\n")
    if token.type == "hr":
        return Piece("---", line, "rule")
    if token.type == "colon_fence" and token.info.strip() in {"instructor", "{instructor}"}:
        return Piece(split_directive("", token.content)[1].strip("\n"), line, "teacher")
    if token.type == "colon_fence" and token.info.strip() == "classbook-note":  # the Word reader's
        return Piece(f":::{{note}}\n{token.content.strip()}\n:::", line, "note")
    targets: list[str] = []
    if token.type == "html_block":
        text, targets = convert_html(context, text, line, block=True, table=False)
        if not text.strip():
            kind = "rule" if "<hr" in token.content.lower() else "empty"
            return Piece("", line, kind, targets=targets)
    elif any(t.type in {"html_inline", "html_block"} for t in _nested(context, text, line)):
        text, targets = convert_html(
            context, text, line, block=False, table=token.type == "table_open"
        )
    for name in {split_directive(t.info.strip(), "")[0] for t in _nested(context, text) if t.info}:
        if name in CODE_CELLS:
            text = code_cells(context, text, name, line)
        elif name and name not in MARKDOWN_DIRECTIVES | VERBATIM_DIRECTIVES:
            text = unknown_directive(context, text, name, line)
    if _MDBOOK_INCLUDE.search(text):
        context.note(
            line,
            "an mdBook {{#include …}} is kept as written: the file it names is not part of "
            "the document",
        )
    text = re.sub(r"(\]\([^)\n]*\))\{[.#][^}\n]*\}", r"\1", text)  # {.internal-link} after links
    return _finish(context, Piece(text, line, targets=targets))


def _finish(context: Context, piece: Piece) -> Piece:
    """Images, links and roles of a block made fit for a chapter; the footnotes it cites."""
    plain_code(context, piece)
    fit_directive_images(context, piece)
    tokens = _nested(context, piece.markdown)
    sources = Counter(str(t.attrGet("src")) for t in tokens if t.type == "image")
    hrefs = Counter(str(t.attrGet("href")) for t in tokens if t.type == "link_open")
    piece.markdown, left_out = fit_images(context, piece.markdown, piece.line, sources)
    piece.notes += left_out
    piece.markdown = empty_notes_as_rubrics(piece.markdown)
    piece.markdown = fit_links(context, piece.markdown, piece.line, hrefs)
    roles = {str(t.meta.get("name")) for t in tokens if t.type == "myst_role"}
    piece.markdown = fit_roles(context, piece.markdown, piece.line, roles)
    piece.footnotes = [str(t.meta["label"]) for t in tokens if t.type == "footnote_ref"]
    return piece


def _all(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        found.extend(_all(token.children or []))
    return found


def _anchors(tokens: list[Token]) -> tuple[dict[str, str], dict[int, list[str]]]:
    """Every name a link may give a heading (GitHub's slug, a ``{#id}``, an ``<a id>``) with
    the label new-book writes for it; and the names of each heading, by its token."""
    names: dict[int, list[str]] = {}
    slugs: set[str] = set()
    anchors: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            content = tokens[index + 1].content
            own = []
            if found := re.search(r"\{\s*#([\w:.-]+)[^}]*\}\s*$", content):
                own.append(found.group(1))
            slug = unique_slug(github_slugify(_heading_title(tokens[index + 1])), slugs)
            slugs.add(slug)
            names[index] = [*own, slug]
            anchors += names[index]
        if token.type in {"html_block", "inline"}:
            pattern = r"<a\s[^>]*\b(?:id|name)\s*=\s*[\"']?([^\"'\s>]+)"
            anchors += [m.group(1) for m in re.finditer(pattern, token.content, re.I)]
    return {name: f"sec-{github_slugify(name) or 'anchor'}" for name in anchors}, names


def _heading_title(inline: Token) -> str:
    """A heading's plain text, without a trailing ``{#id .class}``."""
    return (
        ATTRIBUTES.sub("", inline_text(inline)).strip()
        if inline_text(inline).endswith("}")
        else inline_text(inline)
    )


def _pieces(context: Context, tokens: list[Token]) -> list[Piece]:
    """Every top-level block in order; footnote definitions are kept aside by label."""
    ranges: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0:
            ranges.append((index, index))
        if token.level == 0 and token.nesting <= 0:
            ranges[-1] = (ranges[-1][0], index + 1)
    pieces = []
    for start, _end in ranges:
        token = tokens[start]
        if token.type == "heading_open":
            pieces.append(_heading(context, tokens, start))
        elif token.type == "footnote_reference_open":
            first, last = token.map or (0, 0)
            text = "\n".join(context.lines[first:last]).strip("\n")
            piece = _finish(context, Piece(text, first + context.first_line, "footnote"))
            piece.heading = str(token.meta["label"])
            pieces.append(piece)
        elif token.map is not None and token.type != "front_matter":
            pieces.append(_rewrite(context, tokens, start))
    return pieces


def _heading(context: Context, tokens: list[Token], start: int) -> Piece:
    token, inline = tokens[start], tokens[start + 1]
    line = (token.map or (0, 0))[0] + context.first_line
    content = inline.content
    if content.rstrip().endswith("}"):
        content = ATTRIBUTES.sub("", content).strip()
    targets = list(context.heading_names.get(start, []))
    if "<" in content:
        content, more = convert_html(context, content, line, block=False, table=False)
        targets += more
    tokens = _all(parser().parseInline(content, {"references": dict(context.references)}))
    hrefs = Counter(str(t.attrGet("href")) for t in tokens if t.type == "link_open")
    content = fit_links(context, content, line, hrefs)
    content = fit_roles(
        context, content, line, {str(t.meta.get("name")) for t in tokens if t.type == "myst_role"}
    )
    title = inline_text(parser().parseInline(content, {"references": context.references})[0])
    piece = Piece(content, line, "heading", int(token.tag[1]), targets=targets, heading=title)
    piece.footnotes = [str(t.meta["label"]) for t in _all([inline]) if t.type == "footnote_ref"]
    return piece


_BLOCK_OPEN = re.compile(r"^(\s*)///\s*([A-Za-z][\w-]*)(?:\s*\|\s*(.*?))?\s*$")


_BLOCK_CLOSE = re.compile(r"^(\s*)///\s*$")


ADMONITIONS = frozenset(
    {"note", "warning", "tip", "hint", "important", "caution", "danger", "error", "attention"}
)


def _admonition_blocks(lines: list[str]) -> tuple[list[str], list[int]]:
    """Python-Markdown's ``/// note | Title`` … ``///`` blocks as MyST admonitions, line for
    line (so every line keeps its number); the lines where one opens."""
    out, opened, depth = [], [], 0
    for index, line in enumerate(lines):
        if match := _BLOCK_OPEN.match(line):
            indent, name, title = match.groups()
            if name in ADMONITIONS and not title:
                out.append(f"{indent}:::{{{name}}}")
            else:
                out.append(f"{indent}:::{{admonition}} {title or name.title()}")
            opened.append(index)
            depth += 1
        elif depth and (match := _BLOCK_CLOSE.match(line)):
            out.append(f"{match.group(1)}:::")
            depth -= 1
        else:
            out.append(line)
    return out, opened


def parse_markdown(
    path: Path, text: str, *, first_line: int = 1, images_from: Path | None = None
) -> Document:
    """Split Markdown into sections at its top heading level, each block rewritten so the
    chapter builds as it is (raw HTML converted, links and images carried or reported)."""
    lines, blocks = _admonition_blocks(re.split(r"\r\n|\r|\n", text))
    text = "\n".join(lines)
    env: dict[str, Any] = {}
    tokens = parser().parse(text, env)
    for token in tokens:  # mdit's amsmath block ends a line short of its \end{…}
        if token.type == "amsmath" and token.map:
            token.map = [token.map[0], token.map[0] + token.content.count("\n") + 1]
    meta: dict[str, Any] = {}
    if tokens and tokens[0].type == "front_matter":
        meta = _front_matter(path, tokens[0])
    anchors, names = _anchors(tokens)
    context = Context(path, lines, first_line, env.get("references", {}), anchors, images_from)
    context.heading_names = names
    context.known = {t.content for t in tokens if t.type == "myst_target"} | set(anchors.values())
    context.equations = equation_labels(_nested(context, text))  # those in directives too
    fit_references(context)
    if "$" in text:
        spaced_dollars(context, text, tokens)
    for line in blocks:
        context.note(
            line + first_line, "a /// admonition block (Python-Markdown) written as a MyST note"
        )
    pieces = _pieces(context, tokens)
    sections = _sections(context, pieces)
    _report(context)
    macros, config = macros_near(path)
    if config is not None:
        context.note(
            0,
            f"{len(macros)} TeX command(s) of the book's configuration ({config}) written into "
            "conf.py (classbook_math_macros): its formulas use them",
        )
    title = str(meta.get("title") or next((s.heading for s in sections if s.heading), ""))
    author = meta.get("author") or ""
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    return Document(
        path,
        "markdown",
        tuple(sections),
        title=title,
        author=str(author),
        notes=tuple(context.notes),
        images=tuple(context.images),
        macros=macros,
    )


def _report(context: Context) -> None:
    if context.rewritten:
        context.note(
            context.first_line - 1,
            f"{context.rewritten} link(s) to the document's own headings or anchors written as "
            "cross-references to labels new-book wrote",
        )
    for name, count in sorted(
        context.converted.items(), key=lambda item: context.first_seen[item[0]]
    ):
        what = {
            "img": "an image",
            "a": "a link or anchor",
            "br": "a line break",
            "kbd": "{kbd}",
        }.get(name, "")
        context.note(
            context.first_seen[name],
            f"raw HTML <{name}> ×{count} converted"
            + (f" to {what}" if what else " (its text kept)"),
        )


def _sections(context: Context, pieces: list[Piece]) -> list[Section]:
    """Sections at the top heading level; each section's blocks, with the footnotes and link
    definitions its text needs."""
    levels = sorted({p.level for p in pieces if p.kind == "heading"})
    rank = {level: number for number, level in enumerate(levels, start=1)}
    footnotes = {p.heading: p for p in pieces if p.kind == "footnote"}
    cited = {label for p in pieces for label in p.footnotes}
    for label, piece in footnotes.items():
        if label not in cited:
            context.note(piece.line, f"footnote [^{label}] is cited nowhere in the text: left out")
    groups: list[list[Piece]] = [[]]
    for piece in pieces:
        if piece.kind == "heading" and rank[piece.level] == 1:
            groups.append([])
        if piece.kind != "footnote":
            groups[-1].append(piece)
    sections = []
    for group in groups:
        if group:
            sections.append(_section(context, group, rank, footnotes))
    return sections


def _section(
    context: Context, group: list[Piece], rank: dict[int, int], footnotes: dict[str, Piece]
) -> Section:
    heading = group[0] if group[0].kind == "heading" and rank[group[0].level] == 1 else None
    blocks: list[Block] = []
    run: list[Piece] = []
    placed: set[str] = set()
    # A note cited in a heading is defined in the text that follows it.
    cited = list(heading.footnotes) if heading else []

    def flush() -> None:
        if not run:
            return
        parts = []
        for piece in run:
            labels = [f"({label})=" for label in _labels(context, piece.targets)]
            parts.append("\n".join([*labels, piece.markdown]))
            for label in [*cited, *piece.footnotes]:
                if label not in placed and label in footnotes:
                    placed.add(label)
                    parts.append(footnotes[label].markdown)
        cited.clear()
        markdown = "\n\n".join(p for p in parts if p.strip())
        blocks.append(Block(markdown, run[0].line, 0, units(markdown, context.references)))
        for piece in run:
            if piece.notes:
                blocks.append(Block(_left_out_note(piece.notes), piece.line, kind="note"))
        run.clear()

    for piece in group[1:] if heading else group:
        if piece.kind == "heading":
            flush()
            cited.extend(piece.footnotes)
            targets = _labels(context, piece.targets)
            blocks.append(
                Block(
                    f"{'#' * rank[piece.level]} {piece.markdown}",
                    piece.line,
                    rank[piece.level],
                    (_heading_unit(context, piece),),
                    targets=targets,
                )
            )
        elif piece.kind in {"rule", "teacher", "note"}:
            flush()
            blocks.append(Block(piece.markdown, piece.line, kind=piece.kind))
        elif piece.kind == "source" and piece.markdown.strip():
            run.append(piece)
        elif piece.notes:  # a block that held only images left out: their note
            flush()
            blocks.append(Block(_left_out_note(piece.notes), piece.line, kind="note"))
    flush()
    if definitions := _definitions(context, blocks):
        blocks.append(Block(definitions, blocks[-1].line, kind="definitions"))
    if heading is None:
        return Section("", context.first_line, None, tuple(blocks))
    targets = _labels(context, heading.targets)
    return Section(
        heading.heading,
        heading.line,
        None,
        tuple(blocks),
        markdown=heading.markdown,
        targets=targets,
        unit=_heading_unit(context, heading),
    )


def _heading_unit(context: Context, heading: Piece) -> str:
    """A heading as a text unit: its words, its formulas marked as a paragraph's are (what
    `make verify` compares as one formula: "$abc$-formelen" is a formula and "-formelen")."""
    inline = parser().parseInline(heading.markdown, {"references": dict(context.references)})
    return inline_text(inline[0], formulas=True) or heading.heading


def _definitions(context: Context, blocks: list[Block]) -> str:
    """The link definitions a chapter's text uses, written once at its end (outside its
    source-text blocks, where MyST reads them for every block of the chapter)."""
    text = "\n".join(block.markdown for block in blocks)
    used = {normalizeReference(label) for label in re.findall(r"\[((?:[^\[\]\\]|\\.)+)\]", text)}
    lines = []
    for label in sorted(used & set(context.references)):
        reference = context.references[label]
        title = f' "{reference_title(reference)}"' if reference.get("title") else ""
        lines.append(f"[{label}]: <{reference['href']}>{title}")
    return "\n".join(lines)


def _labels(context: Context, anchors: list[str]) -> tuple[str, ...]:
    """The labels to write for these anchors, each once."""
    return tuple(dict.fromkeys(label for a in anchors if (label := _label(context, a))))


def _label(context: Context, anchor: str) -> str:
    """The label written for an anchor, if a link of the document needs it."""
    label = context.anchors.get(anchor, "")
    return label if label in context.labels else ""


def _left_out_note(images: list[str]) -> str:
    listed = "; ".join(images)
    return (
        ":::{note}\n"
        f"An image of the source is not in this draft: {listed}. Download it if its licence "
        "allows, put it in book/media/, and show it here with "
        "`![what it shows](../media/its-file.png)`.\n:::"
    )


def read(path: Path, data: bytes) -> Document:
    """Read a UTF-8 Markdown document; its front matter may give title and author."""
    return parse_markdown(path, decode_text(path, data), images_from=path.parent)
