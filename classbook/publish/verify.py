"""``classbook verify``: every paragraph of the source, verbatim and in order, in each output."""

from __future__ import annotations

import argparse
import functools
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from xml.etree import ElementTree

from docutils.nodes import make_id

from classbook.cli import report, say
from classbook.sources import SourceError, read
from classbook.sources.myst import (
    FORMULA,
    REFERENCE_CLOSE,
    REFERENCE_OPEN,
    as_written,
    formulas_as_one,
)

#: Elements whose text no reader sees as the page's text.
_HIDDEN = {"script", "style", "head", "title", "template", "svg"}
#: What the outputs add inside the source's paragraphs, never its text: a print page's badge
#: (``p. 7``), a footnote's marker (an EPUB shows a link's address as a footnote).
_ADDED_ROLES = {"doc-pagebreak", "doc-noteref"}
_ADDED_CLASSES = {"classbook-page", "footnote-reference"}
#: A footnote's or endnote's body: an output places it (at the end of the page, at the foot),
#: so its text is looked for anywhere, not in the source's order.
_NOTE_ROLES = {"doc-footnote", "doc-endnote"}
#: An address print adds after a link's text (paper cannot be clicked): " (https://…)".
_PRINTED_URL = re.compile(
    # An address may hold a pair of parentheses of its own (Wikipedia's "Fixed_point_(x)").
    r" ?\((?:https?|mailto|ftp):[^()\uff08\uff09]*(?:\([^()]*\)[^()\uff08\uff09]*)*\)"
)
#: What print adds after a cross-reference: " (see p. 13)", in the book's language.
_SEE_PAGE = re.compile(r"\s?\([^()]{0,24}?[0-9\u0660-\u0669]+\)")
_SEE_PAGE_INSIDE = re.compile(
    r"(\([^()]*?[0-9\u0660-\u0669]+)\s?\([^()]{0,24}?[0-9\u0660-\u0669]+\)\)"
)
#: A formula, wherever it is (FORMULA): the web and the EPUB write MathML, print a glyph of
#: a font of its own (classbook/formulas/font.py: code points from U+F0000), one each: two
#: formulas side by side (a table's cells) are two, as on the web.
_PRINTED_FORMULAS = re.compile("[\U000f0000-\U0010fffd]")
#: A footnote's label as the web and the EPUB show it before the note: "[3]".
_LABEL = re.compile(r"^\[[^\]]{1,6}\]\s*")
#: A footnote's marker where print sets the note, at the foot of the page: "3. " (alone, or
#: with the first words of the note).
_MARKER = re.compile(r"^\d{1,4}\.(?:\s|$)")
#: Marks of list items (print draws them apart from the items' text), and spaces.
_BULLETS = " \t\n\u2022\u25e6\u25aa\u2043"
#: Elements that break the text (inline ones, like <em>, join it).
_BLOCKS = {
    *("p", "div", "li", "td", "th", "tr", "table", "ul", "ol", "dl", "dd", "dt", "br", "hr"),
    *("pre", "blockquote", "figure", "figcaption", "caption", "h1", "h2", "h3", "h4", "h5"),
    *("h6", "section", "article", "aside", "nav", "header", "footer", "main", "body"),
}


#: Scripts written without spaces between words: CJK punctuation, kana, Han, full-width forms.
_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"


def fold(text: str) -> str:
    """Fold whitespace as a reader would; undo the line-break hyphens print adds."""
    text = text.replace("\u00ad", "")
    # WeasyPrint breaks words with U+2010 when it hyphenates; a real hyphen is "-".
    text = re.sub(r"\u2010[ \t]*\n\s*", "", text)
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    # A line may break before or after a dash where the text has no space.
    text = re.sub(r"[ \t]*\n\s*(?=[\u2014\u2013])", "", text)
    text = re.sub(r"(?<=[\u2014\u2013])[ \t]*\n\s*", "", text)
    # Chinese and Japanese put no space between words: a line break beside their
    # characters is no space either (CSS Text's segment break rule; print breaks anywhere).
    text = re.sub(rf"[ \t]*\n\s*(?=[{_CJK}])|(?<=[{_CJK}])[ \t]*\n\s*", "", text)
    return " ".join(text.split())


