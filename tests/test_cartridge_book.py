"""The cartridge output of a built book: what `make book` publishes, checked against the site."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, ROOTS, Build, build_all
from lms import reader, rules, xsd

from classbook.cli import PublishError
from classbook.publish.steps import outputs_for

#: The fixture book's GitHub repository: its Pages address is the site's real address.
REPOSITORY = "owner/mini"
SITE = "https://owner.github.io/mini/"
#: An assignment file with a hostile title and an Arabic course name.
HOSTILE = 'Week 1: <Reading> & "quotes"'
ARABIC = "التاريخ ١٠"
ASSIGNMENTS = {
    "week-1.yml": (
        "title: 'Week 1: <Reading> & \"quotes\"'\n"
        f"course: {ARABIC}\n"
        "due: 2026-12-01\n"
        "instructions: Read [the first chapter](chapters/01-first.html) & answer.\n"
        "chapters: [1, 2]\n"
        "include: [questions, answer-space]\n"
    ),
    "talk.yml": "title: Talk\nchapters: [1]\ninclude: [questions]\npaper: a4\n",
}
#: Every cartridge the fixture book publishes, by path in _build/cartridge/.
CARTRIDGES = [
    "mini.imscc",
    "mini-cc11.imscc",
    "assignments/week-1.imscc",
    "assignments/week-1-cc11.imscc",
    "assignments/talk.imscc",
    "assignments/talk-cc11.imscc",
]
#: The environment of a build that knows no site address.
NO_ADDRESS = {"GITHUB_REPOSITORY", "READTHEDOCS_CANONICAL_URL"}
SUBPROCESS_ENV = {k: v for k, v in os.environ.items() if k not in NO_ADDRESS}
#: The site's theme and download list as the real book's conf.py has them.
THEME = """
html_theme = "sphinx_book_theme"
html_theme_options = {"article_footer_items": ["classbook-downloads.html"], "navbar_persistent": []}
"""


def _source(folder: Path) -> Path:
    src = folder / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(THEME)
    (src / "assignments").mkdir()
    for name, text in ASSIGNMENTS.items():
        (src / "assignments" / name).write_text(text, encoding="utf-8")
    return src


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The fixture book with two assignments, every output built with a real address."""
    folder = tmp_path_factory.mktemp("cartridge-book")
    src = _source(folder)
    return build_all(
        src, src, folder / "out", cache=folder / "cache", environ={"GITHUB_REPOSITORY": REPOSITORY}
    )


def _files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _site_links(path: Path) -> list[str]:
    """Every address of the site a cartridge links to: web links, topics, pages."""
    found = []
    for name, data in _files(path).items():
        if name.endswith("weblink.xml"):
            found += [e.get("href", "") for e in ET.fromstring(data).iter() if e.get("href")]
        elif name.endswith(("topic.xml", ".html")):
            text = data.decode()
            if name.endswith("topic.xml"):
                text = "".join(ET.fromstring(data).itertext())
            found += [a["href"] for a in BeautifulSoup(text, "html.parser").select("a[href]")]
    return [link for link in found if link.startswith(SITE)]


@pytest.mark.build
def test_make_book_publishes_the_book_and_assignment_cartridges(built: Build) -> None:
    folder = built.root / "cartridge"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == (
        sorted(CARTRIDGES)
    )


@pytest.mark.build
@pytest.mark.parametrize("name", CARTRIDGES)
def test_every_web_link_resolves_to_a_page_of_the_built_site(built: Build, name: str) -> None:
    links = _site_links(built.root / "cartridge" / name)
    assert links, "a cartridge links to the site"
    site = built.root / "html"
    missing = [link for link in links if not (site / link[len(SITE) :].split("#")[0]).is_file()]
    assert missing == []


@pytest.mark.build
@pytest.mark.parametrize("name", CARTRIDGES)
def test_every_xml_file_is_valid_and_every_href_a_file(built: Build, name: str) -> None:
    path = built.root / "cartridge" / name
    version = "1.1" if name.endswith("-cc11.imscc") else "1.3"
    files = _files(path)
    problems = [
        error
        for file, data in files.items()
        if file.endswith(".xml")
        for error in xsd.errors(data, version, file)
    ]
    assert problems == []
    assert rules.check(str(path), f"{version}.0") == []


@pytest.mark.build
def test_an_independent_reader_finds_every_chapter_and_its_files(built: Build) -> None:
    package = reader.Reader(str(built.root / "cartridge" / "mini.imscc"))
    try:
        tree = package.tree()
        assert package.missing_files() == []
    finally:
        package.close()
    book, *chapters = tree
    assert book[0] == "folder" and [item[0] for item in book[2]] == ["weblink"] + ["file"] * 3
    titles = [chapter[1] for chapter in chapters]
    assert titles == ["A Tiny Source", "Second Section", "Last Section"]
    first = chapters[0][2]
    assert first[0][0] == "weblink" and first[0][-1] == SITE + "chapters/01-first.html"
    assert [item[2] for item in first if item[0] == "file"] == [
        "01-first-a4.pdf",
        "01-first-letter.pdf",
    ]
    assert [item[0] for item in first][-1] == "discussion"


