"""Assignment packets: cover sheet, chapters in order, one page count, response sheet, QR
code, the site's assignment pages, the one-off command, and every mistake in a file."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pdfplumber
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, SITE, sphinx
from helpers import fold, pdf_pages
from pypdf import PdfReader

from classbook.builders import assignments, packets
from classbook.builders.assignments import Chapter, read_assignment

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

BOOK = ROOT / "book"
ASSIGNMENTS = sorted((BOOK / "assignments").glob("*.yml"))
STEMS = sorted(p.stem for p in (BOOK / "chapters").glob("*.md"))  # 01-overview, ...
SLUGS = [stem.split("-", 1)[1] for stem in STEMS]
BASE = SITE
MEDIA = {"a4": (595, 842), "letter": (612, 792)}
PAPERS = ("a4", "letter")


# -- What the samples and chapters say, read straight from the files --------------------


def title_of(stem: str) -> str:
    text = (BOOK / "chapters" / f"{stem}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.MULTILINE).group(1).strip()


def questions_of(stem: str) -> list[str]:
    """The start of each discussion question, as plain words (up to any markup)."""
    text = (BOOK / "chapters" / f"{stem}.md").read_text(encoding="utf-8")
    block = re.search(r":::\{questions\}\n(.*?)\n:::", text, re.DOTALL).group(1)
    starts = []
    for line in re.findall(r"^\d+\. (.+)$", block, re.MULTILINE):
        plain = line.split("{", 1)[0].replace("*", "")
        starts.append(" ".join(plain.split()[:8]))
    return starts


def spec(path: Path) -> dict:
    """A sample assignment with its chapters as numbers (1 = the first chapter)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["numbers"] = [c if isinstance(c, int) else SLUGS.index(c) + 1 for c in data["chapters"]]
    data["papers"] = list(PAPERS) if data.get("paper", "a4") == "both" else [data["paper"]]
    return data


def packet_files(out: Path) -> list[tuple[Path, dict, str, Path]]:
    return [
        (path, spec(path), paper, out / f"{path.stem}-{paper}.pdf")
        for path in ASSIGNMENTS
        for paper in spec(path)["papers"]
    ]


# -- Builds --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packets_out(book) -> Path:
    """The real book's packets, as `make book` publishes them."""
    return book.root / "packets"


@pytest.fixture(scope="module")
def site(book) -> Path:
    """The web site, built after the packets it publishes."""
    return book.out("html")


# -- The samples ---------------------------------------------------------------------------


def test_samples_exist_and_build_for_each_paper(packets_out) -> None:
    assert 2 <= len(ASSIGNMENTS) <= 4
    built = sorted(p.name for p in packets_out.glob("*.pdf"))
    assert built == sorted(pdf.name for *_, pdf in packet_files(packets_out))
    for _path, _spec, paper, pdf in packet_files(packets_out):
        box = PdfReader(pdf).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == MEDIA[paper]
    assert not list(packets_out.rglob("*.part"))


def test_every_page_is_numbered_over_the_whole_packet(packets_out) -> None:
    for *_, pdf in packet_files(packets_out):
        pages = pdf_pages(pdf)
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in text, (pdf.name, number)


def reading_list(cover: str, data: dict) -> list[tuple[int, int, int]]:
    """(starts on, pages, minutes) of each chapter, as the cover's table prints them."""
    rows = []
    for number in data["numbers"]:
        title = fold(title_of(STEMS[number - 1]))
        found = re.search(
            re.escape(f"{number}. {title}") + r" p\. (\d+) (\d+) about (\d+) min", cover
        )
        assert found, (title, cover)
        rows.append(tuple(int(g) for g in found.groups()))
    return rows


def layout(pdf: Path, data: dict) -> tuple[list[str], list[int], int]:
    """Each page's text, the page each chapter opens on, and the response sheet's first
    page (one past the last page when there is none)."""
    pages = [fold(text) for text in pdf_pages(pdf)]
    starts = []
    for number in data["numbers"]:
        opening = [
            i for i, text in enumerate(pages, 1) if f"Chapter {number} · Read online" in text
        ]
        assert len(opening) == 1, (pdf.name, number)
        starts.append(opening[0])
    sheet = [
        i
        for i, text in enumerate(pages, 1)
        if i > max(starts) and ("Response sheet" in text or "Discussion questions" in text)
    ]
    return pages, starts, sheet[0] if sheet else len(pages) + 1


