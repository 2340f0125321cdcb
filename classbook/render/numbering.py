"""A book part's page numbers written into their placeholders, found in its content streams."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, Operator, String

from classbook.render import streams
from classbook.render.jobs import DIGITS, XREF, Layout, Numbers

# pikepdf's stubs type what attribute access, get() and iteration give as Object (at run time
# a Dictionary, an Array, or a plain int for a number): functions that take such values take
# Object, and parent-tree values and parsed operands are Any.


@dataclass(frozen=True)
class Plan:
    """Where each part's pages fall in the book, and where every anchor is."""

    #: The book's page index of each part's first page.
    offsets: tuple[int, ...]
    #: Anchor name -> (page index in the book, x, y); the first part's anchor wins.
    anchors: dict[str, tuple[int, float, float]]

    @classmethod
    def of(cls, layouts: Sequence[Layout]) -> Plan:
        offsets = [0]
        for layout in layouts[:-1]:
            offsets.append(offsets[-1] + layout.pages)
        anchors: dict[str, tuple[int, float, float]] = {}
        for offset, layout in zip(offsets, layouts, strict=True):
            for name, (page, x, y) in layout.anchors.items():
                anchors.setdefault(name, (offset + page, x, y))
        return cls(tuple(offsets), anchors)

    def numbers_for(self, layout: Layout) -> dict[str, int]:
        """The printed page number of each anchor ``layout``'s links lead to."""
        return {name: self.anchors[name][0] + 1 for name in layout.links if name in self.anchors}


def number(
    source: Path, target: Path, first_page: int, pages: dict[str, int], numbers: Numbers
) -> None:
    """Write ``target``: the part ``source`` with its page numbers in their placeholders.

    Its pages are numbered from ``first_page``; a link to anchor ``name`` shows
    ``pages[name]``. Parts are numbered apart (in the render pool, each cached on its own):
    an edit that moves no page leaves every other part's numbered PDF as it was.
    """
    with pikepdf.open(io.BytesIO(source.read_bytes())) as part:
        targets: dict[tuple[int, int], int] = {}
        for page in part.pages:
            for annotation in page.obj.get("/Annots", []):
                name = xref(annotation)
                if name is not None and name in pages:
                    targets[annotation.objgen] = pages[name]
        entries = list(number_tree(part.Root.StructTreeRoot.ParentTree))
        _page_numbers(part, entries, targets, numbers, first_page)
        part.save(target, deterministic_id=True, compress_streams=True)


