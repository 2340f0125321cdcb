"""PDF/UA-1 repairs of WeasyPrint's tagged PDF: links, lists, tables, artifacts, formulas."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Object

from classbook.render import figures, streams

# pikepdf's stubs type what attribute access, get() and iteration give as Object (at run time
# a Dictionary, an Array, or a plain int for a number): functions that take such values take
# Object, and lists that mix structure elements with MCIDs hold Any.

#: Structure types whose elements may stand empty (a cell or list body keeps its place).
KEEP_EMPTY = frozenset({"/TD", "/TH", "/TR", "/Document"})
#: Elements whose structure kids are not their boxes' children (WeasyPrint regroups lists).
LIST_TAGS = frozenset({"ul", "ol", "dl", "li", "dt", "dd"})
#: Row groups WeasyPrint repeats on every page a table spans.
REPEATED_TAGS = frozenset({"thead", "tfoot"})
#: An annotation's Print flag (ISO 32000-1, 12.5.3): printed pages and screens agree.
PRINT_FLAG = 4


def link_texts(document: Any) -> list[list[str]]:
    """The readable text of each link annotation WeasyPrint writes for ``document``, per page.

    WeasyPrint writes one annotation per entry of ``page.links`` of an internal or external
    kind, in that order, leaving out internal links whose anchor is missing (it logs them).
    """
    anchors = {name for page in document.pages for name in page.anchors}
    return [
        [
            _element_text(box.element)
            for kind, target, _, box in page.links
            if kind == "external" or (kind == "internal" and target in anchors)
        ]
        for page in document.pages
    ]


def continuations(document: Any) -> list[list[int]]:
    """How each page continues the boxes of the page before, for :func:`repair`.

    WeasyPrint tags every page apart: an element split across pages (a section, a table, a
    paragraph) becomes one structure element per page. For each page this gives the chain
    of boxes that continue the last box of the page before, outermost first, each as the
    number of the parent's leading children to skip (a table's repeated header) before it;
    empty when the page starts afresh. The first item is the count of the page's top-level
    boxes, which :func:`repair` checks against the structure tree.
    """
    from weasyprint.formatting_structure import boxes

    def top_level(page: Any) -> list[Any]:
        found: list[Any] = []
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox):
                continue
            if child.element_tag == "html":
                for grandchild in child.children:
                    body = grandchild.element_tag == "body"
                    found.extend(grandchild.children if body else [grandchild])
            else:
                found.append(child)
        return found

    def children(box: Any) -> list[Any] | None:
        """The boxes behind a box's structure kids, one each; None where they differ."""
        if box.element_tag in LIST_TAGS or not isinstance(box, boxes.ParentBox):
            return None
        if getattr(box, "is_table_wrapper", False):
            table = box.get_wrapped_table()
            found = [g for c in box.children for g in (c.children if c is table else [c])]
        else:
            found = list(box.children)
        if any(isinstance(child, (boxes.LineBox, boxes.InlineLevelBox)) for child in found):
            return None
        return found

    def same(first: Any, second: Any) -> bool:
        return first.element is not None and (first.element, first.element_tag) == (
            second.element,
            second.element_tag,
        )

    result = []
    previous: list[Any] = []
    for page in document.pages:
        current = top_level(page)
        chain = [len(current)]
        before, after, skip = previous, current, 0
        while before and len(after) > skip and same(before[-1], after[skip]):
            chain.append(skip)
            before, after = children(before[-1]) or [], children(after[skip]) or []
            # A table's header and footer are laid out again on each page it spans.
            repeated = {id(c.element) for c in before if c.element_tag in REPEATED_TAGS}
            skip = 0
            while skip < len(after) and after[skip].element_tag in REPEATED_TAGS:
                if id(after[skip].element) not in repeated:
                    break
                skip += 1
        result.append(chain)
        previous = current
    return result


