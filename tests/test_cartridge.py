"""Common Cartridge packages: official schemas, CC rules, an independent reader, same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import os
import pickle
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lms import reader, rules, xsd

from classbook.cartridge import (
    CC11,
    CC13,
    Assignment,
    Cartridge,
    Discussion,
    EssayQuiz,
    File,
    Module,
    Page,
    Part,
    Profile,
    SiteURLError,
    WebLink,
    assignment_cartridge,
    cartridge_bytes,
    check_base_url,
    write_cartridge,
)

ROOT = Path(__file__).resolve().parents[1]
#: The site the links point at: a real-looking host, never fetched by the tests.
BASE = "https://classbook-books.github.io/ethics-and-data/"
PROFILES = [CC13, CC11]
HOSTILE = "Ethics & Data: <Cases>, \"Quotes\" and 'Apostrophes'"
ARABIC_COURSE = "أخلاقيات البيانات: الصف العاشر"
LOM = {
    version: f"{{http://ltsc.ieee.org/xsd/imsccv{version.replace('.', 'p')}/LOM/manifest}}"
    for version in ("1.3", "1.1")
}


def _pdf(folder: Path, name: str) -> Path:
    """A small stand-in PDF with bytes of its own (the builder passes real ones)."""
    path = folder / name
    path.write_bytes(b"%PDF-1.4\n%" + name.encode() + b"\ntrailer<<>>\n%%EOF\n")
    return path


def _chapter(folder: Path, key: str, title: str, arabic: str) -> Module:
    page = f"chapters/{key}.html"
    return Module(
        key,
        f"{title} — {arabic}",
        (
            WebLink(f"Read: {title}", page),
            File("Handout (A4) & <notes>", _pdf(folder, f"{key}-a4.pdf")),
            File('Handout (Letter) "US"', _pdf(folder, f"{key}-letter.pdf")),
            Discussion(
                f"Discuss: {title}",
                (f'Is 5 < 7 & 7 > 5 always "obvious"? ({key})', f"ناقش: ما الدليل في {arabic}؟"),
                page,
                title,
                intro="Talk about these in class & online.",
            ),
        ),
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Cartridge:
    """A small book: its downloads, a chapter outside any part, two parts, hostile titles."""
    folder = tmp_path_factory.mktemp("sources")
    epub = folder / "ethics.epub"
    epub.write_bytes(b"PK\x03\x04 a stand-in EPUB")
    downloads = Module(
        "book",
        "The book & its files",
        (
            File("The book (EPUB)", epub),
            File("The book (PDF, A4)", _pdf(folder, "ethics-a4.pdf")),
            File("The book (PDF, Letter)", _pdf(folder, "ethics-letter.pdf")),
        ),
    )
    intro = _chapter(folder, "overview", "Why & how we <measure>", "لماذا نقيس")
    part_one = Part(
        "foundations",
        "Part I: Foundations & <basics>",
        (_chapter(folder, "samples", "Samples, \"bias\" and 'luck'", "العينات والتحيز"),),
    )
    part_two = Part(
        "practice",
        "Part II — “applied” / الجزء الثاني",
        (
            _chapter(folder, "privacy", "Privacy > convenience?", "الخصوصية"),
            _chapter(folder, "models", "Models & their limits", "حدود النماذج"),
        ),
    )
    return Cartridge(
        key="ethics-and-data",
        title=HOSTILE,
        language="en",
        licence="CC BY-SA 4.0",
        licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
        authors=("Ada O'Brien & Co.", "سارة <Sara> الحسيني"),
        version="1.4.0",
        date=dt.date(2026, 5, 1),
        description=f"A course cartridge of “{HOSTILE}”.",
        contents=(downloads, intro, part_one, part_two),
        publisher="Classbook Press",
    )


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Cartridge:
    """A hidden assignment file's cartridge: `& < > "` in its title, an Arabic course."""
    folder = tmp_path_factory.mktemp("packet")
    return assignment_cartridge(
        Assignment(
            key="week-1",
            title='Week 1: "Claims" & <evidence> > opinion',
            course=ARABIC_COURSE,
            language="ar",
            licence="CC BY-SA 4.0",
            licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
            authors=("سارة الحسيني",),
            version="1.4.0",
            date=dt.date(2026, 5, 1),
            instructions=(
                "<p>Read the <strong>source</strong> & the notes.</p>"
                '<ol><li>Underline every date.</li><li onclick="steal()">Answer.</li></ol>'
                '<script>alert("x")</script><p><a href="javascript:alert(1)">trap</a></p>'
                '<p>See <a href="chapters/samples.html#bias">the samples</a>.</p>'
            ),
            due=dt.date(2026, 9, 18),
            due_label="موعد التسليم:",
            reading=(
                WebLink("Why & how we <measure>", "chapters/overview.html"),
                WebLink("Samples & bias", "chapters/samples.html#bias"),
            ),
            packet=(
                File("Packet (A4)", _pdf(folder, "week-1-a4.pdf")),
                File("Packet (Letter)", _pdf(folder, "week-1-letter.pdf")),
            ),
            discussions=(
                Discussion(
                    'Discuss: "Claims" & <evidence>',
                    ("Which claim is weakest & why?",),
                    "chapters/overview.html",
                    "Why & how we <measure>",
                ),
            ),
            quiz=EssayQuiz(
                "Short answers & <reasons>",
                ("Explain, in two sentences, what a <source> is.", "ما الفرق بين الرأي والدليل؟"),
            ),
            direction="rtl",
        )
    )


