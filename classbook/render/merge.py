"""One book PDF from its parts: pages, one structure tree, outline, links and page numbers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Operator, String

from classbook.render import streams

#: The scheme of links between parts: the print HTML's internal links (see
#: classbook.builders.parts), pointed at their anchors by the merge.
XREF = "classbook-xref:"
#: Digits by CSS counter style: the placeholders and the numbers put in their place.
DIGITS = {
    "decimal": "0123456789",
    "arabic-indic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "persian": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
}


@dataclass(frozen=True)
class Layout:
    """What a part's render knows and its PDF does not say plainly (from WeasyPrint)."""

    pages: int
    #: Anchor name -> (page index in the part, x, y in PDF points).
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    #: (level, label, page index in the part, x, y) of each heading, in order.
    bookmarks: list[tuple[int, str, int, float, float]] = field(default_factory=list)
    #: The anchors its links between parts name.
    links: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Numbers:
    """How page numbers are printed: placeholders of ``width`` zeros of ``style``."""

    style: str = "decimal"
    width: int = 3

    def text(self, number: int) -> str:
        digits = DIGITS[self.style]
        return "".join(digits[int(d)] for d in str(number))

    @property
    def placeholder(self) -> str:
        return DIGITS[self.style][0] * self.width


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
                name = _xref(annotation)
                if name is not None and name in pages:
                    targets[annotation.objgen] = pages[name]
        entries = list(_number_tree(part.Root.StructTreeRoot.ParentTree))
        _page_numbers(part, entries, targets, numbers, first_page)
        part.save(target, deterministic_id=True, compress_streams=True)


def merge(parts: Sequence[Path], layouts: Sequence[Layout], target: Path) -> list[str]:
    """Write ``target`` from the numbered part PDFs; return warnings (anchors no part has).

    The first part's catalog (metadata, language, viewer preferences) is the book's. Each
    later part's pages follow; its structure elements join the one /Document element and
    its parent-tree keys move past the earlier parts'. Links between parts become GoTo
    destinations, and the outline and the named destinations are the whole book's.
    """
    warnings: list[str] = []
    plan = Plan.of(layouts)
    with pikepdf.open(io.BytesIO(parts[0].read_bytes())) as book:
        tree = book.Root.StructTreeRoot
        document = _document_element(tree)
        entries = list(_number_tree(tree.ParentTree))
        next_key = int(tree.get("/ParentTreeNextKey", _next_key(entries)))
        role_map = Dictionary(tree.get("/RoleMap", Dictionary()))
        for path in parts[1:]:
            with pikepdf.open(io.BytesIO(path.read_bytes())) as part:
                next_key = _append(book, part, document, entries, base=next_key, role_map=role_map)
        tree.ParentTree = book.make_indirect(
            Dictionary(Nums=Array([item for key, value in entries for item in (key, value)]))
        )
        tree.ParentTreeNextKey = next_key
        if role_map:
            tree.RoleMap = role_map
        _links(book, plan.anchors, warnings)
        _outline(book, layouts, plan.offsets)
        _named_destinations(book, plan.anchors)
        # Every stream is compressed already (by WeasyPrint, or the numbering): copy them as
        # they are rather than decompress and compress the whole book again.
        book.save(
            target,
            deterministic_id=True,
            compress_streams=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
        )
    return warnings


# -- Pages and the structure tree ---------------------------------------------------------------


def _document_element(tree: Dictionary) -> Dictionary:
    kids = tree.K
    element = kids[0] if isinstance(kids, Array) else kids
    if not isinstance(kids, Array):
        tree.K = Array([element])
    if not isinstance(element.get("/K"), Array):
        element.K = Array([] if element.get("/K") is None else [element.K])
    return element