class _Text(HTMLParser):
    """The visible text of an HTML page and the links of its tables of contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._toc = 0
        #: The element we add inside a paragraph being skipped, and how deep in it we are.
        self._added: tuple[str, int] | None = None
        #: The text of each of the page's footnotes (also in ``parts``), and the note being read.
        self.notes: list[list[str]] = []
        self._note: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._added is not None:
            name, depth = self._added
            self._added = (name, depth + (tag == name))
            return
        if dict(attrs).get("role") in _ADDED_ROLES or _ADDED_CLASSES.intersection(classes):
            self._added = (tag, 1)
            return
        if tag == "math":  # one formula, compared as one (see FORMULA), in a note too
            self.parts.append(f" {FORMULA} ")
            if self._note is not None:
                self.notes[-1].append(f" {FORMULA} ")
            self._added = (tag, 1)
            return
        if self._note is not None:
            name, depth = self._note
            self._note = (name, depth + (tag == name))
        elif dict(attrs).get("role") in _NOTE_ROLES:
            self._note = (tag, 1)
            self.notes.append([])
        if tag in _HIDDEN:
            self._hidden += 1
        if self._toc:
            self._toc += 1
        elif "toctree-wrapper" in classes:
            self._toc = 1
        if self._toc and tag == "a" and (href := dict(attrs).get("href")):
            self.links.append(href.split("#")[0])
        if tag in _BLOCKS:
            self._break()

    def _break(self) -> None:
        self.parts.append(" ")
        if self._note is not None:
            self.notes[-1].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._added is not None:
            name, depth = self._added
            if tag == name:
                self._added = (name, depth - 1) if depth > 1 else None
            return
        if self._note is not None and tag == self._note[0]:
            name, depth = self._note
            self._note = (name, depth - 1) if depth > 1 else None
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        if self._toc:
            self._toc -= 1
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._hidden and self._added is None:
            self.parts.append(data)
            if self._note is not None:
                self.notes[-1].append(data)


def html_text(markup: str) -> tuple[str, list[str]]:
    """Folded visible text of a page, and the pages its contents link to, in order."""
    parser = _Text()
    parser.feed(markup)
    return fold("".join(parser.parts)), list(dict.fromkeys(parser.links))


def html_notes(markup: str) -> list[str]:
    """The folded text of each of a page's footnotes and endnotes, without its label."""
    parser = _Text()
    parser.feed(markup)
    return [_LABEL.sub("", fold("".join(note))) for note in parser.notes]


@dataclass
class Finding:
    """How many of the source's units one output holds verbatim and in order."""

    output: str
    total: int
    found: int = 0
    missing: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found == self.total and not self.out_of_order


#: An equation reference in a source unit (classbook.sources.myst.reference_mark).
_REFERENCE = re.compile(f"{REFERENCE_OPEN}([^{REFERENCE_CLOSE}]*){REFERENCE_CLOSE}")
#: A numbered equation on a page of the site: its number and its label.
_EQUATION = re.compile(r'<span class="eqno">(\([^()<]*\))<a class="headerlink" href="#([^"]+)"')


def equation_numbers(markup: str) -> dict[str, str]:
    """The number each equation of a page is shown with ("(3)"), by its element's id."""
    return {anchor: number for number, anchor in _EQUATION.findall(markup)}


def _equation_id(label: str) -> str:
    """The id Sphinx gives the equation labelled ``label`` ("gp_sum": "equation-gp-sum")."""
    return make_id(f"equation-{label}")


def _as_output(unit: str, numbers: dict[str, str] | None = None) -> str:
    """A source unit as the outputs hold it: each formula (marked by the reader) one FORMULA,
    each equation reference its equation's number. Only the unit's own formulas: the same
    TeX as a word elsewhere ($a$, "a") stays a word."""
    known = numbers or {}
    unit = _REFERENCE.sub(
        lambda match: known.get(_equation_id(match.group(1)), match.group(1)), unit
    )
    return fold(formulas_as_one(unit))


def check(
    output: str,
    text: str,
    units: list[str],
    *,
    pdf: bool = False,
    notes: str = "",
    numbers: dict[str, str] | None = None,
) -> Finding:
    """Find each unit in ``text``, each after the one before it (in a ``pdf``, an address
    in parentheses is print's, so none is looked for)."""
    finding = Finding(output, len(units))
    position = 0
    for unit in units:
        folded = _as_output(unit, numbers)
        folded = as_printed(folded) if pdf else folded
        if folded in notes and folded in text:  # a note's body: where its output puts it
            finding.found += 1
            continue
        at = text.find(folded, position)
        if at >= 0:
            finding.found += 1
            position = at + len(folded)
        elif folded in text:
            finding.found += 1
            finding.out_of_order.append(unit)
        else:
            finding.missing.append(unit)
    return finding


def site_pages(site: Path) -> list[str]:
    """The web site's pages in reading order (the contents of its front page), as HTML."""
    front = (site / "index.html").read_text(encoding="utf-8")
    pages = [front]
    for link in html_text(front)[1]:
        page = site / link
        if page.suffix == ".html" and page.is_file() and page.name != "index.html":
            pages.append(page.read_text(encoding="utf-8"))
    return pages


def site_text(site: Path) -> str:
    """The web site's pages in reading order, as text."""
    return " ".join(html_text(page)[0] for page in site_pages(site))


