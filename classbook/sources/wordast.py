"""Pandoc's reading of a Word file made fit for a chapter: notes, comments, tables, images."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classbook.sources.document import Note
from classbook.sources.mdinline import image_problem, link_problem

#: Where a document's images go, relative to its Markdown (the book copies them there).
MEDIA = "media"


#: Word's own table of contents: the book has its own (its page numbers are Word's).
TOC_STYLE = re.compile(r"^(toc \d|toc heading|table of figures)$", re.I)


#: Alt text that is a file's name or path, not a description (Word fills it in so).
PATH_ALT = re.compile(r"(^[A-Za-z]:\\|[\\/]|\.(png|jpe?g|gif|bmp|tiff?|emf|wmf|svg)$)", re.I)


#: Inline styles whose text is the text of their content.
STYLED = frozenset({"Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript"})


STYLED = STYLED | {"SmallCaps"}


#: A word that looks like an HTML entity: written so it stays text (&lt; is not "<").
ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def _text(inlines: list[dict[str, Any]]) -> str:
    """The plain text of pandoc inlines: what a reader sees, markup left out."""
    parts = []
    for item in inlines:
        kind = item["t"]
        content: Any = item.get("c")  # pandoc JSON: shaped by the kind
        if kind == "Str":
            parts.append(content)
        elif kind in {"Space", "SoftBreak"}:
            parts.append(" ")
        elif kind == "LineBreak":
            parts.append("\n")
        elif kind in {"Code", "Math"}:
            parts.append(content[1])
        elif kind in STYLED:
            parts.append(_text(content))
        elif kind in {"Span", "Link"}:
            parts.append(_text(content[1]))
        elif kind == "Quoted":
            single = content[0]["t"] == "SingleQuote"
            opening, closing = ("\u2018", "\u2019") if single else ("\u201c", "\u201d")
            parts.append(opening + _text(content[1]) + closing)
        elif kind == "Cite":
            parts.append(_text(content[1]))
    return "".join(parts)


def _blocks_text(blocks: list[dict[str, Any]]) -> str:
    texts = []
    for block in blocks:
        if block["t"] in {"Para", "Plain", "Header"}:
            texts.append(_text(block["c"][-1] if block["t"] == "Header" else block["c"]))
        elif block["t"] in {"Div", "BlockQuote"}:
            texts.append(_blocks_text(block["c"][-1] if block["t"] == "Div" else block["c"]))
    return " ".join(t for t in texts if t)


def _raw(markdown: str) -> dict[str, Any]:
    return {"t": "RawBlock", "c": ["markdown", markdown]}


def para(inlines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"t": "Para", "c": inlines}


def _str(text: str) -> list[dict[str, Any]]:
    words = text.split()
    out: list[dict[str, Any]] = []
    for word in words:
        out += [{"t": "Str", "c": word}, {"t": "Space"}]
    return out[:-1]


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#!|~^$])", r"\\\1", text)


@dataclass
class _Comment:
    author: str
    text: str
    place: str
    commented: list[str] = field(default_factory=list)


@dataclass
class Reading:
    """What reading the AST found besides its text: the report, and blocks to add."""

    path: Path
    media: Path
    alt: dict[str, str] = field(default_factory=dict)  # an ODT picture's description
    notes: list[Note] = field(default_factory=list)
    paragraph: int = 0
    first_words: str = ""
    open_comments: dict[str, _Comment] = field(default_factory=dict)
    after: list[dict[str, Any]] = field(default_factory=list)  # blocks after the current one
    tables: list[dict[str, Any]] = field(default_factory=list)  # written as reST grid tables
    tables_open: int = 0  # tables the current block is inside
    table_places: list[str] = field(default_factory=list)
    abstract: str = ""
    said: set[str] = field(default_factory=set)

    @property
    def place(self) -> str:
        return f"paragraph {self.paragraph} ({self.first_words!r})"

    def note(self, message: str, once: str = "") -> None:
        if once and once in self.said:
            return
        self.said.add(once)
        self.notes.append(Note(self.place, message))


def fit_blocks(reading: Reading, blocks: list[dict[str, Any]], top: bool = False) -> list[Any]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        out += _block(reading, block)
        if top and reading.after:
            out += reading.after
            reading.after = []
    return out


def _block(reading: Reading, block: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: PLR0911, PLR0912 - a kind each
    kind = block["t"]
    content: Any = block.get("c")  # pandoc JSON: shaped by the kind
    if kind in {"Para", "Plain"}:
        return _paragraph(reading, kind, content)
    if kind == "Header":
        level, (ident, classes, _attrs), inlines = content
        if "TOC-Heading" in classes:
            reading.note("Word's table of contents left out: the book has its own", once="toc")
            return []
        reading.paragraph += 1
        reading.first_words = _text(inlines)[:40]
        if any(i["t"] == "LineBreak" for i in inlines):
            # A heading is one line in Markdown: a break would end it and begin a paragraph.
            reading.note("a line break in a heading made a space", once="heading-break")
            inlines = [{"t": "Space"} if i["t"] == "LineBreak" else i for i in inlines]
        return [{"t": "Header", "c": [level, [ident, [], []], _inlines(reading, inlines)]}]
    if kind == "Div":
        (_ident, _classes, attrs), inner = content
        style = dict(attrs).get("custom-style", "")
        if TOC_STYLE.match(style):
            reading.note("Word's table of contents left out: the book has its own", once="toc")
            return []
        if style == "Abstract":  # Word's Abstract style: the book's description too
            reading.abstract = " ".join(filter(None, [reading.abstract, _blocks_text(inner)]))
        return fit_blocks(reading, inner)
    if kind == "BulletList":
        return [{"t": kind, "c": [fit_blocks(reading, item) for item in content]}]
    if kind == "OrderedList":
        start = content[0][0]
        numbering = [start, {"t": "Decimal"}, {"t": "Period"}]  # "a." and "i." are not Markdown
        return [{"t": kind, "c": [numbering, [fit_blocks(reading, item) for item in content[1]]]}]
    if kind == "DefinitionList":
        items = [
            [_inlines(reading, term), [fit_blocks(reading, d) for d in definitions]]
            for term, definitions in content
        ]
        return [{"t": kind, "c": items}]
    if kind == "BlockQuote":
        return [{"t": kind, "c": fit_blocks(reading, content)}]
    if kind == "Table":
        return _table(reading, content)
    if kind == "Figure":  # the image, then its caption: paragraphs of their own
        _attr, (_short, caption), inner = content
        made = fit_blocks(reading, inner) + fit_blocks(reading, caption)
        return [{**b, "t": "Para"} if b["t"] == "Plain" else b for b in made]
    if kind == "CodeBlock":
        (_ident, classes, _attrs), code = content
        return [{"t": kind, "c": [["", classes[:1], []], code]}]
    if kind in {"RawBlock"}:
        reading.note(f"raw {content[0]} left out", once=f"raw-{content[0]}")
        return []
    return [block]


def _words(inlines: list[dict[str, Any]]) -> str:
    """A paragraph's own words: its comments' and deletions' left out."""
    kept = []
    for item in inlines:
        if item["t"] == "Span" and {"comment-start", "deletion"} & set(item["c"][0][1]):
            continue
        if item["t"] == "Span":
            kept.append({"t": "Str", "c": _words(item["c"][1])})
        else:
            kept.append(item)
    return _text(kept)


