"""The Word reader (.docx, .odt): pandoc reads the document; notes, tables, comments, tracked
changes and equations are carried into MyST, and what cannot be is reported."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from classbook.sources.document import Document, Note, SourceError
from classbook.sources.markdown import parse_markdown
from classbook.sources.myst import rst_problem
from classbook.sources.wordast import MEDIA, Reading, fit_blocks, front_blocks, meta_text, para

#: CommonMark with footnotes, pipe tables, definition lists and $math$; quotes as written.
WRITER = "commonmark_x-smart"


#: What a Word file may unpack to: a document and its pictures, not a zip bomb.
MAX_UNPACKED = 512 * 1024 * 1024


MAX_MEMBERS = 10_000


#: Seconds pandoc may take for one document.
PANDOC_TIMEOUT = 120


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
            found.setdefault(
                "author" if "creator" in name else "title", (element.text or "").strip()
            )
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


def _grid_tables(path: Path, reading: Reading, ast: dict[str, Any], folder: str) -> None:
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
        rst, unlinked = _without_place_links(rst)
        if unlinked:
            message = f"{unlinked} link(s) to places of the document in a table kept as text"
            reading.notes.append(Note(reading.table_places[number], message))
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


#: A link to a place of the document as pandoc writes it in reStructuredText (anonymous or
#: named): `` `words <#bookmark>`__ ``.
PLACE_LINK = re.compile(r"`([^`<>]*?)\s*<#[^<>`]*>`__?")


def _without_place_links(rst: str) -> tuple[str, int]:
    """A grid table's links to places of the document (Word bookmarks, often its own
    "Error! Reference source not found.") as their words: a chapter has no such names, and a
    table's links are not rewritten into the book's labels. The spaces saved go before the
    cell's right border, so the grid stays as drawn. How many links there were."""
    count = 0
    lines = rst.split("\n")
    for number, drawn in enumerate(lines):
        line = drawn
        for match in reversed(list(PLACE_LINK.finditer(drawn))):
            text = re.sub(r"([\\`*_|])", r"\\\1", match.group(1))
            border = line.find("|", match.end())
            if border < 0 or len(text) > len(match.group(0)):
                continue
            gap = " " * (len(match.group(0)) - len(text))
            line = line[: match.start()] + text + line[match.end() : border] + gap + line[border:]
            count += 1
        lines[number] = line
    return "\n".join(lines), count


#: A paragraph added to every cell so pandoc writes a grid table (its simple tables cannot
#: span columns), blanked out after: the grid's borders stay where they are.
GRID_MARK = "ZQXCLASSBOOKGRIDZQX"


def _marked(table: dict[str, Any]) -> dict[str, Any]:
    _attr, _caption, _specs, head, bodies, _foot = table["c"]
    for row in head[1] + [r for body in bodies for r in body[2] + body[3]]:
        for cell in row[1]:
            cell[4] = [*cell[4], para([{"t": "Str", "c": GRID_MARK}])]
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
        reading = Reading(path, Path(folder))
        if kind == "odt":
            reading.alt = _odt_descriptions(data)
        meta = ast.get("meta", {})
        ast["blocks"] = fit_blocks(reading, front_blocks(meta) + ast["blocks"], top=True)
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
    title = meta_text(meta.get("title")) or properties.get("title", "")
    author = meta_text(meta.get("author")) or properties.get("author", "")
    notes = list(reading.notes)
    if not meta_text(meta.get("author")) and author:
        notes.append(Note("", f"author from the file's properties: {author!r}"))
    metadata = {k: v for k in ("subtitle", "date", "abstract") if (v := meta_text(meta.get(k)))}
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