@pytest.fixture(scope="module")
def packages(book: Cartridge, assignment: Cartridge, tmp_path_factory: pytest.TempPathFactory):
    """Each cartridge in each CC version, written as a real ``.imscc`` file."""
    folder = tmp_path_factory.mktemp("imscc")
    built = {}
    for name, cartridge in (("book", book), ("assignment", assignment)):
        for profile in PROFILES:
            target = folder / f"{name}-{profile.name}.imscc"
            built[name, profile.name] = write_cartridge(
                cartridge, target, base_url=BASE, profile=profile
            )
    return built


CASES = [(name, profile.name) for name in ("book", "assignment") for profile in PROFILES]
IDS = [f"{name}-cc{version}" for name, version in CASES]


def _profile(version: str) -> Profile:
    return {profile.name: profile for profile in PROFILES}[version]


def _xml_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(".xml")}


@pytest.mark.parametrize(("name", "version"), CASES, ids=IDS)
def test_every_xml_file_is_valid_against_the_official_xsds(packages, name, version):
    files = _xml_files(packages[name, version])
    kinds = {ET.fromstring(data).tag.split("}")[1] for data in files.values()}
    # The book has no quiz (QTI is for an assignment's short answers); the assignment has all.
    assert kinds == {"manifest", "webLink", "topic"} | (
        {"questestinterop"} if name == "assignment" else set()
    )
    problems = [error for file, data in files.items() for error in xsd.errors(data, version, file)]
    assert problems == []


@pytest.mark.parametrize(("name", "version"), CASES, ids=IDS)
def test_the_cc_rules_the_schematron_states_hold(packages, name, version):
    assert rules.check(str(packages[name, version]), _profile(version).schemaversion) == []


def test_the_rules_catch_what_they_name(packages):
    """Each rule fails on a manifest broken the way it forbids (the judges can say no)."""
    with zipfile.ZipFile(packages["book", "1.3"]) as archive:
        names = set(archive.namelist())
        text = archive.read("imsmanifest.xml").decode()
    broken = text.replace('type="imswl_xmlv1p3">', 'type="imswl_xmlv1p3" href="x.xml">', 1)
    assert "must not have an href" in rules.resource_rules(ET.fromstring(broken))[0]
    moved = text.replace("R_overview_4/topic.xml", "R_overview_1/topic.xml")
    found = rules.package_rules(ET.fromstring(moved), names | {"R_overview_1/topic.xml"})
    assert any("is in the folder of R_overview_1" in problem for problem in found)
    assert (
        "not in the package"
        in rules.package_rules(ET.fromstring(text), names - {"R_overview_1/weblink.xml"})[0]
    )
    untitled = text.replace("<title>The book &amp; its files</title>", "<title> </title>")
    assert rules.organization_rules(ET.fromstring(untitled)) == ["M_book: an item needs a title"]
    invalid = text.replace('identifierref="R_overview_1"', 'identifierref="R_nowhere"')
    assert xsd.errors(invalid.encode(), "1.3", "manifest")


