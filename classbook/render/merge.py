"""One book PDF from its numbered parts: pages, one structure tree, outline, links, names."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, String

from classbook.render.jobs import XREF, Layout
from classbook.render.numbering import Plan, number_tree, xref

# pikepdf's stubs type what attribute access, get() and copy_foreign() give as Object (at run
# time a Dictionary or an Array here): the functions that take or return such values say
# Object, and parent-tree values are Any.


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
        entries = list(number_tree(tree.ParentTree))
        next_key = int(tree.get("/ParentTreeNextKey", _next_key(entries)))
        # pikepdf copies a Dictionary given to Dictionary(); its stubs accept only a Mapping.
        role_map = Dictionary(tree.get("/RoleMap", Dictionary()))  # type: ignore[arg-type]
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


def _document_element(tree: Object) -> Object:
    kids = tree.K
    element = kids[0] if isinstance(kids, Array) else kids
    if not isinstance(kids, Array):
        tree.K = Array([element])
    if not isinstance(element.get("/K"), Array):
        element.K = Array([] if element.get("/K") is None else [element.K])
    return element


def _next_key(entries: list[tuple[int, Any]]) -> int:
    return max((key for key, _ in entries), default=-1) + 1


def _append(
    book: pikepdf.Pdf,
    part: pikepdf.Pdf,
    document: Object,
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
    part_entries = list(number_tree(tree.ParentTree))
    values = _copy(book, part, [value for _, value in part_entries])
    entries += [(key + base, value) for (key, _), value in zip(part_entries, values, strict=True)]
    for role, standard in tree.get("/RoleMap", Dictionary()).items():
        role_map[role] = standard
    return base + int(tree.get("/ParentTreeNextKey", _next_key(part_entries)))


def _copy(book: pikepdf.Pdf, part: pikepdf.Pdf, items: list[Any]) -> Object:
    """``items`` of ``part``, copied into ``book`` (direct objects and the indirect ones
    they reach; qpdf copies indirect objects only, hence the array that holds them)."""
    return book.copy_foreign(part.make_indirect(Array(items)))


# -- Links, outline, destinations ----------------------------------------------------------


def _destination(book: pikepdf.Pdf, page: int, x: float, y: float) -> Array:
    return Array([book.pages[page].obj, Name.XYZ, Decimal(f"{x:.3f}"), Decimal(f"{y:.3f}"), 0])


def _links(
    book: pikepdf.Pdf, anchors: dict[str, tuple[int, float, float]], warnings: list[str]
) -> None:
    """Point every link between parts at its anchor."""
    for page in book.pages:
        for annotation in page.obj.get("/Annots", []):
            name = xref(annotation)
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