def _paragraph(reading: Reading, kind: str, inlines: list[dict[str, Any]]) -> list[Any]:
    text = " ".join(_words(inlines).split())
    if text:
        reading.paragraph += 1
        reading.first_words = text[:40]
    inlines = _inlines(reading, inlines)
    while inlines and inlines[-1]["t"] in {"LineBreak", "Space", "SoftBreak"}:
        inlines.pop()  # a line break that ends a paragraph is no break
    if inlines and inlines[0]["t"] == "Str" and _FENCE.match(inlines[0]["c"]):
        # The writer's own ":::" or "~~~" is text, not a MyST fence: its first mark escaped.
        first = inlines[0]["c"]
        escaped = {"t": "RawInline", "c": ["markdown", "\\" + first[0]]}
        inlines[:1] = [escaped, {"t": "Str", "c": first[1:]}]
    return [{"t": kind, "c": inlines}] if inlines else []


#: What opens a fence in MyST: a paragraph that begins so is escaped.
_FENCE = re.compile(r"[:`~]{3}")


def _simple(table: list[Any]) -> bool:
    """Whether a table is a pipe table's: one header row at most, no merged cells, one line
    of text per cell."""
    _attr, _caption, _specs, head, bodies, foot = table
    rows = list(head[1]) + [r for body in bodies for r in body[2] + body[3]] + list(foot[1])
    for row in rows:
        for _cell_attr, _align, rowspan, colspan, blocks in row[1]:
            if rowspan != 1 or colspan != 1 or len(blocks) > 1:
                return False
            if blocks and (blocks[0]["t"] not in {"Plain", "Para"} or _has_break(blocks[0]["c"])):
                return False
    return len(head[1]) <= 1 and not foot[1] and all(not body[2] for body in bodies)


def _has_break(inlines: list[dict[str, Any]]) -> bool:
    return any(i["t"] == "LineBreak" for i in inlines)