def _number_tree(node: Dictionary) -> Iterator[tuple[int, Any]]:
    if "/Nums" in node:
        nums = node.Nums
        for index in range(0, len(nums), 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", []):
        yield from _number_tree(kid)


def _next_key(entries: list[tuple[int, Any]]) -> int:
    return max((key for key, _ in entries), default=-1) + 1


def _append(
    book: pikepdf.Pdf,
    part: pikepdf.Pdf,
    document: Dictionary,
    entries: list[tuple[int, Any]],
    *,
    base: int,
    role_map: Dictionary,
) -> int:
    """Append ``part`` to ``book``; return the next free parent-tree key."""
    first = len(book.pages)
    book.pages.extend(part.pages)
    for page in book.pages[first:]:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + base
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + base
    tree = part.Root.StructTreeRoot
    # The same copier as the pages', so references to the part's pages and annotations
    # land on their copies in the book; one copy each for all the elements and all the
    # parent-tree entries (qpdf copies an array's objects in one pass).
    for copied in _copy(book, part, list(_document_element(tree).K)):
        if isinstance(copied, Dictionary):
            copied.P = document
        document.K.append(copied)
    part_entries = list(_number_tree(tree.ParentTree))
    values = _copy(book, part, [value for _, value in part_entries])
    entries += [(key + base, value) for (key, _), value in zip(part_entries, values, strict=True)]
    for role, standard in tree.get("/RoleMap", Dictionary()).items():
        role_map[role] = standard
    return base + int(tree.get("/ParentTreeNextKey", _next_key(part_entries)))


def _copy(book: pikepdf.Pdf, part: pikepdf.Pdf, items: list[Any]) -> Array:
    """``items`` of ``part``, copied into ``book`` (direct objects and the indirect ones
    they reach; qpdf copies indirect objects only, hence the array that holds them)."""
    return book.copy_foreign(part.make_indirect(Array(items)))


# -- Links, outline, destinations ----------------------------------------------------------


def _destination(book: pikepdf.Pdf, page: int, x: float, y: float) -> Array:
    return Array([book.pages[page].obj, Name.XYZ, Decimal(f"{x:.3f}"), Decimal(f"{y:.3f}"), 0])


def _xref(annotation: Dictionary) -> str | None:
    """The anchor a link between parts names, or None for any other annotation."""
    action = annotation.get("/A")
    if action is None or action.get("/S") != Name.URI:
        return None
    uri = str(action.URI)
    return uri[len(XREF) :] if uri.startswith(XREF) else None


def _links(
    book: pikepdf.Pdf, anchors: dict[str, tuple[int, float, float]], warnings: list[str]
) -> None:
    """Point every link between parts at its anchor."""
    for page in book.pages:
        for annotation in page.obj.get("/Annots", []):
            name = _xref(annotation)
            if name is None:
                continue
            del annotation["/A"]
            if name not in anchors:
                warnings.append(f"No anchor #{name} for internal URI reference")
                continue
            annotation.Dest = _destination(book, *anchors[name])
            if str(annotation.get("/Contents", "")) == XREF + name:
                annotation.Contents = String(name)


def _outline(book: pikepdf.Pdf, layouts: Sequence[Layout], offsets: Sequence[int]) -> None:
    """The bookmarks of every part, nested by level across parts."""
    with book.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, list[pikepdf.OutlineItem]]] = [(0, outline.root)]
        for offset, layout in zip(offsets, layouts, strict=True):
            for level, label, page, x, y in layout.bookmarks:
                item = pikepdf.OutlineItem(
                    label, offset + page, pikepdf.PageLocation.XYZ, left=x, top=y
                )
                while stack[-1][0] >= level:
                    stack.pop()
                stack[-1][1].append(item)
                stack.append((level, item.children))


def _named_destinations(book: pikepdf.Pdf, anchors: dict[str, tuple[int, float, float]]) -> None:
    """``book.pdf#id`` opens at the anchor, as WeasyPrint's own name tree did."""
    names = pikepdf.NameTree.new(book)
    for name in sorted(anchors):
        names[name] = _destination(book, *anchors[name])
    book.Root.Names = Dictionary(Dests=names.obj)


# -- Page numbers ------------------------------------------------------------------------------

_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


@dataclass
class _Font:
    """A font's glyphs for the digits (two-byte codes) and their widths."""

    codes: dict[str, bytes]
    widths: dict[bytes, float]

    @classmethod
    def read(cls, font: Dictionary, digits: str) -> _Font | None:
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
                for offset, width in enumerate(spec[index + 1]):
                    widths[(first + offset).to_bytes(2, "big")] = float(width)
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

    def get(self, resource: Dictionary | None) -> _Font | None:
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
        resources: Dictionary,
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
        if memo[link.objgen] is not None:
            found[mcid] = (link.objgen[0], memo[link.objgen])
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
