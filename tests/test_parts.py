"""The book PDF laid out in parts and merged: page numbers, links, outline, one tag tree."""

from __future__ import annotations

import multiprocessing
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from conftest import ROOTS, sphinx
from helpers import fold, pdf_pages, print_parts

from classbook import render
from classbook.render import numbering, pdfua
from classbook.render.service import RenderService

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

SECTIONS = 24


@pytest.fixture(scope="module")
def long_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture book with sections of every length (so that headings fall at the top of
    pages, some after their section began at the foot of the page before) and references
    from one chapter to another; each document is a part of its own."""
    src = tmp_path_factory.mktemp("long-src") / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    index = src / "index.md"
    index.write_text(index.read_text().replace(":maxdepth: 1", ":maxdepth: 2"), "utf-8")
    second = src / "chapters" / "02-second.md"
    text = second.read_text()
    for k in range(1, SECTIONS + 1):
        text += f"\n({_label(k)})=\n## Heading number {k}\n\n"
        text += "A sentence of ours to fill the page, one of many. " * (9 * k) + "\n"
    second.write_text(text, "utf-8")
    first = src / "chapters" / "01-first.md"
    refs = " ".join(f"See {{ref}}`{_label(k)}`." for k in (1, SECTIONS // 2, SECTIONS))
    first.write_text(first.read_text() + f"\n{refs}\n", "utf-8")
    last = src / "chapters" / "03-last.md"
    last.write_text(last.read_text() + f"\nBack to {{ref}}`{_label(3)}`.\n", "utf-8")
    out = tmp_path_factory.mktemp("long") / "bookpdf"
    assert sphinx("bookpdf", src, out, extra=("-D", "classbook_paper_sizes=a4")) == 0
    assert not multiprocessing.active_children()  # its render pool stopped with it
    return out


def _label(k: int) -> str:
    return f"heading-{k}"


def _pdf(folder: Path) -> Path:
    return folder / "mini-a4.pdf"


def _heading_page(pages: list[str], title: str) -> int:
    """The number of the page where the heading ``title`` is printed (a line of its own)."""
    found = [n for n, page in enumerate(pages, 1) if title in page.splitlines()]
    assert len(found) == 1, (title, found)
    return found[0]


def test_the_book_is_laid_out_in_parts(long_book: Path) -> None:
    # The front matter and each of the six documents: seven parts, one PDF.
    assert len(print_parts(long_book)) == 7
    assert len(list((long_book / "_parts").glob("*/mini-a4.pdf"))) == 7


def test_contents_give_the_page_of_each_heading(long_book: Path) -> None:
    pages = pdf_pages(_pdf(long_book))
    contents = next(page for page in pages if page.startswith("Contents") or "\nContents" in page)
    at_top = 0
    for k in range(1, SECTIONS + 1):
        title = f"Heading number {k}"
        printed = re.search(re.escape(title) + r"[ .]*(\d+)", contents)
        assert printed, (title, contents)
        page = _heading_page(pages, title)
        assert int(printed.group(1)) == page, title
        # The page's text begins with the heading (the running head is read last).
        at_top += pages[page - 1].splitlines()[0] == title
    assert at_top, "no heading starts a page: the case the fixture is for did not happen"


def test_every_page_prints_its_own_number(long_book: Path) -> None:
    pages = pdf_pages(_pdf(long_book))
    # Body pages end with the running head ("Mini Book" and the chapter), then the number.
    body = [n for n, page in enumerate(pages, 1) if page.splitlines()[-2].startswith("Mini Book")]
    assert len(body) > SECTIONS // 2
    for number in body:
        assert pages[number - 1].splitlines()[-1].strip() == str(number), number


def _link_texts(pdf: Path) -> list[tuple[str, int]]:
    """The printed text of each internal link and the number of the page it leads to."""
    found = []
    with pikepdf.open(pdf) as document, pdfplumber.open(pdf) as plumbed:
        numbers = {page.objgen: n for n, page in enumerate(document.pages, 1)}
        for page, plumbed_page in zip(document.pages, plumbed.pages, strict=True):
            height = float(page.mediabox[3])
            for annotation in page.obj.get("/Annots", []):
                if "/Dest" not in annotation:
                    continue
                x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
                box = (min(x1, x2), height - max(y1, y2), max(x1, x2), height - min(y1, y2))
                text = plumbed_page.crop(box).extract_text() or ""
                found.append((fold(text), numbers[annotation.Dest[0].objgen]))
    return found


def test_references_across_parts_show_and_lead_to_the_heading_page(long_book: Path) -> None:
    pages = pdf_pages(_pdf(long_book))
    links = _link_texts(_pdf(long_book))
    checked = 0
    for index, (text, target) in enumerate(links):
        if match := re.search(r"Heading number (\d+) \(see p\.(?: (\d+)\))?", text):
            heading = _heading_page(pages, f"Heading number {match.group(1)}")
            # A link broken over two lines is two annotations: the number is in the second.
            printed = match.group(2) or re.match(r"\d+", links[index + 1][0]).group()
            assert int(printed) == target == heading, text
            checked += 1
    assert checked == 4  # three from the first chapter, one from the last


def _outline(items: list[pikepdf.OutlineItem], pdf: pikepdf.Pdf) -> list[tuple[str, int]]:
    numbers = {page.objgen: n for n, page in enumerate(pdf.pages, 1)}
    found = []
    for item in items:
        found.append((item.title, numbers[item.destination[0].objgen]))
        found += _outline(list(item.children), pdf)
    return found


def test_outline_has_every_heading_at_its_page(long_book: Path) -> None:
    pages = pdf_pages(_pdf(long_book))
    with pikepdf.open(_pdf(long_book)) as pdf, pdf.open_outline() as outline:
        top = [item.title for item in outline.root]
        marks = _outline(list(outline.root), pdf)
        second = next(item for item in outline.root if item.title == "Second Section")
        nested = [child.title for child in second.children]
    assert "Second Section" in top
    assert nested == [f"Heading number {k}" for k in range(1, SECTIONS + 1)]
    for title, page in marks:
        assert title in pages[page - 1], (title, page)


def test_one_structure_tree_for_the_whole_book(long_book: Path) -> None:
    with pikepdf.open(_pdf(long_book)) as pdf:
        tree = pdf.Root.StructTreeRoot
        kids = tree.K if isinstance(tree.K, pikepdf.Array) else [tree.K]
        assert [str(kid.S) for kid in kids] == ["/Document"]
        nums = tree.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert len(keys) == len(set(keys))
        assert int(tree.ParentTreeNextKey) > max(keys)
        for page in pdf.pages:
            marked = entries[int(page.obj.StructParents)]
            content = pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))
            mcids = {int(m) for m in re.findall(rb"/MCID (\d+)", content)}
            assert mcids and max(mcids) < len(marked)
            for annotation in page.obj.get("/Annots", []):
                element = entries[int(annotation.StructParent)]
                objrs = [k for k in element.K if isinstance(k, pikepdf.Dictionary)]
                assert any(k.Obj.objgen == annotation.objgen for k in objrs)


def test_more_pages_than_digits_fails_naming_the_setting(tmp_path: Path, capsys) -> None:
    src = tmp_path / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    out = tmp_path / "bookpdf"
    extra = ("-D", "classbook_pdf_page_digits=1", "-D", "classbook_paper_sizes=a4")
    assert sphinx("bookpdf", src, out, extra=extra) != 0
    # The builder's own render pool (started as reading began) stopped with the build.
    assert not multiprocessing.active_children()
    err = capsys.readouterr().err
    match = re.search(
        r"mini-a4\.pdf has (\d+) pages, more than its 1-digit page numbers can show", err
    )
    assert match, err
    assert f"set classbook_pdf_page_digits = {len(match.group(1))} in conf.py" in err
    assert not (out / "mini-a4.pdf").exists()


def test_parts_stay_in_the_work_area(mini) -> None:
    # The published folder holds the book PDFs of both editions and nothing else: not the
    # parts they were merged from, nor the print HTML, images and inventory they were
    # laid out from (those stay in the work area).
    folder = mini.out("bookpdf")
    published = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert published == [f"mini{e}-{p}.pdf" for e in ("", "-teacher") for p in ("a4", "letter")]
    assert print_parts(mini.work("bookpdf"))


def test_see_page_for_references_not_for_terms_or_citations(book, long_book: Path) -> None:
    # References to sections and chapters say where they lead; a citation names its source
    # and a glossary term itself, found by name in the bibliography and the glossary.
    text = fold(" ".join(pdf_pages(_pdf(long_book))))
    assert re.search(r"the second chapter \(see p\. \d+\)", text)
    assert "[Doe, n.d.]" in text
    real = fold(" ".join(pdf_pages(book.out("bookpdf") / "homs-massacre-a4.pdf")))
    assert re.search(r"About this edition \(see p\. \d+\)", real)
    assert "Syrian Observatory for Human Rights" in real
    assert "Syrian Observatory for Human Rights (see p." not in real


def _two_part_book(folder: Path) -> render.Book:
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for number in range(2):
        html = folder / f"part-{number}.html"
        html.write_text(
            f'<html lang="en"><head><title>T</title></head><body><h1>Part {number}</h1>'
            f"<p>Text of part {number}.</p></body></html>",
            encoding="utf-8",
        )
        pdf = folder / f"part-{number}.pdf"
        parts.append(render.Job(html, pdf, "a4", roots=(folder,), timeout=120, part=True))
    book = render.Job(parts[0].html, folder / "book.pdf", "a4", roots=(folder,), timeout=120)
    return render.Book(book, tuple(parts))


@pytest.mark.parametrize("in_caller", [True, False])
def test_a_builders_own_pool_merges_in_the_waiting_process_once_its_workers_stop(
    tmp_path: Path, in_caller: bool
) -> None:
    # Under a plain sphinx-build the book is merged in the Sphinx process: the workers, idle
    # by then, are stopped first, so the merge's memory does not come on top of theirs. The
    # build's shared pool (python -m classbook build) merges in a worker and keeps them.
    book = _two_part_book(tmp_path / "book")
    with RenderService(workers=1, merge_in_caller=in_caller) as service:
        [merged] = service.wait([service.submit_book(book)])
        workers_left = bool(multiprocessing.active_children())
        # A job after the merge starts the workers again.
        later = _two_part_book(tmp_path / "later").parts[0]
        [again] = service.wait([service.submit(later)])
    assert workers_left is not in_caller
    assert merged.pages == 2 and again.pages == 1
    pages = pdf_pages(book.job.pdf)
    assert len(pages) == 2
    assert "Part 0" in pages[0] and "Part 1" in pages[1]


def _readable(events) -> list[tuple[str, object]]:
    """Events without their positions, each TJ's array as its items."""
    return [(kind, numbering._tj_items(data) if kind == "TJ" else data) for kind, _, data in events]