def epub_text(epub: Path) -> str:
    """The EPUB's content documents in spine order, as text."""
    return " ".join(html_text(page)[0] for page in epub_pages(epub))


def epub_pages(epub: Path) -> list[str]:
    """The EPUB's content documents in spine order, as XHTML."""
    with zipfile.ZipFile(epub) as archive:
        container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
        opf_name = next(e.attrib["full-path"] for e in container.iter() if e.get("full-path"))
        opf = ElementTree.fromstring(archive.read(opf_name))
        ns = {"o": "http://www.idpf.org/2007/opf"}
        manifest = opf.findall(".//o:manifest/o:item", ns)
        # cast: every manifest item has an href (EPUB 3; EPUBCheck checks ours).
        items = {i.get("id"): cast(str, i.get("href")) for i in manifest}
        folder = opf_name.rpartition("/")[0]
        pages = []
        for ref in opf.findall(".//o:spine/o:itemref", ns):
            name = f"{folder}/{items[ref.get('idref')]}" if folder else items[ref.get("idref")]
            pages.append(archive.read(name).decode("utf-8"))
    return pages


def _page_text(page: Any) -> tuple[str, str]:
    """A page's running text and the text of its footnotes. Left out: artifacts (running
    heads, page numbers: the PDF/UA tagging marks them so), which would otherwise split a
    paragraph that runs onto the next page; footnote calls, told by their place (digits
    raised, or set smaller than the word before), since digits after a word may be the
    text's own ("第8条", "4 average" after "writes."); a list's bullets, drawn apart."""
    fragments: list[tuple[str, float, float]] = []  # text, baseline, size in points
    artifact: list[bool] = []  # one entry per open marked-content sequence

    def before(operator: bytes, operands: list[Any], *_matrices: Any) -> None:
        if operator in (b"BDC", b"BMC"):
            artifact.append(bool(operands) and operands[0] == "/Artifact")
        elif operator == b"EMC" and artifact:
            artifact.pop()

    def text(fragment: str, matrix: Any, text_matrix: Any, _font: Any, size: float) -> None:
        if any(artifact) or not fragment.strip(_BULLETS):
            return
        y = matrix[5] + text_matrix[5] * matrix[3]
        fragments.append((fragment, y, size * text_matrix[3] * matrix[3]))

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    fragments = [f for i, f in enumerate(fragments) if not _is_call(fragments, i)]
    fragments = _without_late_numbers(fragments)
    split = _footnote_area(fragments)
    return _lines(fragments[:split]), _lines(fragments[split:])


def _without_late_numbers(
    fragments: list[tuple[str, float, float]],
) -> list[tuple[str, float, float]]:
    """Without the numbers of list items drawn after the text below them (print draws an
    item's number last when the item holds blocks such as code): read where they are drawn,
    they would split the text the page ends with."""
    kept: list[tuple[str, float, float]] = []
    lowest = float("inf")
    for fragment in fragments:
        text, y, _points = fragment
        if not (
            _MARKER.match(text.strip() + " ") and text.strip().endswith(".") and y > lowest + 6
        ):
            kept.append(fragment)
        lowest = min(lowest, y)
    return kept


def _is_call(fragments: list[tuple[str, float, float]], index: int) -> bool:
    """Whether the fragment is print's footnote call: digits alone, raised above the text
    before or after it on its line (a call may end a line, or begin one)."""
    fragment, y, _points = fragments[index]
    if not fragment.strip().isdigit():
        return False
    beside = []
    for step in (-1, 1):  # the nearest text each side, past other calls ("37", "38")
        at = index + step
        while 0 <= at < len(fragments) and fragments[at][0].strip().isdigit():
            at += step
        if 0 <= at < len(fragments):
            beside.append(fragments[at][1])
    return any(1.5 < y - other < 8 for other in beside)  # "super": about a third of an em


@functools.cache
def _note_points() -> float:
    """The size print sets footnotes in, as print.css says (``.print-footnote``)."""
    css = (Path(__file__).parents[1] / "themes" / "print" / "static" / "print.css").read_text()
    found = re.search(r"\.print-footnote\s*\{[^}]*?font-size:\s*([\d.]+)pt", css)
    assert found is not None, "print.css sets no size for .print-footnote"
    return float(found.group(1))


def _footnote_area(fragments: list[tuple[str, float, float]]) -> int:
    """Where the page's footnotes begin: WeasyPrint draws them last, below the running text,
    each opening with its marker ("3. ", print.css), in the footnotes' size."""
    lowest = float("inf")
    for index, (fragment, y, points) in enumerate(fragments):
        if index and _MARKER.match(fragment) and y < lowest and abs(points - _note_points()) < 0.3:
            return index
        lowest = min(lowest, y)
    return len(fragments)