def _element_text(element: Any) -> str:
    """What a link says: its text, else the alternative text of the image it holds."""
    if element is None:
        return ""
    text = " ".join("".join(element.itertext()).split())
    if text:
        return text
    for child in element.iter():
        if alt := (child.get("alt") or child.get("aria-label") or "").strip():
            return alt
    return ""


def repair(
    path: Path,
    texts: Sequence[Sequence[str]],
    chains: Sequence[Sequence[int]],
    formulas: Sequence[Sequence[str | None]] | None = None,
    glyphs: Mapping[int, str] | None = None,
) -> None:
    """Rewrite the tagged PDF at ``path`` in place so that it meets PDF/UA-1.

    ``texts`` are the links' texts from :func:`link_texts`, ``chains`` the page
    continuations from :func:`continuations`, ``formulas`` which figures are formulas
    (:func:`classbook.render.figures.formula_alts`), ``glyphs`` the speech of each formula
    glyph (:func:`classbook.render.figures.glyph_speech`). The output depends only on the
    input's bytes (no dates, a content-derived /ID): rebuilds stay byte-identical.
    """
    with pikepdf.open(io.BytesIO(path.read_bytes())) as pdf:
        _Repair(pdf, texts, chains, formulas, glyphs).run()
        pdf.save(path, deterministic_id=True, compress_streams=True)


def kids(element: Object) -> list[Any]:
    """An element's /K entries as a list (/K may be one object or an array)."""
    value = element.get("/K")
    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