def number_tree(node: Object) -> Iterator[tuple[int, Any]]:
    if "/Nums" in node:
        nums = node.Nums
        for index in range(0, len(nums), 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", []):
        yield from number_tree(kid)


def xref(annotation: Object) -> str | None:
    """The anchor a link between parts names, or None for any other annotation."""
    action = annotation.get("/A")
    if action is None or action.get("/S") != Name.URI:
        return None
    uri = str(action.URI)
    return uri[len(XREF) :] if uri.startswith(XREF) else None


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


@dataclass
class _Font:
    """A font's glyphs for the digits (two-byte codes) and their widths."""

    codes: dict[str, bytes]
    widths: dict[bytes, float]

    @classmethod
    def read(cls, font: Object, digits: str) -> _Font | None:
        cmap = font.get("/ToUnicode")
        if cmap is None:
            return None
        codes: dict[str, bytes] = {}
        for code, text in _BFCHAR.findall(cmap.read_bytes()):
            char = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
            if char in digits and len(code) == 4:
                codes.setdefault(char, bytes.fromhex(code.decode()))
        widths: dict[bytes, float] = {}
        descendant = font.get("/DescendantFonts", [None])[0]
        spec = list(descendant.get("/W", [])) if descendant is not None else []
        index = 0
        while index < len(spec):
            first = int(spec[index])
            if isinstance(spec[index + 1], Array):
                for offset, advance in enumerate(spec[index + 1]):
                    widths[(first + offset).to_bytes(2, "big")] = float(advance)
                index += 2
            else:
                last, width = int(spec[index + 1]), float(spec[index + 2])
                for gid in range(first, last + 1):
                    widths[gid.to_bytes(2, "big")] = width
                index += 3
        return cls(codes, widths)

    def width(self, glyphs: bytes) -> float:
        return sum(self.widths.get(glyphs[i : i + 2], 0.0) for i in range(0, len(glyphs), 2))


def _page_numbers(
    book: pikepdf.Pdf,
    entries: list[tuple[int, Any]],
    targets: dict[tuple[int, int], int],
    numbers: Numbers,
    first_page: int,
) -> None:
    """Put each page's number in its running foot, and each link's target page number in
    its placeholder (the last run of placeholder digits inside the link)."""
    parents = dict(entries)
    fonts = _Fonts(DIGITS[numbers.style])
    for index, page in enumerate(book.pages, start=first_page - 1):
        by_mcid = (
            _link_targets(parents.get(int(page.obj.get("/StructParents", -1))), targets)
            if targets
            else {}  # no link of the part shows a page number: only the running feet
        )
        resources = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
        contents = page.obj.get("/Contents")
        raw = contents.read_bytes() if isinstance(contents, pikepdf.Stream) else b""
        if raw and (events := _events_of_bytes(raw)) is not None:
            edits = _Page(numbers, fonts, resources, by_mcid).edits(events, index + 1)
            if edits:
                page.obj.Contents = book.make_stream(_splice(raw, edits))
            continue
        # A stream the byte scanner cannot read one for one: pikepdf parses it.
        instructions = pikepdf.parse_content_stream(page)
        edits = _Page(numbers, fonts, resources, by_mcid).edits(
            _events_of_instructions(instructions), index + 1
        )
        for position, array in edits:
            instructions[position] = pikepdf.ContentStreamInstruction([array], Operator("TJ"))
        if edits:
            page.obj.Contents = book.make_stream(pikepdf.unparse_content_stream(instructions))


class _Fonts:
    """The digits of each font resource, read once per merge."""

    def __init__(self, digits: str) -> None:
        self.digits = digits
        self.found: dict[tuple[int, int], _Font | None] = {}

    def get(self, resource: Object | None) -> _Font | None:
        if resource is None:
            return None
        if resource.objgen not in self.found:
            self.found[resource.objgen] = _Font.read(resource, self.digits)
        return self.found[resource.objgen]


class _Page:
    """The placeholders of one page's content stream, and the numbers that replace them."""

    def __init__(
        self,
        numbers: Numbers,
        fonts: _Fonts,
        resources: Object,
        by_mcid: dict[int, tuple[int, int]],
    ) -> None:
        self.numbers = numbers
        self.fonts = fonts
        self.resources = resources
        self.by_mcid = by_mcid
        #: Open marked-content sequences: (inside an artifact, the innermost MCID).
        self.stack: list[tuple[bool, int | None]] = []

    def mark(self, kind: str, artifact_tag: bool, mcid: int | None) -> None:
        if kind == "EMC":
            if self.stack:
                self.stack.pop()
            return
        artifact, inherited = self.stack[-1] if self.stack else (False, None)
        self.stack.append((artifact or artifact_tag, inherited if mcid is None else mcid))

    def edits(self, events: Iterable[_Event], page_number: int) -> list[tuple[Any, Array]]:
        """The page's placeholders with their numbers: (where the TJ is, its new array)."""
        font: _Font | None = None
        # The last placeholder inside each link: (where, its glyphs, first placeholder
        # glyph, font, target).
        last: dict[int, tuple[Any, list[tuple[bytes, float]], int, _Font, int]] = {}
        found: list[tuple[Any, list[tuple[bytes, float]], int, _Font, int, str]] = []
        zero = self.numbers.placeholder[0]
        for kind, where, data in events:
            if kind in ("BDC", "BMC", "EMC"):
                self.mark(kind, *data)
            elif kind == "Tf":
                font = self.fonts.get(self.resources.get(data))
            elif kind == "TJ" and font is not None and zero in font.codes:
                artifact, mcid = self.stack[-1] if self.stack else (False, None)
                if not artifact and mcid not in self.by_mcid:
                    continue  # the text itself: most of the page, and never a number of ours
                glyphs = _glyph_pairs(_tj_items(data))
                runs = _runs(glyphs, font.codes[zero], self.numbers.width)
                if artifact and runs and len(glyphs) == self.numbers.width:
                    found.append((where, glyphs, runs[-1], font, page_number, "center"))
                elif runs and mcid in self.by_mcid:
                    link, target = self.by_mcid[mcid]
                    last[link] = (where, glyphs, runs[-1], font, target)
        found += [(*edit, "link") for edit in last.values()]
        edits = []
        for where, glyphs, first, font, target, how in found:
            array = _replace(glyphs, first, font, self.numbers, target, how=how)
            if array is not None:
                edits.append((where, array))
        return edits


#: What numbering reads of a content stream, in order: (operator, where the TJ is, data):
#: BDC/BMC/EMC with (an Artifact tag, the MCID or None); Tf with the font resource's name;
#: TJ with its array (its bytes, or as pikepdf parsed it: see _tj_items).
_Event = tuple[str, Any, Any]


def _events_of_instructions(instructions: list[Any]) -> Iterator[_Event]:
    """The events of a content stream pikepdf parsed (where: the instruction's index)."""
    for position, (operands, operator) in enumerate(instructions):
        op = str(operator)
        if op in ("BDC", "BMC"):
            properties = operands[1] if op == "BDC" else None
            mcid = (
                int(properties.MCID)
                if isinstance(properties, Dictionary) and "/MCID" in properties
                else None
            )
            yield op, position, (operands[0] == Name.Artifact, mcid)
        elif op == "EMC":
            yield op, position, (False, None)
        elif op == "Tf":
            yield op, position, str(operands[0])
        elif op == "TJ":
            yield op, position, operands[0]


# -- Content streams as bytes ---------------------------------------------------------------
#
# Parsing every page with pikepdf made numbering most of the time after the last part was
# laid out. Numbering reads five operators, found in the bytes by classbook.render.streams;
# only a placeholder's TJ is rewritten.

_ITEM = re.compile(
    rb"(" + streams.HEX + rb")|(" + streams.LITERAL + rb")|(" + streams.NUMBER + rb")", re.S
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_EMC: _Event = ("EMC", None, (False, None))
_ARTIFACT = b"/Artifact"


def _events_of_bytes(raw: bytes) -> list[_Event] | None:
    """The events of a content stream's bytes (where: the TJ's byte span; its data: the
    array's bytes), or None when they cannot all be found."""
    matches = streams.scan(raw)
    if matches is None:
        return None
    events: list[_Event] = []
    append = events.append
    for match in matches:
        kind = match.lastgroup
        if kind == "tj":
            append(("TJ", match.span(), match["array"]))
        elif kind == "emc":
            append(_EMC)
        elif kind == "bdc":
            mcid = match["mcid"]
            append(("BDC", None, (match["tag"] == _ARTIFACT, None if mcid is None else int(mcid))))
        elif kind == "tf":
            append(("Tf", None, match["font"].decode("latin-1")))
        elif kind == "bmc":
            append(("BMC", None, (match["btag"] == _ARTIFACT, None)))
    return events


def _tj_items(array: bytes | Array) -> list[bytes | float]:
    """A TJ array's items (from its bytes, or as pikepdf parsed it): the bytes of its
    strings, its numbers."""
    if isinstance(array, Array):
        return [bytes(item) if isinstance(item, String) else float(item) for item in array]
    items: list[bytes | float] = []
    for hexadecimal, literal, number in _ITEM.findall(array):
        if hexadecimal:
            digits = re.sub(rb"\s", b"", hexadecimal[1:-1])
            items.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif literal:
            items.append(_ESCAPE.sub(_unescape, literal[1:-1]))
        else:
            items.append(float(number))
    return items


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match[1]
    if escaped[0] in b"01234567":
        return bytes([int(escaped, 8) & 0xFF])
    if escaped == b"\n":
        return b""  # a line continued
    return _ESCAPES.get(escaped, escaped)


def _splice(raw: bytes, edits: list[tuple[Any, Array]]) -> bytes:
    """``raw`` with each edited TJ (its byte span) written again with its new array."""
    out, at = [], 0
    for (start, end), array in sorted(edits, key=lambda edit: edit[0]):
        instruction = pikepdf.ContentStreamInstruction([array], Operator("TJ"))
        out += [raw[at:start], pikepdf.unparse_content_stream([instruction])]
        at = end
    out.append(raw[at:])
    return b"".join(out)


def _link_targets(mcids: Any, targets: dict[tuple[int, int], int]) -> dict[int, tuple[int, int]]:
    """MCID -> (link element's id, target page) for the marked content inside links."""
    found: dict[int, tuple[int, int]] = {}
    if not isinstance(mcids, Array):
        return found
    memo: dict[tuple[int, int], int | None] = {}
    #: Each element's nearest Link (None: none): a page's MCIDs share a few elements, and
    #: every step up the tree is a call into qpdf.
    nearest: dict[tuple[int, int], Dictionary | None] = {}
    for mcid, element in enumerate(mcids):
        link = _nearest_link(element, nearest)
        if link is None:
            continue
        if link.objgen not in memo:
            memo[link.objgen] = next(
                (
                    targets[kid.Obj.objgen]
                    for kid in _kids(link)
                    if isinstance(kid, Dictionary)
                    and kid.get("/Type") == Name.OBJR
                    and kid.Obj.objgen in targets
                ),
                None,
            )
        if (target := memo[link.objgen]) is not None:
            found[mcid] = (link.objgen[0], target)
    return found


def _nearest_link(
    element: Any, nearest: dict[tuple[int, int], Dictionary | None]
) -> Dictionary | None:
    """The Link element that holds ``element`` (itself included), below the Document."""
    path: list[tuple[int, int]] = []
    found: Dictionary | None = None
    while isinstance(element, Dictionary):
        key = element.objgen
        if key in nearest:
            found = nearest[key]
            break
        if key != (0, 0):  # a direct dictionary has no identity to remember it by
            path.append(key)
        kind = element.get("/S")
        if kind == Name.Link:
            found = element
            break
        if kind == Name.Document:
            break
        element = element.get("/P")
    for key in path:
        nearest[key] = found
    return found


def _kids(element: Dictionary) -> list[Any]:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, Array) else [] if kids is None else [kids]


def _glyph_pairs(items: Iterable[bytes | float]) -> list[tuple[bytes, float]]:
    """A TJ array's items as (two-byte glyph, adjustment after it) pairs; a leading
    adjustment becomes a glyph-less pair."""
    glyphs: list[tuple[bytes, float]] = []
    for item in items:
        if isinstance(item, bytes):
            glyphs += [(item[i : i + 2], 0.0) for i in range(0, len(item) - 1, 2)]
        elif glyphs:
            code, adjust = glyphs[-1]
            glyphs[-1] = (code, adjust + item)
        else:
            glyphs.append((b"", item))
    return glyphs


def _runs(glyphs: list[tuple[bytes, float]], zero: bytes, width: int) -> list[int]:
    """Where runs of exactly ``width`` placeholder zeros start (not inside longer runs)."""
    codes = [code for code, _ in glyphs]
    found = []
    index = 0
    while index < len(codes):
        if codes[index] != zero:
            index += 1
            continue
        end = index
        while end < len(codes) and codes[end] == zero:
            end += 1
        if end - index == width:
            found.append(index)
        index = end
    return found


def _items(glyphs: list[tuple[bytes, float]]) -> list[Any]:
    """TJ operands from (glyph, adjustment after it) pairs (the inverse of _glyph_pairs)."""
    items: list[Any] = []
    for code, adjust in glyphs:
        if code:
            items.append(String(code))
        if adjust:
            items.append(Decimal(f"{adjust:.3f}"))
    return items


def _replace(
    glyphs: list[tuple[bytes, float]],
    first: int,
    font: _Font,
    numbers: Numbers,
    number: int,
    *,
    how: str,
) -> Array | None:
    """A TJ array with ``number`` in the placeholder that starts at glyph ``first`` of
    ``glyphs``; None when the font lacks one of its digits (the placeholder stays: never a
    wrong digit)."""
    text = numbers.text(number)
    if any(char not in font.codes for char in text):
        return None
    zero = font.codes[numbers.placeholder[0]] * numbers.width
    digits = b"".join(font.codes[char] for char in text)
    last = first + numbers.width
    spare = font.width(zero) - font.width(digits)
    # A number narrower than its placeholder keeps the placeholder's alignment: centred in
    # the foot, flush right when it ends its line (the contents), else flush left.
    shift = spare / 2 if how == "center" else spare if last == len(glyphs) else 0.0
    number_glyphs = [(b"", -shift), (digits, glyphs[last - 1][1])]
    return Array(_items([*glyphs[:first], *number_glyphs, *glyphs[last:]]))
