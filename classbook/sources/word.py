"""The Word reader (.docx, .odt): pandoc turns styles into Markdown, checked against its AST."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from classbook.sources.document import Document, SourceError, normalise
from classbook.sources.markdown import parse_markdown

#: Where a document's images go, relative to its Markdown (the book copies them there).
MEDIA = "media"
#: GitHub Markdown without raw HTML: images as ![alt](path), tables as pipe tables.
WRITER = "gfm-raw_html"


#: Inline styles whose text is the text of their content.
_STYLED = {"Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"}


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
        elif kind in _STYLED:
            parts.append(_text(content))
        elif kind in {"Span", "Link"}:
            parts.append(_text(content[1]))
        elif kind == "Quoted":
            quotes = (
                ("\u2018", "\u2019") if content[0]["t"] == "SingleQuote" else ("\u201c", "\u201d")
            )
            parts.append(quotes[0] + _text(content[1]) + quotes[1])
        elif kind == "Cite":
            parts.append(_text(content[1]))
    return "".join(parts)


def _units(blocks: list[dict[str, Any]]) -> list[str]:  # noqa: PLR0912 - one branch a kind
    """The text of every paragraph, list item and table cell in pandoc blocks, in order."""
    units: list[str] = []
    for block in blocks:
        kind, content = block["t"], block.get("c")
        if kind in {"Para", "Plain"}:
            if text := _text(content).strip():
                units.append(text)
        elif kind in {"BulletList"}:
            for item in content:
                units += _units(item)
        elif kind == "OrderedList":
            for item in content[1]:
                units += _units(item)
        elif kind in {"BlockQuote"}:
            units += _units(content)
        elif kind in {"Div"}:
            units += _units(content[1])
        elif kind == "Figure":
            units += _units(content[2]) + _units(content[1][1])
        elif kind == "Table":
            _attr, _caption, _specs, head, bodies, foot = content
            rows = list(head[1])
            for body in bodies:
                rows += body[2] + body[3]
            rows += foot[1]
            for row in rows:
                for cell in row[1]:
                    units += _units(cell[4])
        elif kind == "LineBlock":
            units += [t for line in content if (t := _text(line).strip())]
    return units


def _sections(blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    # As the Markdown reader does: split at the top heading level the document uses.
    levels = [b["c"][0] for b in blocks if b["t"] == "Header"]
    top = min(levels, default=1)
    parts: list[list[dict[str, Any]]] = [[]]
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == top:
            parts.append([])
        parts[-1].append(block)
    return parts if parts[0] else parts[1:]


#: What a Word file may unpack to: a document and its pictures, not a zip bomb.
MAX_UNPACKED = 512 * 1024 * 1024
MAX_MEMBERS = 10_000
#: Seconds pandoc may take for one document.
PANDOC_TIMEOUT = 120


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


def read(path: Path, data: bytes) -> Document:
    """Read a Word document: Title and Author from its styles, Heading 1 = chapters."""
    kind = path.suffix.lower().lstrip(".")
    check_archive(path, data)
    with tempfile.TemporaryDirectory(prefix="classbook-word-") as folder:
        source = Path(folder, f"source.{kind}")
        source.write_bytes(data)
        ast = json.loads(
            pandoc(
                path, ["-f", kind, "-t", "json", f"--extract-media={MEDIA}", source.name], folder
            )
        )
        markdown = pandoc(
            path, ["-f", "json", "-t", WRITER, "--wrap=none"], folder, stdin=json.dumps(ast)
        )
        media = {
            file.relative_to(folder).as_posix(): file.read_bytes()
            for file in sorted(Path(folder, MEDIA).rglob("*"))
            if file.is_file()
        }
    meta = ast.get("meta", {})
    title = _text(meta.get("title", {}).get("c", [])) if "title" in meta else ""
    author = _text(meta.get("author", {}).get("c", [])) if "author" in meta else ""
    document = parse_markdown(path, markdown)
    # Text pandoc's Markdown writer would drop (a table it cannot write, say) is caught
    # here, against the document itself, not later as a puzzling build warning.
    expected = [_units(part) for part in _sections(ast["blocks"])]
    written = [list(section.paragraphs) for section in document.sections]
    for number, (ours, theirs) in enumerate(zip(written, expected, strict=False), start=1):
        if [normalise(u) for u in ours] != [normalise(u) for u in theirs]:
            lost = next((u for u in theirs if normalise(u) not in map(normalise, ours)), "")
            raise SourceError(
                path,
                f"section {number} cannot be converted to Markdown without losing text"
                + (f" ({lost[:60]!r})" if lost else ""),
            )
    # Lines of pandoc's intermediate Markdown mean nothing to the writer of the Word file.
    sections = tuple(
        dataclasses.replace(
            s, line=0, blocks=tuple(dataclasses.replace(b, line=0) for b in s.blocks)
        )
        for s in document.sections
    )
    return Document(
        path, "word", sections, title=title, author=author or document.author, media=media
    )