def _table(reading: Reading, table: list[Any]) -> list[dict[str, Any]]:
    """A table: its caption as a paragraph above it; a pipe table when Markdown can hold it,
    else a reStructuredText grid table (every output can print its merged cells)."""
    attr, (_short, caption), specs, head, bodies, foot = table
    place = f"the table after {reading.place}"
    captions = fit_blocks(reading, caption)

    def cells(rows: list[Any]) -> list[Any]:
        return [
            [row[0], [[c[0], c[1], c[2], c[3], fit_blocks(reading, c[4])] for c in row[1]]]
            for row in rows
        ]

    reading.tables_open += 1
    head = [head[0], cells(head[1])]
    bodies = [[b[0], b[1], cells(b[2]), cells(b[3])] for b in bodies]
    foot = [foot[0], cells(foot[1])]
    reading.tables_open -= 1
    clean = [attr, [None, []], specs, head, bodies, foot]
    if _simple(clean) or reading.tables_open:  # a table in a cell goes with its table
        return [*captions, {"t": "Table", "c": clean}]
    images: list[dict[str, Any]] = []
    clean = _without_images(clean, images)
    if images:  # a grid table in an eval-rst block cannot show them: they follow it
        reading.note(f"{len(images)} image(s) of a table's cells shown after the table")
    reading.tables.append({"t": "Table", "c": clean})
    reading.table_places.append(place)
    reading.note(
        "a table with merged cells or several paragraphs in a cell: written as a grid table",
        once="grid",
    )
    placeholder = _raw(f"CLASSBOOK-TABLE-{len(reading.tables) - 1}")
    return [*captions, placeholder, *([para(images)] if images else [])]


def _without_images(value: Any, images: list[dict[str, Any]]) -> Any:
    """``value`` with its images taken out into ``images``."""
    if isinstance(value, list):
        kept = []
        for item in value:
            if isinstance(item, dict) and item.get("t") == "Image":
                images += [item, {"t": "Space"}] if images else [item]
            else:
                kept.append(_without_images(item, images))
        return kept
    if isinstance(value, dict):
        return {key: _without_images(item, images) for key, item in value.items()}
    return value


