"""The Word reader (.docx, .odt): pandoc reads the document; notes, tables, comments, tracked
changes and equations are carried into MyST, and what cannot be is reported."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from classbook.sources import Document, Note, SourceError
from classbook.sources.markdown import image_problem, parse_markdown, rst_problem

#: Where a document's images go, relative to its Markdown (the book copies them there).
MEDIA = "media"
#: CommonMark with footnotes, pipe tables, definition lists and $math$; quotes as written.
WRITER = "commonmark_x-smart"
#: What a Word file may unpack to: a document and its pictures, not a zip bomb.
MAX_UNPACKED = 512 * 1024 * 1024
MAX_MEMBERS = 10_000
#: Seconds pandoc may take for one document.
PANDOC_TIMEOUT = 120
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
        kind, content = item["t"], item.get("c")
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


def _para(inlines: list[dict[str, Any]]) -> dict[str, Any]:
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
class _Reading:
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


# -- Blocks ---------------------------------------------------------------------------------


def _blocks(reading: _Reading, blocks: list[dict[str, Any]], top: bool = False) -> list[Any]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        out += _block(reading, block)
        if top and reading.after:
            out += reading.after
            reading.after = []
    return out


def _block(reading: _Reading, block: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: PLR0911, PLR0912 - a kind each
    kind, content = block["t"], block.get("c")
    if kind in {"Para", "Plain"}:
        return _paragraph(reading, kind, content)
    if kind == "Header":
        level, (ident, classes, _attrs), inlines = content
        if "TOC-Heading" in classes:
            reading.note("Word's table of contents left out: the book has its own", once="toc")
            return []
        reading.paragraph += 1
        reading.first_words = _text(inlines)[:40]
        return [{"t": "Header", "c": [level, [ident, [], []], _inlines(reading, inlines)]}]
    if kind == "Div":
        (_ident, _classes, attrs), inner = content
        style = dict(attrs).get("custom-style", "")
        if TOC_STYLE.match(style):
            reading.note("Word's table of contents left out: the book has its own", once="toc")
            return []
        if style == "Abstract":  # Word's Abstract style: the book's description too
            reading.abstract = " ".join(filter(None, [reading.abstract, _blocks_text(inner)]))
        return _blocks(reading, inner)
    if kind == "BulletList":
        return [{"t": kind, "c": [_blocks(reading, item) for item in content]}]
    if kind == "OrderedList":
        start = content[0][0]
        numbering = [start, {"t": "Decimal"}, {"t": "Period"}]  # "a." and "i." are not Markdown
        return [{"t": kind, "c": [numbering, [_blocks(reading, item) for item in content[1]]]}]
    if kind == "DefinitionList":
        items = [
            [_inlines(reading, term), [_blocks(reading, d) for d in definitions]]
            for term, definitions in content
        ]
        return [{"t": kind, "c": items}]
    if kind == "BlockQuote":
        return [{"t": kind, "c": _blocks(reading, content)}]
    if kind == "Table":
        return _table(reading, content)
    if kind == "Figure":  # the image, then its caption: paragraphs of their own
        _attr, (_short, caption), inner = content
        made = _blocks(reading, inner) + _blocks(reading, caption)
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


def _paragraph(reading: _Reading, kind: str, inlines: list[dict[str, Any]]) -> list[Any]:
    text = " ".join(_words(inlines).split())
    if text:
        reading.paragraph += 1
        reading.first_words = text[:40]
    inlines = _inlines(reading, inlines)
    while inlines and inlines[-1]["t"] in {"LineBreak", "Space", "SoftBreak"}:
        inlines.pop()  # a line break that ends a paragraph is no break
    return [{"t": kind, "c": inlines}] if inlines else []


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


def _table(reading: _Reading, table: list[Any]) -> list[dict[str, Any]]:
    """A table: its caption as a paragraph above it; a pipe table when Markdown can hold it,
    else a reStructuredText grid table (every output can print its merged cells)."""
    attr, (_short, caption), specs, head, bodies, foot = table
    place = f"the table after {reading.place}"
    captions = _blocks(reading, caption)

    def cells(rows: list[Any]) -> list[Any]:
        return [
            [row[0], [[c[0], c[1], c[2], c[3], _blocks(reading, c[4])] for c in row[1]]]
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
    return [*captions, placeholder, *([_para(images)] if images else [])]


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


# -- Inlines --------------------------------------------------------------------------------


def _inlines(reading: _Reading, inlines: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            before = []
            while inner and inner[0]["t"] in {"Space", "SoftBreak", "LineBreak"}:
                before.append(inner.pop(0))
            after = []
            while inner and inner[-1]["t"] in {"Space", "SoftBreak", "LineBreak"}:
                after.insert(0, inner.pop())
            out += before + ([{"t": item["t"], "c": inner}] if _text(inner).strip() else inner)
            out += after
        else:
            out.append(item)
    return out


def _inline(reading: _Reading, item: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: PLR0911, PLR0912
    kind, content = item["t"], item.get("c")
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
        return [{"t": "Link", "c": [["", [], []], flat, target]}] if _text(flat).strip() else flat
    if kind == "Image":
        return _image(reading, content)
    if kind == "Note":
        return [{"t": "Note", "c": _blocks(reading, content)}]
    if kind == "Cite":
        return _inlines(reading, content[1])
    if kind == "Code":
        return [{"t": "Code", "c": [["", [], []], content[1]]}]
    if kind == "RawInline":
        return []
    return [item]


def _span(reading: _Reading, content: list[Any]) -> list[dict[str, Any]]:
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
        who, words = attrs.get("author", "someone"), _text(inner)[:60]
        reading.note(f"tracked deletion by {who} accepted (removed): {words!r}")
        return [{"t": "Deleted"}]  # where the words were: see _inlines
    if {"paragraph-insertion", "paragraph-deletion"} & set(classes):
        return []
    return _inlines(reading, inner)


def _comment(reading: _Reading, comment: _Comment) -> None:
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


def _image(reading: _Reading, content: list[Any]) -> list[dict[str, Any]]:
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


# -- Metadata -------------------------------------------------------------------------------


def _meta_text(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    if value["t"] == "MetaList":
        return ", ".join(filter(None, (_meta_text(v) for v in value["c"])))
    if value["t"] == "MetaInlines":
        return _text(value["c"]).strip()
    if value["t"] == "MetaBlocks":
        return _blocks_text(value["c"])
    if value["t"] == "MetaString":
        return str(value["c"])
    return ""


def _front(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The subtitle, authors, date and abstract as the first text of the book (its front
    page), so they are printed and checked like the rest."""
    blocks = []
    for key in ("subtitle", "author", "date"):
        if text := _meta_text(meta.get(key)):
            blocks.append(_para(_str(text)))
    abstract = meta.get("abstract")
    if abstract:
        inner = abstract["c"] if abstract["t"] == "MetaBlocks" else [_para(abstract["c"])]
        blocks += [_para([{"t": "Strong", "c": _str("Abstract")}]), *inner]
    return blocks