class _Repair:
    """One pass over a document's structure tree."""

    def __init__(
        self,
        pdf: pikepdf.Pdf,
        texts: Sequence[Sequence[str]],
        chains: Sequence[Sequence[int]],
        formulas: Sequence[Sequence[str | None]] | None = None,
        glyphs: Mapping[int, str] | None = None,
    ) -> None:
        self.pdf = pdf
        self.glyphs = glyphs
        self.texts = texts
        self.chains = chains
        self.formulas = formulas
        #: Header cell ids of dropped repeated headers -> the ids of the headers they repeat.
        self.header_ids: dict[str, Object] = {}
        tree = pdf.Root.StructTreeRoot.ParentTree
        # WeasyPrint writes a flat number tree: pairs of key and value in /Nums.
        if "/Kids" in tree:
            raise ValueError("unexpected /ParentTree with /Kids")
        nums = list(tree.Nums)
        self.parents: dict[int, Any] = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        self.page_keys = {page.obj.objgen: int(page.StructParents) for page in pdf.pages}

    def run(self) -> None:
        self.readable_links()
        root = self.pdf.Root.StructTreeRoot
        if self.formulas is not None:
            self.tag_formulas(root, self.formulas)
        if self.glyphs:
            self.tag_glyph_formulas(self.glyphs)
        self.join_pages(root)
        reachable = {element.objgen for element in self.elements(root)}
        self.artifacts(reachable)
        self.merge_nested_links(root, inside_link=False)
        for element in list(self.elements(root)):
            if element.S == "/LI":
                self.list_item(element)
            elif element.S == "/TH":
                self.header_scope(element)
            elif element.S == "/TD":
                self.header_references(element)
        self.drop_empty(root)
        nums = [item for key in sorted(self.parents) for item in (key, self.parents[key])]
        root.ParentTree.Nums = Array(nums)

    # -- Walking ---------------------------------------------------------------------------

    def elements(self, parent: Object) -> Iterator[Dictionary]:
        """Every structure element under ``parent``, depth first, in reading order."""
        for kid in kids(parent):
            if _is_element(kid):
                yield kid
                yield from self.elements(kid)

    def set_kids(self, element: Object, new: list[Any]) -> None:
        """Give ``element`` these kids, pointing each one (and the parent tree) back at it."""
        element.K = Array(new)
        for kid in new:
            if _is_element(kid):
                kid.P = element
            elif isinstance(kid, int) or _is_mcr(kid):
                page = kid.Pg if _is_mcr(kid) else element.Pg
                mcid = int(kid.MCID) if _is_mcr(kid) else int(kid)
                self.parents[self.page_keys[page.objgen]][mcid] = element
            elif _is_objr(kid):
                self.parents[int(kid.Obj.StructParent)] = element

    # -- Formulas --------------------------------------------------------------------------

    def tag_formulas(self, root: Object, formulas: Sequence[Sequence[str | None]]) -> None:
        """A formula's drawing is a /Formula, not a /Figure (PDF/UA-1 7.7), its /Alt the
        spoken text WeasyPrint took from the SVG's <title>; its /BBox stays."""
        by_page: dict[tuple[int, int], list[Dictionary]] = {}
        for element in self.elements(root):
            if element.get("/S") == "/Figure":
                by_page.setdefault(element.Pg.objgen, []).append(element)
        for number, (page, alts) in enumerate(zip(self.pdf.pages, formulas, strict=True)):
            figures = by_page.get(page.obj.objgen, [])
            if len(figures) != len(alts):
                raise ValueError(f"page {number + 1}: {len(figures)} figures, {len(alts)} boxes")
            for figure, speech in zip(figures, alts, strict=True):
                if speech is None:
                    continue
                if str(figure.get("/Alt", "")) != speech:
                    raise ValueError(f"page {number + 1}: a formula's /Alt is not its speech")
                figure.S = Name.Formula

    def tag_glyph_formulas(self, glyphs: Mapping[int, str]) -> None:
        """A formula drawn as a glyph: WeasyPrint's Span > Span > glyph becomes one /Formula
        with /Alt = the spoken text of that glyph's formula."""
        for page in self.pdf.pages:
            mapping = self.parents[int(page.StructParents)]
            for mcid, glyph in dict(figures.glyph_marks(page)).items():
                if glyph not in glyphs:
                    raise ValueError(f"glyph {glyph} of the formula font is no formula")
                inner = mapping[mcid]
                outer = inner.get("/P")
                target = inner
                if outer is not None and outer.get("/S") == "/Span" and len(kids(outer)) == 1:
                    self.set_kids(outer, kids(inner))
                    target = outer
                target.S = Name.Formula
                target.Alt = pikepdf.String(glyphs[glyph])

    # -- Elements split across pages --------------------------------------------------------

    def join_pages(self, root: Object) -> None:
        """One structure element per element of the HTML, not one per page it spans."""
        (document,) = kids(root)
        by_page: dict[tuple[int, int], list[Object]] = {}
        for element in kids(document):
            by_page.setdefault(element.Pg.objgen, []).append(element)
        pages = [by_page.get(page.obj.objgen, []) for page in self.pdf.pages]
        for number, (elements, chain) in enumerate(zip(pages, self.chains, strict=True)):
            if len(elements) != chain[0]:
                raise ValueError(f"page {number + 1}: {len(elements)} elements, {chain[0]} boxes")
        top = kids(document)
        # From the last page back: a page's first element may carry what it took in from
        # the next page, and its own kids before them keep their places.
        for number in range(len(pages) - 1, 0, -1):
            chain = self.chains[number][1:]
            if not chain:
                continue
            before, after = pages[number - 1][-1], pages[number][0]
            top = [kid for kid in top if kid.objgen != after.objgen]
            for level in range(len(chain)):
                rest = kids(after)
                if level + 1 == len(chain):
                    self.set_kids(before, kids(before) + rest)
                    break
                skip = chain[level + 1]
                for repeated in rest[:skip]:
                    self.forget_repeated(before, repeated)
                last = kids(before)[-1]
                self.set_kids(before, kids(before) + rest[skip + 1 :])
                before, after = last, rest[skip]
        self.set_kids(document, top)

    def forget_repeated(self, table: Object, repeated: Object) -> None:
        """A header laid out again on a later page is pagination: it leaves the tree (its
        content becomes an artifact) and its cells' ids stand for the first header's."""
        first = next((kid for kid in kids(table) if _is_element(kid) and kid.S == repeated.S), None)
        if first is None:
            return
        cells = [e for e in self.elements(first) if e.S == "/TH" and "/ID" in e]
        again = [e for e in self.elements(repeated) if e.S == "/TH" and "/ID" in e]
        for old, new in zip(again, cells, strict=False):
            self.header_ids[str(old.ID)] = new.ID

    def header_references(self, cell: Dictionary) -> None:
        attributes = cell.get("/A")
        if not isinstance(attributes, Dictionary) or "/Headers" not in attributes:
            return
        ids = []
        for ref in attributes.Headers:
            target = ref
            # Pages join from the last back: a header repeats one that repeats the first.
            while str(target) in self.header_ids:
                target = self.header_ids[str(target)]
            ids.append(target)
        attributes.Headers = Array(list(dict.fromkeys(ids)))

    # -- Links -----------------------------------------------------------------------------

    def readable_links(self) -> None:
        """/Contents says what the link says, not its target (an anchor id or an address)."""
        for page, texts in zip(self.pdf.pages, self.texts, strict=True):
            links = [a for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
            if len(links) < len(texts):
                raise ValueError(f"{len(links)} link annotations for {len(texts)} links")
            for annotation, text in zip(links, texts, strict=False):
                if text:
                    annotation.Contents = pikepdf.String(text)
                annotation.F = PRINT_FLAG

    def merge_nested_links(self, element: Object, *, inside_link: bool) -> None:
        """Inside a Link, drop WeasyPrint's duplicate annotations and unwrap inner Links.

        WeasyPrint gives every box inside ``<a>`` (an inner ``<span>``, ``::after``, a
        leader) an annotation of its own for the same target, tagged in that box's element:
        the outer Link's annotation already covers them.
        """
        is_link = element.get("/S") == "/Link"
        new: list[Any] = []
        changed = False
        for kid in kids(element):
            if _is_objr(kid) and inside_link:
                self.drop_annotation(kid)
                changed = True
            elif _is_element(kid):
                self.merge_nested_links(kid, inside_link=inside_link or is_link)
                if (inside_link or is_link) and kid.S == "/Link":
                    new.extend(kids(kid))
                    changed = True
                else:
                    new.append(kid)
            else:
                new.append(kid)
        if changed:
            self.set_kids(element, new)

    def drop_annotation(self, objr: Dictionary) -> None:
        annotation = objr.Obj
        self.parents.pop(int(annotation.StructParent), None)
        page = objr.Pg
        page.Annots = Array([a for a in page.Annots if a.objgen != annotation.objgen])

    # -- Running heads and page numbers ----------------------------------------------------

    def artifacts(self, reachable: set[tuple[int, int]]) -> None:
        """Content tagged into elements outside the tree becomes /Artifact /Pagination.

        WeasyPrint tags the text of margin boxes (running heads, page numbers, running
        elements) but leaves their elements out of the tree, so they are neither content
        nor artifacts.
        """
        for page in self.pdf.pages:
            key = int(page.StructParents)
            mapping = self.parents[key]
            orphans = set()
            for mcid, element in enumerate(mapping):
                if isinstance(element, Dictionary) and element.objgen not in reachable:
                    orphans.add(mcid)
                    mapping[mcid] = None
            if orphans:
                self.mark_artifacts(page, orphans)
            # Annotations tagged into those elements are running content too (no links in
            # page margins can be reached by a screen reader): they go.
            for annotation in list(page.get("/Annots", [])):
                parent = self.parents.get(int(annotation.get("/StructParent", -1)))
                if isinstance(parent, Dictionary) and parent.objgen not in reachable:
                    self.parents.pop(int(annotation.StructParent))
                    page.Annots = Array([a for a in page.Annots if a.objgen != annotation.objgen])

    def mark_artifacts(self, page: pikepdf.Page, mcids: set[int]) -> None:
        contents = page.obj.get("/Contents")
        if isinstance(contents, pikepdf.Stream):
            raw = contents.read_bytes()
            if (marked := _artifacts_in_bytes(raw, mcids)) is not None:
                page.Contents = self.pdf.make_stream(marked)
                return
        # A stream the byte scanner cannot read one for one: pikepdf parses it (slower:
        # a seventh of a part's render went to this).
        operations = []
        for instruction in pikepdf.parse_content_stream(page):
            operands, operator = instruction.operands, instruction.operator
            if (
                operator == pikepdf.Operator("BDC")
                and isinstance(operands[1], Dictionary)
                and int(operands[1].get("/MCID", -1)) in mcids
            ):
                artifact = [Name.Artifact, Dictionary(Type=Name.Pagination)]
                operations.append(pikepdf.ContentStreamInstruction(artifact, operator))
            else:
                operations.append(pikepdf.ContentStreamInstruction(operands, operator))
        page.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(operations))

    # -- Lists and tables ------------------------------------------------------------------

    def list_item(self, item: Dictionary) -> None:
        """LI > Lbl, LBody: WeasyPrint puts an item's paragraphs and text beside its Lbl."""
        labels = [kid for kid in kids(item) if _is_element(kid) and kid.S == "/Lbl"]
        rest = [kid for kid in kids(item) if not (_is_element(kid) and kid.S == "/Lbl")]
        if all(_is_element(kid) and kid.S == "/LBody" for kid in rest) and len(rest) <= 1:
            return
        content: list[Any] = []
        for kid in rest:
            content.extend(kids(kid) if _is_element(kid) and kid.S == "/LBody" else [kid])
        body = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.LBody, Pg=item.Pg))
        self.set_kids(body, content)
        self.set_kids(item, [*labels, body])

    @staticmethod
    def header_scope(cell: Dictionary) -> None:
        """TH /Scope: WeasyPrint writes none, and links a column's header to no cell when
        that column holds only row headers."""
        row = cell.get("/P")
        group = row.get("/P") if row is not None else None
        scope = Name.Column if group is not None and group.S == "/THead" else Name.Row
        attributes = cell.get("/A")
        if attributes is None:
            cell.A = Dictionary(O=Name.Table, Scope=scope)
        elif isinstance(attributes, Dictionary) and "/Scope" not in attributes:
            attributes.Scope = scope

    # -- Empty elements --------------------------------------------------------------------

    def drop_empty(self, parent: Object) -> bool:
        """Remove elements with no content, kids or alternative text (empty inline boxes);
        True when ``parent`` itself is now empty."""
        new = []
        for kid in kids(parent):
            empty = _is_element(kid) and self.drop_empty(kid) and kid.S not in KEEP_EMPTY
            if empty and "/Alt" not in kid and "/ActualText" not in kid:
                continue
            new.append(kid)
        if len(new) != len(kids(parent)):
            parent.K = Array(new)
        return not new


#: What marks a running head's or page number's content (a BDC's tag and properties).
_PAGINATION = b"/Artifact <</Type /Pagination>> BDC"


def _artifacts_in_bytes(raw: bytes, mcids: set[int]) -> bytes | None:
    """``raw`` with the marked content of ``mcids`` tagged as pagination artifacts, or
    None when classbook.render.streams.scan cannot read its operators one for one."""
    matches = streams.scan(raw)
    if matches is None:
        return None
    out, at = [], 0
    for match in matches:
        if match.lastgroup == "bdc" and match["mcid"] is not None and int(match["mcid"]) in mcids:
            start, end = match.span("bdc")
            out += [raw[at:start], _PAGINATION]
            at = end
    out.append(raw[at:])
    return b"".join(out)


def _is_element(kid: Any) -> bool:
    return isinstance(kid, Dictionary) and kid.get("/Type", Name.StructElem) == Name.StructElem


def _is_objr(kid: Any) -> bool:
    return isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR


def _is_mcr(kid: Any) -> bool:
    return isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR
