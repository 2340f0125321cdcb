"""PDF/UA-1: page-validation and outloud on every PDF we publish; the repairs of pdfua.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import page
import pikepdf
import pytest
from weasyprint import HTML

from classbook import render
from classbook.outputs import PAPER_SIZES
from classbook.render import pdfua, worker

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

#: The folders of a build that hold the PDFs we publish.
PUBLISHED = ("pdf", "handouts", "packets")


def published(build) -> list[Path]:
    return sorted(p for folder in PUBLISHED for p in (build.root / folder).glob("*.pdf"))


def failed_rules(pdf: Path) -> dict[str, str]:
    report = page.validate_pdf(pdf, profile=page.ValidationProfile.PDF_UA_1)
    return {failure.rule_id: failure.message for failure in report.failures}


def outloud_errors(pdfs: list[Path], out: Path) -> dict[str, list[tuple[str, str]]]:
    """outloud's errors by file, each as its rule and evidence (its own command line)."""
    # The command beside this interpreter: the one the dev requirements install.
    outloud = Path(sys.executable).with_name("outloud")
    done = subprocess.run(
        [str(outloud), "--json", str(out), "-q", *map(str, pdfs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.is_file(), done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert len(results) == len(pdfs)
    errors = {}
    for result in results:
        assert result["error"] is None, (result["path"], result["error"])
        errors[result["path"]] = [
            (finding["rule"], str(finding.get("evidence")))
            for finding in result["findings"]
            if finding["severity"] == "error"
        ]
    return errors


#: outloud's "prose marked /Artifact" heuristic: it takes a running head or footer for
#: prose when the line has 8 words or more, 4 of them lower-case, and recurs on fewer than
#: 3 pages: the fixture book's one-page handouts' footer. It is a pagination artifact, as
#: PDF/UA asks. (The packets' head names only the chapter for this reason; the real book's
#: PDFs have no outloud error at all.)
RUNNING_AS_PROSE = "TAG-002"


def assert_no_outloud_errors(errors: dict[str, list[tuple[str, str]]]) -> None:
    """No error but the running-line heuristic, and that one only on running lines: the
    line starts with the document's title or the book's (the running heads' words)."""
    for path, found in errors.items():
        with pikepdf.open(path) as pdf:
            titles = str(pdf.docinfo.get("/Title", "")).split(" — ")
        for rule, evidence in found:
            assert rule == RUNNING_AS_PROSE, (path, rule, evidence)
            assert any(evidence.startswith(title) for title in titles), (path, evidence)


# -- Every published PDF -------------------------------------------------------------------


def test_fixture_book_pdfs_fail_no_pdfua_rule(mini) -> None:
    pdfs = published(mini)
    assert {p.parent.name for p in pdfs} >= {"pdf", "handouts"}
    for pdf in pdfs:
        assert failed_rules(pdf) == {}, pdf.name


def test_fixture_book_pdfs_outloud(mini, tmp_path: Path) -> None:
    assert_no_outloud_errors(outloud_errors(published(mini), tmp_path / "outloud.json"))


def test_real_book_pdfs_fail_no_pdfua_rule(book) -> None:
    pdfs = published(book)
    assert {p.parent.name for p in pdfs} == set(PUBLISHED)
    failures = {pdf.name: rules for pdf in pdfs if (rules := failed_rules(pdf))}
    assert failures == {}


def test_real_book_pdfs_outloud(book, tmp_path: Path) -> None:
    pdfs = published(book)
    errors = outloud_errors(pdfs, tmp_path / "outloud.json")
    assert {p: e for p, e in errors.items() if e} == {}  # not one, in any published PDF


# -- The repairs, on minimal documents -------------------------------------------------------

PAGE = "@page { size: A6; margin: 20mm 10mm; @top-center { content: 'Running head' } }"


def make_pdf(tmp_path: Path, body: str, css: str = "") -> Path:
    """``body`` rendered and repaired as the render worker does."""
    html = f"<html lang='en'><head><title>Test</title><style>{PAGE}{css}</style></head>"
    document = HTML(string=f"{html}<body>{body}</body></html>").render()
    pdf = tmp_path / "test.pdf"
    document.write_pdf(pdf, pdf_variant=render.PDF_VARIANT)
    pdfua.repair(pdf, pdfua.link_texts(document), pdfua.continuations(document))
    return pdf


def elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    def walk(parent: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
        for kid in pdfua.kids(parent):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR":
                yield kid
                yield from walk(kid)

    return walk(pdf.Root.StructTreeRoot)


def of_type(pdf: pikepdf.Pdf, kind: str) -> list[pikepdf.Dictionary]:
    return [element for element in elements(pdf) if kind == element.S]


def test_link_has_one_annotation_inside_its_link_with_its_text(tmp_path: Path) -> None:
    pdf_path = make_pdf(
        tmp_path,
        '<p>See <a href="https://example.org/"><span>the example site</span></a> and '
        '<a href="#end">the end</a>.</p><p id="end">End.</p>',
        "a::after { content: ' (more)' }",
    )
    assert failed_rules(pdf_path) == {}
    with pikepdf.open(pdf_path) as pdf:
        annotations = list(pdf.pages[0].Annots)
        # WeasyPrint wrote one more for the span inside the first link and one for each
        # ::after box; a link broken over two lines keeps one annotation per line.
        contents = [str(a.Contents) for a in annotations]
        assert contents[0] == "the example site"
        assert set(contents[1:]) == {"the end"}
        assert all(int(a.F) & pdfua.PRINT_FLAG for a in annotations)
        links = of_type(pdf, "/Link")
        assert len(links) == len(annotations)
        for link, annotation in zip(links, annotations, strict=True):
            objrs = [k for k in pdfua.kids(link) if isinstance(k, pikepdf.Dictionary)]
            objrs = [k for k in objrs if k.get("/Type") == "/OBJR"]
            assert [o.Obj.objgen for o in objrs] == [annotation.objgen]
            tree = pdf.Root.StructTreeRoot.ParentTree.Nums
            numbers = dict(zip(tree[::2], tree[1::2], strict=True))
            assert numbers[int(annotation.StructParent)].objgen == link.objgen
        # No Link nests in another.
        for link in links:
            inner = [e for e in _descendants(link) if e.S == "/Link"]
            assert inner == []


def _descendants(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    for kid in pdfua.kids(element):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/OBJR", "/MCR"):
            yield kid
            yield from _descendants(kid)


def test_list_items_hold_a_label_and_a_body(tmp_path: Path) -> None:
    pdf_path = make_pdf(
        tmp_path,
        "<ul><li>one</li><li><p>two</p><p>three</p></li></ul><ol><li>four</li></ol>",
        "li::after { content: ''; display: block; height: 5mm }",
    )
    assert failed_rules(pdf_path) == {}
    with pikepdf.open(pdf_path) as pdf:
        items = of_type(pdf, "/LI")
        assert len(items) == 3
        for item in items:
            assert [str(k.S) for k in pdfua.kids(item)] == ["/Lbl", "/LBody"]


def test_running_head_is_a_pagination_artifact(tmp_path: Path) -> None:
    pdf_path = make_pdf(tmp_path, "<p>Body text.</p>")
    assert failed_rules(pdf_path) == {}
    with pikepdf.open(pdf_path) as pdf:
        operations = pikepdf.parse_content_stream(pdf.pages[0], "BDC")
        tags = [str(operands[0]) for operands, _ in operations]
        assert "/Artifact" in tags
        artifact = next(o for o, _ in operations if str(o[0]) == "/Artifact")
        assert artifact[1].Type == "/Pagination"
        # Every MCID left in the page's content belongs to an element of the tree.
        reachable = {e.objgen for e in elements(pdf)}
        tree = pdf.Root.StructTreeRoot.ParentTree.Nums
        page_parents = dict(zip(tree[::2], tree[1::2], strict=True))[0]
        mcids = [int(o[1].MCID) for o, _ in operations if "/MCID" in o[1]]
        assert mcids
        assert all(page_parents[m].objgen in reachable for m in mcids)


def _operations(pdf_path: Path) -> list[list[tuple[list[str], str]]]:
    with pikepdf.open(pdf_path) as pdf:
        return [
            [
                ([str(o) for o in operands], str(op))
                for operands, op in pikepdf.parse_content_stream(p)
            ]
            for p in pdf.pages
        ]


def test_running_heads_are_marked_in_the_bytes_as_pikepdf_would(tmp_path, monkeypatch) -> None:
    # The artifacts are marked in the content stream's bytes (pikepdf's parse was a
    # seventh of a render); a stream the scanner cannot read one for one is parsed.
    body = "<h1>Title</h1>" + "<p>Body text, <a href='#x'>a link</a>.</p>" * 60 + "<p id=x>x</p>"
    for folder in ("bytes", "parsed"):
        (tmp_path / folder).mkdir()
    as_bytes = _operations(make_pdf(tmp_path / "bytes", body))
    parsed = pdfua._artifacts_in_bytes
    monkeypatch.setattr(pdfua, "_artifacts_in_bytes", lambda raw, mcids: None)
    assert _operations(make_pdf(tmp_path / "parsed", body)) == as_bytes
    artifacts = [
        ops for page in as_bytes for ops, op in page if op == "BDC" and ops[0] == "/Artifact"
    ]
    assert len(as_bytes) > 1 and len(artifacts) >= len(as_bytes)
    # A carriage return can only stand in a string: those bytes are left to pikepdf.
    escaped = rb"/P <</MCID 0>> BDC (a\rb) Tj EMC"
    assert parsed(escaped, {0}) is not None
    assert parsed(escaped.replace(rb"\r", b"\r"), {0}) is None
    assert parsed(b"/P <</MCID 0>> BDC (x) Tj EMC /P <</MCID 1>> BDC", {1}) == (
        b"/P <</MCID 0>> BDC (x) Tj EMC /Artifact <</Type /Pagination>> BDC"
    )


def test_table_across_pages_is_one_table_with_one_header(tmp_path: Path) -> None:
    rows = "".join(f"<tr><th>Row {n}</th><td>Cell {n}</td></tr>" for n in range(40))
    pdf_path = make_pdf(
        tmp_path,
        "<table><caption>Long table</caption><thead><tr><th>Name</th><th>Value</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>",
    )
    assert failed_rules(pdf_path) == {}
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) > 1
        (table,) = of_type(pdf, "/Table")
        assert [str(k.S) for k in pdfua.kids(table)] == ["/Caption", "/THead", "/TBody"]
        assert len(of_type(pdf, "/TR")) == 41
        scopes = [str(cell.A.Scope) for cell in of_type(pdf, "/TH")]
        assert scopes == ["/Column"] * 2 + ["/Row"] * 40
        ids = {str(cell.ID) for cell in of_type(pdf, "/TH") if "/ID" in cell}
        for cell in of_type(pdf, "/TD"):
            assert {str(ref) for ref in cell.A.get("/Headers", [])} <= ids


def test_figure_alt_from_svg_title(tmp_path: Path) -> None:
    pdf_path = make_pdf(
        tmp_path,
        '<div><svg width="20" height="20"><title>QR code linking to https://example.org/'
        '</title><rect width="20" height="20"/></svg></div>',
    )
    assert failed_rules(pdf_path) == {}
    with pikepdf.open(pdf_path) as pdf:
        (figure,) = of_type(pdf, "/Figure")
        assert str(figure.Alt) == "QR code linking to https://example.org/"


def test_repair_is_reproducible(tmp_path: Path) -> None:
    body = '<ul><li><a href="https://example.org/">one</a></li></ul>' + "<p>text</p>" * 30
    first = make_pdf(tmp_path, body).read_bytes()
    assert make_pdf(tmp_path, body).read_bytes() == first


@pytest.mark.parametrize("paper", sorted(PAPER_SIZES))
def test_render_worker_repairs(tmp_path: Path, paper: str) -> None:
    html = tmp_path / "page.html"
    html.write_text(
        "<html lang='en'><head><title>T</title></head><body>"
        '<ul><li><a href="https://example.org/"><span>one</span></a></li></ul></body></html>',
        encoding="utf-8",
    )
    job = render.Job(html, tmp_path / "page.pdf", paper, roots=(tmp_path,))
    worker.Renderer().render(job)
    assert failed_rules(job.pdf) == {}