def _lines(fragments: list[tuple[str, float, float]]) -> str:
    """Fragments as text: a new line (the baseline moved down a line, or back up to a new
    block) is a break, even where pypdf gives none; a superscript's small rise is not."""
    parts: list[str] = []
    line = 0.0
    for fragment, y, _points in fragments:
        moved = line - y
        if parts and (moved > 6 or moved < -20) and not parts[-1].endswith("\n"):
            parts.append("\n")
        line = y
        parts.append(fragment)
    return "".join(parts)


def as_printed(text: str) -> str:
    """Text as a PDF is compared, the unit looked for and the PDF's alike: without print's
    addresses after links, its "(see p. 13)" after cross-references (a short parenthesis
    ending in a number) and without whitespace (print breaks lines inside addresses and
    code, where the text has no space, and a PDF's text keeps no trace of which breaks were
    spaces)."""
    text = _PRINTED_URL.sub("", text)
    # A cross-reference at the end of the text's own parenthesis ending in a number:
    # "(§0 (see p. 33))" is "(§0)", which the next line takes as the unit's is taken.
    text = _SEE_PAGE_INSIDE.sub(r"\1)", text)
    text = _SEE_PAGE.sub("", text)
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: Path) -> str:
    """The PDF's text in page order (pypdf: it keeps right-to-left ligatures in order),
    without artifacts, as :func:`as_printed` compares it."""
    from pypdf import PdfReader

    pages = [_page_text(page) for page in PdfReader(pdf).pages]
    # The notes after the running text: a paragraph that runs on to the next page reads on.
    text = fold("\n".join([*(body for body, _ in pages), *(notes for _, notes in pages)]))
    return as_printed(_PRINTED_FORMULAS.sub(f" {FORMULA} ", text))


def _config(conf_dir: Path) -> dict[str, Any]:
    """The names conf.py sets (it is read as Sphinx reads it, for the student edition)."""
    from sphinx.config import eval_config_file
    from sphinx.util.tags import Tags

    if not (conf_dir / "conf.py").is_file():  # Sphinx would say it with a traceback
        raise SourceError(conf_dir.resolve() / "conf.py", "no such file: run it in a book's folder")
    return eval_config_file(conf_dir / "conf.py", Tags())


def verify(source_dir: Path, conf_dir: Path, build_dir: Path) -> list[Finding]:
    """Check the published web site, EPUB and student book PDFs against the source."""
    raw = _config(conf_dir)
    document = read(source_dir / raw["classbook_source_document"])
    units = [text for section in document.sections for text in section.texts]
    slug = raw.get("classbook_slug") or str(raw.get("project", "")).lower().replace(" ", "-")
    outputs: dict[str, Callable[[], str]] = {"html": lambda: site_text(build_dir / "html")}
    outputs[f"epub/{slug}.epub"] = lambda: epub_text(build_dir / "epub" / f"{slug}.epub")
    for paper in raw.get("classbook_paper_sizes", ["a4", "letter"]):
        name = f"pdf/{slug}-{paper}.pdf"
        outputs[name] = functools.partial(pdf_text, build_dir / name)
    pages = site_pages(build_dir / "html")
    # The notes' text: an output may place a note's body away from its call (the web and the
    # EPUB at the end of the page, print at the foot of its page), so it is found anywhere.
    notes = [note for page in pages for note in html_notes(page)]
    numbers = {label: n for page in pages for label, n in equation_numbers(page).items()}
    return [
        check(
            name,
            text(),
            units,
            pdf=name.endswith(".pdf"),
            notes=" ".join(as_printed(n) for n in notes)
            if name.endswith(".pdf")
            else " ".join(notes),
            numbers=numbers,
        )
        for name, text in outputs.items()
    ]


def verify_command(args: argparse.Namespace) -> int:
    """Print one line per output; exit 1 if any misses a unit of the source."""
    try:
        findings = verify(args.source_dir, args.conf_dir, args.build_dir)
    except SourceError as error:
        say(f"{error}")
        return 1
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        say(f"{error}; build the book first (make book)")
        return 1
    for finding in findings:
        status = "ok" if finding.ok else "FAILED"
        report(f"{finding.output}: {finding.found}/{finding.total} source texts verbatim, {status}")
        for unit in finding.missing:
            report(f"  missing: {as_written(unit)[:70]!r}")
        for unit in finding.out_of_order:
            report(f"  out of order: {as_written(unit)[:70]!r}")
    return 0 if all(f.ok for f in findings) else 1


def add_commands(commands: Any) -> None:
    """Register ``verify``."""
    parser = commands.add_parser("verify", help="check the source is verbatim in every output")
    parser.add_argument("--source-dir", type=Path, default=Path("book"), help="default: book")
    parser.add_argument("--conf-dir", type=Path, default=Path("."), help="default: .")
    parser.add_argument("--build-dir", type=Path, default=Path("_build"), help="default: _build")
    parser.set_defaults(run=verify_command)