@pytest.mark.parametrize(("name", "version"), CASES, ids=IDS)
def test_every_href_in_the_manifest_is_a_file_of_the_package(packages, name, version):
    with zipfile.ZipFile(packages[name, version]) as archive:
        names = set(archive.namelist())
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    hrefs = {element.get("href") for element in manifest.iter() if element.get("href") is not None}
    assert hrefs and hrefs <= names
    assert names - hrefs == {"imsmanifest.xml"}


def _normal(text: str) -> str:
    return " ".join(text.split())


def _expected_item(item, base: str) -> tuple:
    """What a reader must find for one item, from the model alone."""
    match item:
        case WebLink():
            return ("weblink", item.title, item.title, urljoin(base, item.href))
        case File():
            digest = hashlib.sha256(item.source.read_bytes()).hexdigest()
            return ("file", item.title, item.name or item.source.name, digest)
        case Discussion():
            link = ((urljoin(base, item.href), item.link_text),)
            return ("discussion", item.title, item.title, item.questions, link)
        case EssayQuiz():
            return ("quiz", item.title, item.title, item.questions)
        case Page():
            return ("page", item.title, item.name)
    raise AssertionError(item)


def expected_tree(cartridge: Cartridge, base: str) -> tuple:
    """The organization a reader must find, derived from the model, not from the package."""

    def module(entry: Module) -> tuple:
        return ("folder", entry.title, tuple(_expected_item(item, base) for item in entry.items))

    return tuple(
        module(entry)
        if isinstance(entry, Module)
        else ("folder", entry.title, tuple(module(child) for child in entry.modules))
        for entry in cartridge.contents
    )


@pytest.mark.parametrize(("name", "version"), CASES, ids=IDS)
def test_an_independent_reader_finds_every_module_link_file_and_discussion(
    packages, book, assignment, name, version
):
    cartridge = {"book": book, "assignment": assignment}[name]
    found = reader.Reader(str(packages[name, version]))
    try:
        assert found.schemaversion() == _profile(version).schemaversion
        assert found.tree() == expected_tree(cartridge, BASE)
        assert found.missing_files() == []
        result = found.profile_tests()
        assert result.testsRun >= 8
        assert (result.failures, result.errors) == ([], [])
    finally:
        found.close()


def test_the_book_cartridge_holds_what_the_issue_lists(packages, book):
    """Modules in book order with the parts as folders; per chapter a web link, both
    handouts and a discussion; at book level the EPUB and the book PDFs."""
    found = reader.Reader(str(packages["book", "1.3"]))
    try:
        tree = found.tree()
    finally:
        found.close()
    assert [entry[1] for entry in tree] == [entry.title for entry in book.contents]
    chapters = [tree[1], *tree[2][2], *tree[3][2]]
    for chapter in chapters:
        kinds = [item[0] for item in chapter[2]]
        assert kinds == ["weblink", "file", "file", "discussion"], chapter[1]
        assert chapter[2][0][3].startswith(BASE + "chapters/")
    assert [item[2] for item in tree[0][2]] == ["ethics.epub", "ethics-a4.pdf", "ethics-letter.pdf"]