def test_chapters_follow_the_cover_in_order_with_the_page_counts_it_gives(packets_out) -> None:
    for _path, data, _paper, pdf in packet_files(packets_out):
        pages, starts, sheet = layout(pdf, data)
        rows = reading_list(pages[0], data)
        assert starts == sorted(starts), pdf.name  # the order the file gives
        assert starts[0] == 2, pdf.name  # right after the one-page cover sheet
        ends = [*starts[1:], sheet]
        for number, start, end, (printed_start, printed_pages, _minutes) in zip(
            data["numbers"], starts, ends, rows, strict=True
        ):
            assert printed_start == start, (pdf.name, number)
            assert printed_pages == end - start, (pdf.name, number)
            title = fold(title_of(STEMS[number - 1]))
            for index in range(start, end):  # the running head names the chapter
                assert title in pages[index - 1], (pdf.name, number, index)
        total = re.search(r"In all (\d+) about (\d+) min", pages[0])
        assert int(total.group(1)) == sum(r[1] for r in rows)
        assert int(total.group(2)) == sum(r[2] for r in rows)


def test_cover_sheet_contents(packets_out) -> None:
    for path, data, _paper, pdf in packet_files(packets_out):
        cover = fold(pdf_pages(pdf)[0])
        assert fold(data["title"]) in cover
        assert data["course"].upper() in cover.upper()  # set in capitals
        due = data["due"]
        assert f"Due {due:%A} {due.day} {due:%B %Y}" in cover
        first_line = re.sub(r"[*_`]", "", data["instructions"].splitlines()[0])
        assert fold(first_line) in cover
        assert "Name" in cover and "Class" in cover
        assert "Content note" in cover or "CONTENT NOTE" in cover
        assert f"{BASE}assignments/{path.stem}.html" in cover.replace(" ", "")
        assert "about" in cover and "min" in cover


def test_reading_times_are_words_over_200_rounded_up() -> None:
    assert assignments.reading_minutes(0) == 1
    assert assignments.reading_minutes(200) == 1
    assert assignments.reading_minutes(201) == 2
    assert assignments.reading_minutes(1000) == 5


def test_response_sheet_has_the_chapters_questions(packets_out) -> None:
    for _path, data, _paper, pdf in packet_files(packets_out):
        include = data.get("include", ["questions", "answer-space"])
        pages, starts, first = layout(pdf, data)
        sheet = " ".join(pages[first - 1 :])
        chapters_text = " ".join(pages[starts[0] - 1 : first - 1])
        if not include:
            assert not sheet
            continue
        heading = "Response sheet" if "answer-space" in include else "Discussion questions"
        assert fold(data["title"]) in sheet and heading in sheet
        for number in data["numbers"]:
            stem = STEMS[number - 1]
            assert f"{number}. {fold(title_of(stem))}" in sheet
            for question in questions_of(stem):
                assert fold(question) in sheet, (pdf.name, question)
                assert fold(question) not in chapters_text  # moved, not repeated
        assert "Answer guidance" not in sheet


def test_answer_space_is_lines_under_each_question(packets_out) -> None:
    for _path, data, _paper, pdf in packet_files(packets_out):
        include = data.get("include", ["questions", "answer-space"])
        count = sum(len(questions_of(STEMS[n - 1])) for n in data["numbers"])
        _pages, _starts, first = layout(pdf, data)
        with pdfplumber.open(pdf) as doc:
            # Writing lines: horizontal rules across most of the text width, below the head.
            rules = [
                edge
                for page in doc.pages[first - 1 :]
                for edge in page.horizontal_edges
                if edge["x1"] - edge["x0"] > page.width * 0.6 and edge["top"] > 80
            ]
        if "answer-space" in include:
            assert len(rules) >= packets.ANSWER_LINES * count, (pdf.name, len(rules))
        else:
            assert len(rules) < count, (pdf.name, len(rules))