def _inlines(reading: Reading, inlines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in inlines:
        made = _inline(reading, item)
        for comment in reading.open_comments.values():
            comment.commented.append(_text(made))
        out += made
    return _trim(_closed_up(out))


def _closed_up(inlines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without the marks deletions leave; a space before one that punctuation follows goes
    too ("Followed by [deleted]." reads "Followed by.")."""
    out: list[dict[str, Any]] = []
    for index, item in enumerate(inlines):
        if item["t"] != "Deleted":
            out.append(item)
            continue
        following = next((i for i in inlines[index + 1 :] if i["t"] != "Deleted"), None)
        punctuation = following and following["t"] == "Str" and following["c"][:1] in ".,;:!?)"
        if (
            out
            and out[-1]["t"] == "Space"
            and (punctuation or (following or {}).get("t") == "Space")
        ):
            out.pop()
    return out


def _trim(inlines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Emphasis never starts or ends with a space or a line break (Markdown would not read
    it back)."""
    out: list[dict[str, Any]] = []
    for item in inlines:
        if item["t"] in {"Emph", "Strong"}:
            inner = list(item["c"])
            before: list[Any] = []
            while inner and inner[0]["t"] in {"Space", "SoftBreak", "LineBreak"}:
                before.append(inner.pop(0))
            after: list[Any] = []
            while inner and inner[-1]["t"] in {"Space", "SoftBreak", "LineBreak"}:
                after.insert(0, inner.pop())
            out += before + ([{"t": item["t"], "c": inner}] if _text(inner).strip() else inner)
            out += after
        else:
            out.append(item)
    return out


def _inline(reading: Reading, item: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: PLR0911, PLR0912
    kind = item["t"]
    content: Any = item.get("c")  # pandoc JSON: shaped by the kind
    if kind == "Str":
        parts = ENTITY.split(content)
        if len(parts) == 1:
            return [item]
        out: list[dict[str, Any]] = []
        for index, part in enumerate(parts):
            if index:
                out.append({"t": "RawInline", "c": ["markdown", "\\&"]})
            if part:
                out.append({"t": "Str", "c": part})
        return out
    if kind == "Span":
        return _span(reading, content)
    if kind in {"Emph", "Strong", "Quoted"}:
        if kind == "Quoted":
            return [{"t": kind, "c": [content[0], _inlines(reading, content[1])]}]
        return [{"t": kind, "c": _inlines(reading, content)}]
    if kind in {"Strikeout", "Underline", "SmallCaps"}:
        if kind == "Strikeout":
            reading.note("struck-through text kept, without the strike", once="strike")
        return _inlines(reading, content)
    if kind in {"Superscript", "Subscript"}:
        inner = _inlines(reading, content)
        text = _text(inner)
        role = "sup" if kind == "Superscript" else "sub"
        if text and all(i["t"] in {"Str", "Space"} for i in inner) and "`" not in text:
            return [{"t": "RawInline", "c": ["markdown", f"{{{role}}}`{text}`"]}]
        return inner
    if kind == "Link":
        _attr, inner, target = content
        inner = [i for i in _inlines(reading, inner) if i["t"] != "Link"]
        flat: list[dict[str, Any]] = []
        for part in inner:  # a link inside a link (Word's contents) is its text
            flat += part["c"][1] if part["t"] == "Link" else [part]
        if not _linkable(reading, str(target[0])):
            return flat
        return [{"t": "Link", "c": [["", [], []], flat, target]}] if _text(flat).strip() else flat
    if kind == "Image":
        return _image(reading, content)
    if kind == "Note":
        return [{"t": "Note", "c": fit_blocks(reading, content)}]
    if kind == "Cite":
        return _inlines(reading, content[1])
    if kind == "Code":
        return [{"t": "Code", "c": [["", [], []], content[1]]}]
    if kind == "RawInline":
        return []
    return [item]


def _linkable(reading: Reading, url: str) -> bool:
    """Whether a book can keep a link to ``url`` (a bookmark of the document, or an address
    it may link to); otherwise its text is kept, and said so, as for Markdown."""
    problem = None if url.startswith("#") else link_problem(url)
    if problem is not None:
        reading.note(problem)
    return problem is None


def _span(reading: Reading, content: list[Any]) -> list[dict[str, Any]]:
    (_ident, classes, attrs), inner = content
    attrs = dict(attrs)
    if "comment-start" in classes:
        words = [i for i in inner if not (i["t"] == "Span" and not i["c"][1])]
        reading.open_comments[attrs.get("id", "")] = _Comment(
            attrs.get("author", "someone"), _text(words).strip(), reading.place
        )
        return []
    if "comment-end" in classes:
        if (comment := reading.open_comments.pop(attrs.get("id", ""), None)) is not None:
            _comment(reading, comment)
        return []
    if "insertion" in classes:
        made = _inlines(reading, inner)
        reading.note(
            f"tracked insertion by {attrs.get('author', 'someone')} accepted: {_text(made)[:60]!r}"
        )
        return made
    if "deletion" in classes:
        who, removed = attrs.get("author", "someone"), _text(inner)[:60]
        reading.note(f"tracked deletion by {who} accepted (removed): {removed!r}")
        return [{"t": "Deleted"}]  # where the words were: see _inlines
    if {"paragraph-insertion", "paragraph-deletion"} & set(classes):
        return []
    return _inlines(reading, inner)


def _comment(reading: Reading, comment: _Comment) -> None:
    """A Word comment: reported, and kept for the teacher edition only (a teacher-only
    note after the block it is on)."""
    commented = " ".join("".join(comment.commented).split())
    reading.notes.append(
        Note(
            comment.place,
            f"comment by {comment.author} on {commented[:50]!r}: {comment.text[:80]!r} "
            "(kept in the teacher edition only)",
        )
    )
    said = f"**Comment by {_escape(comment.author)}** on \u201c{_escape(commented)}\u201d: "
    reading.after.append(_raw(f"::: instructor\n{said}{_escape(comment.text)}\n:::"))


def _image(reading: Reading, content: list[Any]) -> list[dict[str, Any]]:
    _attr, alt, (source, title) = content
    described = _text(alt).strip() or reading.alt.get(source.removeprefix(f"{MEDIA}/"), "")
    if PATH_ALT.search(described):
        reading.note(
            f"image {source}: its alt text is a file's name ({described[:40]!r}), not a "
            "description: left empty"
        )
        described = ""
    if (problem := image_problem(reading.media / source)) is not None:
        reading.note(f"image {source} left out: {problem} (save it as PNG or JPEG and add it)")
        text = f"An image of the source is not in this draft ({_escape(source)}: {problem})."
        reading.after.append(_raw(f"::: classbook-note\n{text}\n:::"))
        return []
    return [{"t": "Image", "c": [["", [], []], _str(described), [source, title]]}]


def meta_text(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    if value["t"] == "MetaList":
        return ", ".join(filter(None, (meta_text(v) for v in value["c"])))
    if value["t"] == "MetaInlines":
        return _text(value["c"]).strip()
    if value["t"] == "MetaBlocks":
        return _blocks_text(value["c"])
    if value["t"] == "MetaString":
        return str(value["c"])
    return ""


def front_blocks(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The subtitle, authors, date and abstract as the first text of the book (its front
    page), so they are printed and checked like the rest."""
    blocks = []
    for key in ("subtitle", "author", "date"):
        if text := meta_text(meta.get(key)):
            blocks.append(para(_str(text)))
    abstract = meta.get("abstract")
    if abstract:
        inner = abstract["c"] if abstract["t"] == "MetaBlocks" else [para(abstract["c"])]
        blocks += [para([{"t": "Strong", "c": _str("Abstract")}]), *inner]
    return blocks