@pytest.mark.parametrize("version", ["1.3", "1.1"])
def test_hostile_text_and_arabic_come_through_intact(packages, book, assignment, version):
    with zipfile.ZipFile(packages["book", version]) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    lom = LOM[version]
    assert manifest.find(f".//{lom}general/{lom}title/{lom}string").text == HOSTILE
    entities = [entity.text for entity in manifest.iter(f"{lom}entity")]
    assert "FN:سارة <Sara> الحسيني" in entities[1]
    assert "FN:Ada O'Brien & Co." in entities[0]
    with zipfile.ZipFile(packages["assignment", version]) as archive:
        page = archive.read("web_resources/week-1/instructions.html").decode()
        description = (
            ET.fromstring(archive.read("imsmanifest.xml"))
            .find(f".//{lom}description/{lom}string")
            .text
        )
    text = reader.html_text(page)
    assert ARABIC_COURSE in text.paragraphs
    assert '<html lang="ar" dir="rtl">' in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert html.unescape(title) == 'Week 1: "Claims" & <evidence> > opinion'
    assert ARABIC_COURSE in description


def test_the_instructions_page_carries_no_script_handler_or_unsafe_link(packages):
    with zipfile.ZipFile(packages["assignment", "1.3"]) as archive:
        page = archive.read("web_resources/week-1/instructions.html").decode()
        manifest = archive.read("imsmanifest.xml").decode()
    text = reader.html_text(page)
    assert "Read the source & the notes." in text.paragraphs
    assert text.items == ["Underline every date.", "Answer."]
    assert "موعد التسليم: 2026-09-18" in text.paragraphs
    for bad in ("<script", "onclick", "javascript:", "steal"):
        assert bad not in page
    # A link to a page of the book opens that page on the site, not a path in the LMS.
    assert text.links[-1] == (BASE + "chapters/samples.html#bias", "the samples")
    # CC 1.3 marks the page as the assignment's instructions; CC 1.1 has no such value.
    assert 'intendeduse="assignment"' in manifest