def test_qr_code_decodes_to_the_assignment_page(packets_out, tmp_path: Path) -> None:
    path, _data, _paper, pdf = packet_files(packets_out)[0]
    png = tmp_path / "cover"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(png)], check=True
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(next(tmp_path.glob("cover*.png")))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert decoded == [f"{BASE}assignments/{path.stem}.html"]


def test_packets_are_tagged_with_the_assignment_as_title(packets_out) -> None:
    import pikepdf

    for path, data, _paper, pdf in packet_files(packets_out)[:2]:
        with pikepdf.open(pdf) as doc:
            assert "/StructTreeRoot" in doc.Root
            assert str(doc.Root.Lang) == "en"
            assert str(doc.docinfo.get("/Title", "")).startswith(data["title"]), path


# -- The web site ------------------------------------------------------------------------------


def test_site_has_a_page_per_assignment_linking_chapters_and_packets(site, packets_out) -> None:
    for path in ASSIGNMENTS:
        data = spec(path)
        page = site / "assignments" / f"{path.stem}.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert soup.select_one("article h1").get_text(strip=True) == data["title"]
        assert soup.find("time")["datetime"] == data["due"].isoformat()
        hrefs = [a["href"] for a in soup.select(".classbook-assignment-reading a")]
        assert hrefs == [f"../chapters/{STEMS[n - 1]}.html" for n in data["numbers"]]
        for href in hrefs:
            assert (page.parent / href).resolve().is_file()
        links = soup.select(".classbook-assignment-packets a[data-classbook-download]")
        assert [a["href"] for a in links] == [
            f"../downloads/{path.stem}-{paper}.pdf" for paper in data["papers"]
        ]
        for link, paper in zip(links, data["papers"], strict=True):
            published = (page.parent / link["href"]).resolve()
            assert published.read_bytes() == (packets_out / f"{path.stem}-{paper}.pdf").read_bytes()


def test_site_without_packets_says_so_and_links_nothing(
    mini, mini_copy: Path, tmp_path: Path
) -> None:
    # The web site as `sphinx-build -b html` builds it beside every output but the packets.
    for output in ("epub", "pdf", "handouts"):
        shutil.copytree(mini.root / output, tmp_path / output)
    (mini_copy / "assignments").mkdir()
    (mini_copy / "assignments" / "week.yml").write_text("title: W\nchapters: [1]\n", "utf-8")
    assert sphinx("html", mini_copy, tmp_path / "html") == 0
    page = tmp_path / "html" / "assignments" / "week.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert not soup.select(".classbook-assignment-packets")
    assert "not part of this build" in soup.get_text()


# -- Checking assignment files ------------------------------------------------------------------

MINI = [
    Chapter(1, "chapters/01-first", "first", "A Tiny Source", ("first",)),
    Chapter(2, "chapters/02-second", "second", "Second Section", ("second",)),
    Chapter(3, "chapters/03-last", "last", "Last Section", ("last", "the-end")),
]
CONFIG = SimpleNamespace(classbook_paper_sizes=["a4", "letter"], classbook_default_paper="a4")
CHOICES = "a number from 1 to 3 or one of: first, second, last (or the-end)"
KEYS = "title, course, due, instructions, chapters, include, paper"

T1 = "title: T\nchapters: [1]\n"
BAD = {
    "unknown chapter": ("title: T\nchapters: [1, 7]\n", 2, ["'chapters'", "no chapter 7", CHOICES]),
    "unknown slug": (
        "title: T\nchapters:\n  - first\n  - middle\n",
        4,
        ["'chapters'", "'middle'", CHOICES],
    ),
    "chapter twice": ("title: T\nchapters: [1, first]\n", 2, ["'chapters'", "listed twice"]),
    "bad date": (T1 + "due: 2026-02-30\n", 3, ["due '2026-02-30'", "YYYY-MM-DD"]),
    "not a date": (T1 + "due: 1/12/2026\n", 3, ["due '1/12/2026'", "YYYY-MM-DD"]),
    "unknown key": (T1 + "colour: red\n", 3, ["'colour'", "unknown key", KEYS]),
    "chapters not a list": ("title: T\nchapters: 2\n", 2, ["must be a list", CHOICES]),
    "title not text": ("title: [a, b]\nchapters: [1]\n", 1, ["'title'", "must be text"]),
    "include not a list": (
        T1 + "include: questions\n",
        3,
        ["'include'", "must be a list", "questions, answer-space"],
    ),
    "include unknown": (
        T1 + "include: [answers]\n",
        3,
        ["include 'answers'", "questions, answer-space"],
    ),
    "paper unknown": (T1 + "paper: a5\n", 3, ["paper 'a5'", "a4, letter, both"]),
    "missing title": ("course: C\nchapters: [1]\n", 1, ["'title' is missing"]),
    "missing chapters": ("title: T\n", 1, ["'chapters' is missing", CHOICES]),
    "not a mapping": ("- title\n- chapters\n", 1, ["YAML mapping", KEYS]),
    "YAML error": ("title: [unclosed\nchapters: [1]\n", 2, ["does not parse"]),
}