def test_numbering_reads_a_parts_bytes_as_pikepdf_parses_them(long_book: Path) -> None:
    # Numbering finds the five operators it needs in the bytes of each page (a regular
    # expression) instead of parsing the page: on every page of every part it must see
    # what pikepdf sees, and each TJ's span must hold that TJ.
    pages = 0
    for part in sorted((long_book / "_parts").glob("*/mini-a4.pdf")):
        with pikepdf.open(part) as pdf:
            for page in pdf.pages:
                raw = page.obj.Contents.read_bytes()
                events = numbering._events_of_bytes(raw)
                assert events is not None, (part, page.index)
                parsed = numbering._events_of_instructions(pikepdf.parse_content_stream(page))
                assert _readable(events) == _readable(parsed)
                for _kind, (start, end), _data in (e for e in events if e[0] == "TJ"):
                    assert raw[start:end].endswith(b"TJ") and raw[start : start + 1] == b"["
                pages += 1
    assert pages > 10


@pytest.mark.parametrize(
    "stream",
    [
        b"/Span <</MCID 0>> BDC BT /F1 12 Tf [(a EMC b)] TJ ET EMC",  # an operator in a string
        b"/Span <</A <</B 1>> /MCID 0>> BDC BT /F1 12 Tf [<0011>] TJ ET EMC",  # nested dict
        b"/Span <</MCID 0>> BDC BT /F#31 12 Tf [<0011>] TJ ET EMC",  # an escaped name
        b"/Span <</MCID 0>> BDC BT /F1 12 Tf [(a(b)c)] TJ ET EMC",  # balanced parentheses
        b"BT /F1 12 Tf [(a\r)] TJ ET",  # a carriage return
    ],
)
def test_numbering_leaves_to_pikepdf_what_its_scanner_cannot_read(stream: bytes) -> None:
    assert numbering._events_of_bytes(stream) is None