def _properties(path: Path, data: bytes) -> dict[str, str]:
    """Title and author from the file's own properties (docProps/core.xml, meta.xml)."""
    names = {"docx": "docProps/core.xml", "odt": "meta.xml"}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read(names[path.suffix.lower().lstrip(".")]))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    found: dict[str, str] = {}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in {"title", "creator", "initial-creator"} and (element.text or "").strip():
            found.setdefault("author" if "creator" in name else "title", element.text.strip())
    return found


def _odt_descriptions(data: bytes) -> dict[str, str]:
    """An ODT picture's description (svg:desc, else svg:title), by its file in the archive:
    pandoc does not carry them."""
    svg = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
    xlink = "{http://www.w3.org/1999/xlink}href"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    found = {}
    for frame in root.iter("{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame"):
        words = frame.findtext(f"{svg}desc") or frame.findtext(f"{svg}title") or ""
        for image in frame.iter("{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}image"):
            if words.strip() and image.get(xlink):
                found[image.get(xlink, "")] = " ".join(words.split())
    return found


# -- Reading --------------------------------------------------------------------------------


def check_archive(path: Path, data: bytes) -> None:
    """Refuse a Word file that is not a zip archive, or one that would unpack to more than
    :data:`MAX_UNPACKED` bytes or :data:`MAX_MEMBERS` files (a zip bomb), before pandoc
    unpacks it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        kind = path.suffix.lower().lstrip(".")
        raise SourceError(path, f"is not a readable {kind} document (not a zip archive)") from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED:
        raise SourceError(
            path,
            f"would unpack to {unpacked:,} bytes in {len(members):,} files, more than a "
            f"document and its pictures ({MAX_UNPACKED:,} bytes, {MAX_MEMBERS:,} files): "
            "it is damaged or made to exhaust the machine",
        )


def pandoc(path: Path, args: list[str], folder: str, stdin: str | None = None) -> str:
    """Run the pandoc that pypandoc-binary bundles in ``folder``: sandboxed (it reads only
    the files named on its command line and fetches nothing), within a time limit."""
    import pypandoc

    try:
        done = subprocess.run(
            [pypandoc.get_pandoc_path(), "--sandbox", *args],
            cwd=folder,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=PANDOC_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            path, f"took pandoc longer than {PANDOC_TIMEOUT} s to read; it may be damaged"
        ) from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "unknown"
        kind = path.suffix.lower().lstrip(".")
        raise SourceError(path, f"is not a readable {kind} document ({reason})")
    return done.stdout


def _grid_tables(path: Path, reading: _Reading, ast: dict[str, Any], folder: str) -> None:
    """Each complex table as a reStructuredText grid table in an eval-rst block (one pandoc
    run each: a table's images and notes are defined at the end of its own text)."""
    written = []
    for number, table in enumerate(reading.tables):
        rst = pandoc(
            path,
            ["-f", "json", "-t", "rst", "--wrap=none"],
            folder,
            stdin=json.dumps({**ast, "meta": {}, "blocks": [_marked(_unbroken(table))]}),
        )
        rst = rst.replace(GRID_MARK, " " * len(GRID_MARK))
        # "Button [1]_." has a space before its note's number; "Button\\ [1]_." has none.
        rst = re.sub(r"(?<=\S) (\[(?:\d+|#[\w-]*|\*)\]_)", r"\\ \1", rst).strip("\n")
        if problem := rst_problem(rst):
            raise SourceError(
                path,
                f"a table cannot be written in a form every output prints ({problem}); "
                "simplify it (merged cells, several paragraphs in a cell) or remove it",
                place=reading.table_places[number],
            )
        written.append(rst)

    def fill(blocks: list[Any]) -> None:
        for block in blocks:
            if block["t"] == "RawBlock" and block["c"][1].startswith("CLASSBOOK-TABLE-"):
                number = int(block["c"][1].rsplit("-", 1)[1])
                block["c"][1] = f"```{{eval-rst}}\n{written[number]}\n```"

    fill(ast["blocks"])


#: A paragraph added to every cell so pandoc writes a grid table (its simple tables cannot
#: span columns), blanked out after: the grid's borders stay where they are.
GRID_MARK = "ZQXCLASSBOOKGRIDZQX"


def _marked(table: dict[str, Any]) -> dict[str, Any]:
    _attr, _caption, _specs, head, bodies, _foot = table["c"]
    for row in head[1] + [r for body in bodies for r in body[2] + body[3]]:
        for cell in row[1]:
            cell[4] = [*cell[4], _para([{"t": "Str", "c": GRID_MARK}])]
    return table


def _pad(columns: int, rows: list[Any]) -> None:
    """Rows as wide as the table (Word lets a row end early; a grid table does not)."""
    if any(cell[2] != 1 for row in rows for cell in row[1]):
        return  # merged rows: pandoc counts their columns itself
    for row in rows:
        missing = columns - sum(cell[3] for cell in row[1])
        row[1] += [[["", [], []], {"t": "AlignDefault"}, 1, 1, []] for _ in range(missing)]


def _unbroken(value: Any) -> Any:
    """A table without line breaks (a grid table's cell would make them line blocks), and
    with a body in each of its tables (a grid table of headings alone is malformed)."""
    if isinstance(value, list):
        return [_unbroken(item) for item in value]
    if isinstance(value, dict):
        if value.get("t") == "LineBreak":
            return {"t": "Space"}
        if value.get("t") == "Table":
            _attr, _caption, _specs, head, bodies, foot = value["c"]
            # reStructuredText tables have one body and no foot: every row goes in the one
            # body; a table of headings alone has them as its body (a grid needs one).
            rows = [row for body in bodies for row in body[2] + body[3]] + foot[1]
            rows = [row for row in rows if any(cell[4] for cell in row[1])]  # empty: no row
            if not rows:
                rows, head[1] = head[1], []
            bodies[:] = [[["", [], []], 0, [], rows]]
            foot[1] = []
            _pad(len(value["c"][2]), head[1] + rows)
        return {key: _unbroken(item) for key, item in value.items()}
    return value


def read(path: Path, data: bytes) -> Document:
    """Read a Word document: Title, Subtitle, Author, Date and Abstract from its styles (or
    its properties), Heading 1 = chapters; comments and tracked changes reported."""
    kind = path.suffix.lower().lstrip(".")
    check_archive(path, data)
    with tempfile.TemporaryDirectory(prefix="classbook-word-") as folder:
        source = Path(folder, f"source.{kind}")
        source.write_bytes(data)
        style = "+styles" if kind == "docx" else ""
        media_arguments = [f"--extract-media={MEDIA}", source.name]
        ast = json.loads(
            pandoc(
                path,
                ["-f", f"{kind}{style}", "--track-changes=all", "-t", "json", *media_arguments],
                folder,
            )
        )
        reading = _Reading(path, Path(folder))
        if kind == "odt":
            reading.alt = _odt_descriptions(data)
        meta = ast.get("meta", {})
        ast["blocks"] = _blocks(reading, _front(meta) + ast["blocks"], top=True)
        _grid_tables(path, reading, ast, folder)
        markdown = pandoc(
            path, ["-f", "json", "-t", WRITER, "--wrap=none"], folder, stdin=json.dumps(ast)
        )
        media = {
            file.relative_to(folder).as_posix(): file.read_bytes()
            for file in sorted(Path(folder, MEDIA).rglob("*"))
            if file.is_file()
        }
    document = parse_markdown(path, markdown)
    properties = _properties(path, data)
    title = _meta_text(meta.get("title")) or properties.get("title", "")
    author = _meta_text(meta.get("author")) or properties.get("author", "")
    notes = list(reading.notes)
    if not _meta_text(meta.get("author")) and author:
        notes.append(Note("", f"author from the file's properties: {author!r}"))
    metadata = {k: v for k in ("subtitle", "date", "abstract") if (v := _meta_text(meta.get(k)))}
    if reading.abstract and "abstract" not in metadata:
        metadata["abstract"] = reading.abstract
    # Lines of pandoc's intermediate Markdown mean nothing to the writer of the Word file.
    return Document(
        path,
        "word",
        tuple(_without_lines(document.sections)),
        title=title,
        author=author,
        media=media,
        notes=tuple(notes) + tuple(n for n in document.notes if not n.place),
        metadata=metadata,
        images=document.images,
    )


def _without_lines(sections: Any) -> list[Any]:
    import dataclasses

    return [
        dataclasses.replace(
            s, line=0, blocks=tuple(dataclasses.replace(b, line=0) for b in s.blocks)
        )
        for s in sections
    ]