@pytest.mark.parametrize("case", BAD)
def test_each_mistake_gives_one_message_naming_key_line_and_choices(tmp_path: Path, case) -> None:
    text, line, fragments = BAD[case]
    path = tmp_path / "week-1.yml"
    path.write_text(text, encoding="utf-8")
    assignment, problems = read_assignment(path, MINI, CONFIG)
    assert assignment is None
    assert len(problems) == 1, problems
    assert problems[0].path == path
    assert problems[0].line == line, problems[0]
    for fragment in fragments:
        assert fragment in problems[0].message, (fragment, problems[0].message)


def test_every_mistake_of_one_file_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "week-1.yml"
    path.write_text(
        "title: T\ndue: soon\nchapters:\n  - 1\n  - 9\n  - first\ncolour: red\ntitle: U\n",
        encoding="utf-8",
    )
    assignment, problems = read_assignment(path, MINI, CONFIG)
    assert assignment is None
    found = sorted((p.line, p.message) for p in problems)
    expected = [
        (2, "due 'soon' is not a calendar date"),
        (5, "no chapter 9"),
        (6, "chapter 1 (first) is listed twice in 'chapters'"),
        (7, "unknown key 'colour'"),
        (8, "key 'title' is given twice"),
    ]
    assert len(found) == len(expected), found
    for (line, message), (want_line, fragment) in zip(found, expected, strict=True):
        assert line == want_line and fragment in message, (line, message)


def test_file_name_must_make_a_web_address(tmp_path: Path) -> None:
    path = tmp_path / "Week 1.yml"
    path.write_text("title: T\nchapters: [1]\n", encoding="utf-8")
    assignment, problems = read_assignment(path, MINI, CONFIG)
    assert assignment is None and len(problems) == 1
    assert "'week-1.yml'" in problems[0].message


def test_valid_file_defaults_and_names(tmp_path: Path) -> None:
    path = tmp_path / "week-1.yml"
    path.write_text("title: ' Week 1 '\nchapters: [the-end, '2', 1]\n", encoding="utf-8")
    assignment, problems = read_assignment(path, MINI, CONFIG)
    assert problems == []
    assert assignment.title == "Week 1"
    assert [c.number for c in assignment.chapters] == [3, 2, 1]
    assert assignment.papers == ["a4"]
    assert assignment.questions and assignment.answer_space
    assert assignment.due is None and assignment.due_text == ""
    path.write_text(
        "title: T\nchapters: [1]\ninclude: []\npaper: both\ndue: 2026-12-01\n", encoding="utf-8"
    )
    assignment, problems = read_assignment(path, MINI, CONFIG)
    assert not assignment.questions and assignment.papers == ["a4", "letter"]
    assert assignment.due == dt.date(2026, 12, 1)
    assert assignment.due_text == "Tuesday 1 December 2026"


def test_instructions_markdown_is_safe() -> None:
    html = assignments.render_markdown(
        "# Steps\n\nRead **this**. <script>alert(1)</script> <b onclick=x>bold</b>\n\n"
        "![tracker](https://example.org/pixel.png) [bad](javascript:alert(1)) "
        "[good](https://example.org/)\n"
    )
    assert "<script" not in html and "<b " not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org/">good</a>' in html
    assert "<strong>this</strong>" in html
    assert "<h3>Steps</h3>" in html  # below the page's own headings