def test_the_scanner_reads_past_dash_arrays_at_once() -> None:
    # A dashed border's dash array, "[2.406441 2.406441] 0 d", looks like a TJ's array
    # until its operator: the scanner gives it up without trying every other way to split
    # its numbers (with 40 digits that would not end; a real one took 20 ms, on every page
    # of dashed boxes, in every repair and every numbering).
    digits = b"1234567890" * 4
    stream = b"[" + digits + b" 2.406441] 0 d\n/P <</MCID 3>> BDC BT /F1 9 Tf [<0013>] TJ ET EMC"
    events = numbering._events_of_bytes(stream)
    assert events is not None
    assert [kind for kind, *_ in events] == ["BDC", "Tf", "TJ", "EMC"]
    assert pdfua._artifacts_in_bytes(stream, {3}) == stream.replace(
        b"/P <</MCID 3>> BDC", b"/Artifact <</Type /Pagination>> BDC"
    )


def test_numbering_reads_strings_with_escapes_and_marks_with_their_mcid() -> None:
    stream = (
        b"/Artifact BMC BT /F1 9 Tf [<0013 0013>] TJ ET EMC\n"
        b"/Span << /MCID 7 /Lang (en) >> BDC BT /F2 9.5 Tf [(\\(x\\)\\101\\\\) -20 <0011>] TJ "
        b"ET EMC"
    )
    events = numbering._events_of_bytes(stream)
    assert events is not None
    kinds = [(kind, data) for kind, _, data in events if kind != "TJ"]
    assert kinds == [
        ("BMC", (True, None)),
        ("Tf", "/F1"),
        ("EMC", (False, None)),
        ("BDC", (False, 7)),
        ("Tf", "/F2"),
        ("EMC", (False, None)),
    ]
    arrays = [numbering._tj_items(data) for kind, _, data in events if kind == "TJ"]
    assert arrays == [[b"\x00\x13\x00\x13"], [b"(x)A\\", -20.0, b"\x00\x11"]]


def test_a_books_parts_are_laid_out_before_bigger_documents(tmp_path: Path) -> None:
    # The pool hands out the biggest document first, but a book's parts before any other
    # (in the order they came): a book is numbered and merged only once its last part is
    # laid out, and its small first part must not wait behind every handout.
    book = _two_part_book(tmp_path / "book")
    big = tmp_path / "big.html"
    big.write_text(
        "<html lang='en'><head><title>Big</title></head><body>"
        + "<p>A long handout of ours.</p>" * 400
        + "</body></html>",
        encoding="utf-8",
    )
    handout = render.Job(big, tmp_path / "big.pdf", "a4", roots=(tmp_path,), timeout=120)
    first = _two_part_book(tmp_path / "first").parts[0]
    order: list[str] = []
    with RenderService(workers=1, on_result=lambda r: order.append(r.job.pdf.name)) as s:
        # One worker, busy with the first job: the others wait in the queue.
        futures = [s.submit(first), s.submit(handout), *(s.submit(job) for job in book.parts)]
        s.wait(futures)
    assert order == ["part-0.pdf", "part-0.pdf", "part-1.pdf", "big.pdf"]
    assert [f.result().job.pdf.parent.name for f in futures[2:]] == ["book", "book"]