@pytest.mark.build
def test_the_hostile_assignment_comes_through_intact(built: Build) -> None:
    for name in ("week-1.imscc", "week-1-cc11.imscc"):
        package = reader.Reader(str(built.root / "cartridge" / "assignments" / name))
        try:
            (module,) = package.tree()
        finally:
            package.close()
        assert module[1] == HOSTILE
        assert [item[0] for item in module[2]] == ["page", "weblink", "weblink", "file", "quiz"]
        page = _files(built.root / "cartridge" / "assignments" / name)
        html = page["web_resources/week-1/instructions.html"].decode()
        assert ARABIC in html and "&lt;Reading&gt; &amp;" in html


@pytest.mark.build
def test_the_site_offers_the_cartridges_to_teachers(built: Build) -> None:
    for name in ("mini.imscc", "mini-cc11.imscc"):
        published = built.root / "html" / "downloads" / name
        assert published.read_bytes() == (built.root / "cartridge" / name).read_bytes()
    page = BeautifulSoup(
        (built.root / "html" / "chapters" / "01-first.html").read_text("utf-8"), "html.parser"
    )
    links = page.select('.classbook-downloads a[data-classbook-download="cartridge"]')
    assert [a["href"] for a in links] == ["../downloads/mini.imscc", "../downloads/mini-cc11.imscc"]


@pytest.mark.build
def test_a_rebuild_gives_the_same_bytes(built: Build, tmp_path: Path) -> None:
    src = _source(tmp_path)
    again = build_all(src, src, tmp_path / "out", cache=built.root.parent / "cache",
                      environ={"GITHUB_REPOSITORY": REPOSITORY})  # fmt: skip
    for name in CARTRIDGES:
        assert (again.root / "cartridge" / name).read_bytes() == (
            built.root / "cartridge" / name
        ).read_bytes(), name


def test_the_cartridge_asked_for_without_an_address_fails_in_one_line(tmp_path: Path) -> None:
    # The fixture book's conf.py names example.org: a placeholder, so no address at all.
    src = _source(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "build", "--source-dir", str(src),
         "--conf-dir", str(src), "--build-dir", str(tmp_path / "out"), "cartridge"],
        cwd=ROOT, env={**SUBPROCESS_ENV, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "html_baseurl" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "cartridge").exists()


def test_the_book_builds_a_cartridge_only_with_a_real_address() -> None:
    assert "cartridge" not in outputs_for(["all"], "")
    assert "cartridge" not in outputs_for(["html"], "")
    assert "cartridge" in outputs_for(["all"], SITE)
    assert "cartridge" in outputs_for(["html"], SITE)
    with pytest.raises(PublishError, match="html_baseurl"):
        outputs_for(["cartridge"], "")


def _packet(src: Path, build: Path, *, address: bool) -> subprocess.CompletedProcess[str]:
    """``make packet ... CARTRIDGE=1`` on the fixture book, with or without an address."""
    env = {**SUBPROCESS_ENV, "PYTHONPATH": str(ROOT)}
    env |= {"GITHUB_REPOSITORY": REPOSITORY} if address else {}
    return subprocess.run(
        [sys.executable, "-m", "classbook", "packet", "--source", str(src), "--conf", str(src),
         "--build", str(build), "--title", 'Trip & <costs> "$5"', "--chapters", "1", "3",
         "--cartridge"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.build
def test_a_one_off_packet_gets_its_cartridges_beside_it(built: Build, tmp_path: Path) -> None:
    done = _packet(_source(tmp_path), tmp_path / "out", address=True)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "adhoc-packets"
    names = ["trip-costs-5-a4.pdf", "trip-costs-5-cc11.imscc", "trip-costs-5.imscc"]
    assert done.stdout.split() == [str(folder / name) for name in names]
    for name, version in (("trip-costs-5.imscc", "1.3"), ("trip-costs-5-cc11.imscc", "1.1")):
        path = folder / name
        assert rules.check(str(path), f"{version}.0") == []
        assert [e for f, d in _files(path).items() if f.endswith(".xml")
                for e in xsd.errors(d, version, f)] == []  # fmt: skip
        links = _site_links(path)
        assert links and all((built.root / "html" / link[len(SITE) :]).is_file() for link in links)
        packet = _files(path)["web_resources/trip-costs-5/trip-costs-5-a4.pdf"]
        assert packet == (folder / "trip-costs-5-a4.pdf").read_bytes()


def test_a_one_off_cartridge_without_an_address_fails_in_one_line(tmp_path: Path) -> None:
    done = _packet(_source(tmp_path), tmp_path / "out", address=False)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "html_baseurl" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "adhoc-packets").exists()


@pytest.mark.build
def test_make_dist_carries_the_cartridges_with_their_checksums(
    built: Build, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "dist", "--build-dir", str(built.root),
         "--dist-dir", str(tmp_path / "dist")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (tmp_path / "dist" / "SHA256SUMS").read_text("utf-8").splitlines()
    )
    for name in CARTRIDGES:
        data = (tmp_path / "dist" / "cartridge" / name).read_bytes()
        assert data == (built.root / "cartridge" / name).read_bytes()
        assert sums[f"cartridge/{name}"] == hashlib.sha256(data).hexdigest()


def test_a_new_site_address_is_a_new_build(tmp_path: Path) -> None:
    # The address can come from the environment alone: a build for another address is not
    # up to date, or the cartridges and QR codes would keep the old one.
    from classbook.publish.workarea import WorkArea

    src = _source(tmp_path)
    area = WorkArea(tmp_path / "out", src, src, {})
    assert area.inputs(SITE) == area.inputs(SITE)
    assert area.inputs(SITE) != area.inputs("https://owner.github.io/other/")
    assert area.inputs(SITE) != area.inputs("")