GOOD = """\
title: "Week <b>1</b> & more"
course: Civics
due: 2026-12-01
instructions: |
  Read it. <script>alert(1)</script>

  ![x](https://example.org/x.png)
chapters: [last, 1]
paper: both
"""


def test_bad_files_fail_the_build_alone_and_leave_no_packet(
    mini_copy: Path, tmp_path: Path
) -> None:
    folder = mini_copy / "assignments"
    folder.mkdir()
    (folder / "good.yml").write_text(GOOD, encoding="utf-8")
    bad = {
        "bad-chapter": ("title: T\nchapters: [1, 9]\n", 2, "'chapters'"),
        "bad-date": ("title: T\ndue: 2026-13-01\nchapters: [1]\n", 2, "due '2026-13-01'"),
        "bad-key": ("title: T\nchapters: [1]\nreading: [1]\n", 3, "'reading'"),
        "bad-type": ("title: T\nchapters: first\n", 2, "'chapters'"),
        "no-title": ("chapters: [1]\n", 1, "'title'"),
    }
    for name, (text, _line, _key) in bad.items():
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
    out = tmp_path / "packets"
    out.mkdir()
    (out / "bad-date-a4.pdf").write_bytes(b"%PDF-1.7 from an earlier build")
    warnings = tmp_path / "warnings.txt"
    status = sphinx("packets", mini_copy, out, extra=("-w", str(warnings)))
    assert status != 0
    lines = [line for line in warnings.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == len(bad), lines
    for name, (_text, line, key) in bad.items():
        mine = [entry for entry in lines if f"{name}.yml:{line}:" in entry]
        assert len(mine) == 1 and key in mine[0], (name, lines)
    assert sorted(p.name for p in out.glob("*.pdf")) == ["good-a4.pdf", "good-letter.pdf"]
    assert not list(out.rglob("*.part"))
    html = (out / "_packets" / "good-a4.html").read_text(encoding="utf-8")
    assert "Week &lt;b&gt;1&lt;/b&gt; &amp; more" in html and "<b>1</b>" not in html
    assert "<script>" not in html and "<img" not in html
    text = fold(" ".join(pdf_pages(out / "good-a4.pdf")))
    assert "Week <b>1</b> & more" in text
    assert text.index("Chapter 3 · Read online") < text.index("Chapter 1 · Read online")


def test_command_line_builds_one_packet_without_a_file(mini_copy: Path, tmp_path: Path) -> None:
    build = tmp_path / "_build"

    def run(*chapters: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "classbook", "packet", "--chapters", *chapters,
             "--title", "Week 1: It's \"on\"", "--due", "2026-12-01", "--paper", "letter",
             "--source", str(mini_copy), "--conf", str(mini_copy), "--build", str(build)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip

    done = run("2", "last")
    assert done.returncode == 0, done.stderr
    pdf = build / "adhoc-packets" / "week-1-it-s-on-letter.pdf"
    assert done.stdout.split() == [str(pdf)]
    text = fold(" ".join(pdf_pages(pdf)))
    assert 'Week 1: It\'s "on"' in text and "Tuesday 1 December 2026" in text
    assert text.index("Chapter 2 · Read online") < text.index("Chapter 3 · Read online")

    failed = run("2", "9")
    assert failed.returncode != 0
    assert "week-1-it-s-on.yml" in failed.stderr and "no chapter 9" in failed.stderr
    assert "first, second, last" in failed.stderr
    assert not pdf.exists()  # the earlier one-off packet of the same name is not left stale


def test_make_packet_keeps_dollar_signs_and_runs_nothing_in_a_title(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    title = f"Trip costs $5 $(shell touch {marker})"
    arguments = [f"BUILD={tmp_path / 'build'}", f"TITLE={title}", "CHAPTERS=1", "PAPER=a4"]
    done = subprocess.run(
        ["make", "-s", "packet", *arguments, "INCLUDE=none"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "make ran a command written in the title"
    written = list((tmp_path / "build" / "adhoc-assignments").glob("*.yml"))
    assert [yaml.safe_load(p.read_text(encoding="utf-8"))["title"] for p in written] == [title]