def test_a_rebuild_gives_the_same_bytes_in_another_process(book, tmp_path):
    first = {
        profile.name: cartridge_bytes(book, base_url=BASE, profile=profile) for profile in PROFILES
    }
    again = {
        profile.name: cartridge_bytes(book, base_url=BASE, profile=profile) for profile in PROFILES
    }
    assert first == again
    # Another interpreter with another hash seed: nothing may depend on set or dict order.
    (tmp_path / "model.py").write_text(
        "import pickle, sys\n"
        "from classbook.cartridge import CC13, cartridge_bytes\n"
        "book = pickle.load(open(sys.argv[1], 'rb'))\n"
        "sys.stdout.buffer.write(cartridge_bytes(book, base_url=sys.argv[2], profile=CC13))\n"
    )
    (tmp_path / "book.pickle").write_bytes(pickle.dumps(book))
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    done = subprocess.run(
        [sys.executable, str(tmp_path / "model.py"), str(tmp_path / "book.pickle"), BASE],
        capture_output=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    assert hashlib.sha256(done.stdout).hexdigest() == hashlib.sha256(first["1.3"]).hexdigest()


def test_the_zip_is_laid_out_the_same_way_every_time(packages):
    with zipfile.ZipFile(packages["book", "1.3"]) as archive:
        entries = archive.infolist()
    names = [entry.filename for entry in entries]
    assert names[0] == "imsmanifest.xml"
    assert names[1:] == sorted(names[1:])
    for entry in entries:
        assert entry.filename.isascii()
        assert entry.date_time == (1980, 1, 1, 0, 0, 0)
        assert (entry.create_system, entry.external_attr >> 16) == (3, 0o100644)
        stored = entry.filename.endswith((".pdf", ".epub"))
        assert entry.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize(
    "base",
    [
        "https://example.org/book/",
        "http://www.example.com/",
        "https://books.example.org/homs-massacre/",
        "https://example.test/book/",
        "http://localhost:8000/",
        "http://127.0.0.1/book/",
        "https://[::1]/",
        "https://site.invalid/",
        "",
        None,
        "books.classbook.net/ethics/",
        "ftp://files.classbook.net/",
    ],
)
def test_a_placeholder_or_missing_base_url_is_refused_naming_the_setting(book, tmp_path, base):
    target = tmp_path / "book.imscc"
    with pytest.raises(SiteURLError, match="html_baseurl"):
        write_cartridge(book, target, base_url=base)
    with pytest.raises(SiteURLError, match="site_url"):
        cartridge_bytes(book, base_url=base, setting="site_url")
    assert not target.exists() and not list(tmp_path.iterdir())


def test_a_link_to_a_placeholder_host_in_the_model_is_refused(book):
    module = Module("extra", "Extra", (WebLink("Elsewhere", "https://www.example.net/page"),))
    cartridge = Cartridge(**{**book.__dict__, "contents": (*book.contents, module)})
    with pytest.raises(SiteURLError, match=r"www\.example\.net"):
        cartridge_bytes(cartridge, base_url=BASE)


def test_the_base_url_is_kept_as_given_with_one_trailing_slash():
    assert check_base_url("https://classbook-books.github.io/ethics") == (
        "https://classbook-books.github.io/ethics/"
    )
    assert check_base_url(BASE) == BASE


def test_a_title_that_is_only_space_or_a_quiz_without_questions_is_refused(book):
    module = Module("blank", " \n\t", (WebLink("Read", "a.html"),))
    cartridge = Cartridge(**{**book.__dict__, "contents": (module,)})
    with pytest.raises(ValueError, match="M_blank has an empty title"):
        cartridge_bytes(cartridge, base_url=BASE)
    with pytest.raises(ValueError, match="no question"):
        EssayQuiz("Empty", ())


def test_keys_and_file_names_are_plain_ascii(tmp_path):
    with pytest.raises(ValueError, match="key"):
        Module("الفصل", "Chapter", ())
    with pytest.raises(ValueError, match="used twice"):
        Cartridge(
            "c", "T", "en", "L", "https://l/", (), "1", dt.date(2026, 1, 1), "",
            (Module("a", "A", ()), Part("p", "P", (Module("a", "A2", ()),))),
        )  # fmt: skip
    pdf = _pdf(tmp_path, "ورقة.pdf")
    module = Module("a", "A", (File("Sheet", pdf),))
    cartridge = Cartridge(
        "c", "T", "en", "L", "https://l/", (), "1", dt.date(2026, 1, 1), "", (module,)
    )
    with pytest.raises(ValueError, match="plain ASCII"):
        cartridge_bytes(cartridge, base_url=BASE)
    renamed = Module("a", "A", (File("Sheet", pdf, name="sheet.pdf"),))
    names = zipfile.ZipFile(
        io.BytesIO(
            cartridge_bytes(
                Cartridge(**{**cartridge.__dict__, "contents": (renamed,)}), base_url=BASE
            )
        )
    ).namelist()
    assert "web_resources/a/sheet.pdf" in names


def test_the_library_runs_without_sphinx():
    code = (
        "import sys, classbook.cartridge\n"
        "print(sorted(name for name in sys.modules if name.startswith('sphinx')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_the_schemas_are_the_copies_sources_md_names():
    """Each committed XSD is listed in SOURCES.md with the blob hash of its source's bytes
    (unchanged, as the IMS notice requires) and carries that notice in its header."""
    listed = {}
    for row in (xsd.SCHEMAS / "SOURCES.md").read_text().splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        path = cells[0].split("`")[1] if row.startswith("| `") else ""
        if path.endswith(".xsd") and len(cells[-1]) == 40:
            listed[path] = cells[-1]
    files = {str(path.relative_to(xsd.SCHEMAS)): path for path in xsd.SCHEMAS.rglob("*.xsd")}
    assert set(listed) == set(files)
    for name, path in files.items():
        data = path.read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        assert blob == listed[name], name
        header = data.decode("utf-8").split("<xs:element", 1)[0]
        assert "Distribution Notice for Developers" in header, name
        assert "The limited permissions granted above are perpetual" in header, name
