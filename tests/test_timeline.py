"""The timeline: drawn at build time, reproducible, black-and-white, in every output."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, sphinx
from helpers import epub_documents, pdf_text, print_book, replace_once

from classbook.ext import chart, yamldata
from classbook.ext import events as timeline_events

EVENTS = ROOT / "book" / "_data" / "timeline.yml"
MINI_LABELS = ("Early mini event", "Date in the source", "Report published")
#: The events the brief requires, by a word of their label and their date.
REQUIRED = {
    ("Hama massacre", "1982-02-02"),
    ("Protests", "2011-03-15"),
    ("Karm el-Zeitoun", "2012-01-26"),
    ("Arab League", "2012-01-28"),
    ("Hama anniversary", "2012-02-02"),
    ("Khalidiya", "2012-02-03"),
    ("Security Council", "2012-02-04"),
    ("Baba Amr", "2012-03-01"),
    ("Karm el-Zeitoun", "2012-03-11"),
    ("Houla", "2012-05-25"),
}


class _AnyKey(dict):
    def __contains__(self, key: object) -> bool:
        return True


def _events(path: Path = EVENTS) -> list[timeline_events.Event]:
    events, problems = timeline_events.parse_events(yamldata.load(path), _AnyKey(), [])
    assert problems == []
    return events


def _squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text)


def _check(src: Path, tmp_path: Path) -> int:
    return sphinx("dummy", src, tmp_path / "out", doctrees=tmp_path / "doctrees")


# -- Data and drawing -------------------------------------------------------------------------


def test_book_timeline_has_the_required_events() -> None:
    events = _events()
    found = {(e.label, e.start.isoformat()) for e in events}
    for word, when in REQUIRED:
        assert any(word in label and start == when for label, start in found), (word, when)
    assert all(event.sources for event in events)


def test_dates_in_words() -> None:
    def event(start: str, end: str | None = None, precision: str = "day") -> timeline_events.Event:
        return timeline_events.Event(
            date.fromisoformat(start),
            date.fromisoformat(end) if end else None,
            precision,
            "x",
            "",
            ("k",),
            1,
        )

    assert timeline_events.format_date(event("2012-02-03", "2012-02-04")) == "3–4 February 2012"
    assert timeline_events.format_date(event("2012-02-28", "2012-03-02"), short=True) == (
        "28 Feb – 2 Mar 2012"
    )
    assert timeline_events.format_date(event("2011-03-15", precision="month")) == "March 2011"
    assert timeline_events.format_date(event("2011-03-15", precision="year")) == "2011"
    assert timeline_events.format_date(event("2012-05-25")) == "25 May 2012"


def test_far_apart_years_get_their_own_panels() -> None:
    groups = timeline_events.clusters(_events())
    assert [timeline_events.years(group) for group in groups] == ["1982", "2011", "2012"]


def test_svg_is_reproducible_and_black_and_white() -> None:
    events = _events()
    svg = chart.render_svg(events)
    assert svg == chart.render_svg(events), "the same data must give the same bytes"
    text = svg.decode("utf-8")
    assert "Matplotlib" in text  # drawn by the plotting library, not by hand
    assert "<dc:date>" not in text
    colours = set(re.findall(r"#([0-9a-fA-F]{6})\b", text))
    assert colours, "expected explicit colours"
    for colour in colours:
        red, green, blue = (colour[i : i + 2].lower() for i in (0, 2, 4))
        assert red == green == blue, f"#{colour} is not a grey: meaning must not need colour"


def test_dollar_signs_in_a_label_are_printed_as_written() -> None:
    # A real label: matplotlib's mathtext would read "$5 to $" as a formula (or fail).
    events = _events()
    label = "Prices rose from $5 to $10"
    events[0] = dataclasses.replace(events[0], label=label)
    svg = chart.render_svg(events).decode("utf-8")
    # Text is drawn as glyph paths named by the font and the character's code point: the
    # dollar signs in the book's face, and nothing in mathtext's faces.
    fonts = set(re.findall(r'href="#([A-Za-z-]+)-[0-9a-f]+"', svg))
    assert fonts == {"NotoSans-Regular", "NotoSans-Bold"}, fonts
    assert re.search(r'href="#NotoSans-Regular-24"', svg)
    assert timeline_events.alt_text(events).count("$") == 2


def test_alt_text_summarises_the_chart() -> None:
    alt = timeline_events.alt_text(_events())
    assert alt.startswith("Timeline chart of 11 dated events in 3 panels")
    assert "Houla" in alt
    assert "table" in alt


# -- The fixture book: HTML, EPUB, PDF ----------------------------------------------------------


def _figure_and_table(html: str) -> tuple[BeautifulSoup, BeautifulSoup]:
    soup = BeautifulSoup(html, "html.parser")
    figure = soup.select_one("figure.timeline-figure")
    assert figure is not None
    # The web theme wraps tables in a scrolling container: the next table, not sibling.
    table = figure.find_next("table")
    assert table is not None and "timeline-table" in table["class"]
    return figure, table


def _assert_figure(figure: BeautifulSoup, events: int) -> str:
    image = figure.find("img")
    assert image["alt"].startswith(f"Timeline chart of {events} dated events")
    assert image["src"].endswith(".svg")
    assert figure.find("figcaption").get_text(strip=True).startswith("Timeline")
    return image["src"]


def _assert_table(table: BeautifulSoup, labels: tuple[str, ...]) -> None:
    assert "events of the timeline" in table.caption.get_text()
    heads = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    assert heads == ["Date", "Event", "Sources"]
    rows = table.tbody.find_all("tr")
    assert len(rows) == len(labels)
    for row, label in zip(rows, labels, strict=True):
        assert row.find("th") is not None  # the date heads the row
        assert label in row.get_text(" ")
        assert row.find("a", href=True) is not None  # the citation links to the bibliography


def test_timeline_in_html(mini) -> None:
    out = mini.out("html")
    figure, table = _figure_and_table((out / "timeline.html").read_text(encoding="utf-8"))
    src = _assert_figure(figure, 3)
    svg = out / src
    assert svg.is_file()
    assert svg.read_bytes().lstrip().startswith(b"<?xml")
    _assert_table(table, MINI_LABELS)


def test_timeline_in_epub(mini) -> None:
    epub = mini.out("epub") / "mini.epub"
    page = next(t for n, t in epub_documents(epub).items() if n.endswith("timeline.xhtml"))
    figure, table = _figure_and_table(page)
    src = _assert_figure(figure, 3)
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        opf = archive.read(next(n for n in names if n.endswith(".opf"))).decode("utf-8")
    assert src.removeprefix("../") in names
    assert re.search(r'href="_images/timeline-[0-9a-f]+\.svg"[^>]*image/svg\+xml', opf)
    _assert_table(table, MINI_LABELS)


def test_timeline_in_book_pdf(mini) -> None:
    out = mini.work("bookpdf")
    figure, table = _figure_and_table(str(print_book(out)))
    assert (out / _assert_figure(figure, 3)).is_file()
    _assert_table(table, MINI_LABELS)
    text = _squash(pdf_text(out / "mini-a4.pdf"))
    for words in ("The events of the timeline", *MINI_LABELS, "June 1990", "4–6 March 2001"):
        assert _squash(words) in text, words


def test_unchanged_fixture_passes(mini_copy: Path, tmp_path: Path, capsys) -> None:
    assert _check(mini_copy, tmp_path) == 0, capsys.readouterr().err


# -- Bad events fail the build, naming the file and the line ----------------------------------


BAD_EVENTS = {
    "impossible date": (replace_once("2001-03-03", "2001-02-30"), 8, "is not a calendar date"),
    "date not ISO": (replace_once("2001-03-03", "3 March 2001"), 8, "is not a calendar date"),
    "end before date": (
        replace_once("end: 2001-03-06", "end: 2001-03-01"),
        14,
        "is before the date",
    ),
    "missing label": (replace_once("  label: Report published\n", ""), 13, "'label' is missing"),
    "unknown source": (
        replace_once("sources: [doe2001]", "sources: [nobody1999]"),
        6,
        "'nobody1999' is not a key in refs.bib",
    ),
    "no sources": (replace_once("sources: [doe2001]", "sources: []"), 6, "has no sources"),
    "bad precision": (replace_once("precision: month", "precision: week"), 3, "precision 'week'"),
    "unknown key": (replace_once('description: "The day', 'desc: "The day'), 10, "unknown key"),
    "YAML that does not parse": (
        replace_once("label: Date in the source", "label: [x"),
        10,
        "YAML",
    ),
}


@pytest.mark.parametrize("case", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_bad_event_fails_naming_file_and_line(
    mini_copy: Path, tmp_path: Path, capsys, case: tuple[Callable[[str], str], int, str]
) -> None:
    edit, line, message = case
    events = mini_copy / "_data" / "timeline.yml"
    events.write_text(edit(events.read_text(encoding="utf-8")), encoding="utf-8")
    assert _check(mini_copy, tmp_path) != 0
    err = capsys.readouterr().err
    assert f"_data/timeline.yml, line {line}" in err, err
    assert f"timeline.yml:{line}: WARNING" in err, err
    assert message in err, err


def test_each_problem_of_an_entry_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "timeline.yml"
    path.write_text(
        "- date: 2012-02-30\n"
        "  label: Two mistakes\n"
        "  precision: week\n"
        "  sources:\n"
        "    - doe2001\n"
        "    - nobody1999\n"
        "- date: 2012-03-01\n"
        "  end: 2012-02-01\n"
        "  label: Ends first\n"
        "  sources: [doe2001]\n"
        "- date: 2012-03-02\n"
        "  label: Fine\n"
        "  sources: [doe2001]\n",
        encoding="utf-8",
    )
    events, problems = timeline_events.parse_events(
        yamldata.load(path), {"doe2001": None}, ["refs.bib"]
    )
    assert [event.label for event in events] == ["Fine"]
    first, second = "timeline event 'Two mistakes'", "timeline event 'Ends first'"
    assert problems == [
        (
            1,
            first,
            "date '2012-02-30' is not a calendar date; write it as YYYY-MM-DD; when the day "
            "or month is not known, add 'precision: month' or 'year'",
        ),
        (3, first, "precision 'week' is not one of day, month, year"),
        (6, first, "'nobody1999' is not a key in refs.bib"),  # the item's own line
        (8, second, "end 2012-02-01 is before the date 2012-03-01"),
    ]


def test_empty_timeline_fails(mini_copy: Path, tmp_path: Path, capsys) -> None:
    (mini_copy / "_data" / "timeline.yml").write_text("[]\n", encoding="utf-8")
    assert _check(mini_copy, tmp_path) != 0
    assert "timeline (_data/timeline.yml): lists no events" in capsys.readouterr().err


# -- The real book ----------------------------------------------------------------------------


def test_book_timeline_in_every_output(book) -> None:
    entries = yaml.safe_load(EVENTS.read_text(encoding="utf-8"))
    labels = tuple(entry["label"] for entry in entries)

    html = book.out("html") / "back" / "timeline.html"
    figure, table = _figure_and_table(html.read_text(encoding="utf-8"))
    assert (html.parent / _assert_figure(figure, len(entries))).resolve().is_file()
    _assert_table(table, labels)

    epub = epub_documents(book.out("epub") / "homs-massacre.epub")
    figure, table = _figure_and_table(epub["back/timeline.xhtml"])
    _assert_figure(figure, len(entries))
    _assert_table(table, labels)

    out = book.work("bookpdf")
    figure, _table = _figure_and_table(str(print_book(out)))
    assert (out / _assert_figure(figure, len(entries))).is_file()
    text = _squash(pdf_text(out / "homs-massacre-a4.pdf"))
    for label in labels:
        assert _squash(label) in text, label
