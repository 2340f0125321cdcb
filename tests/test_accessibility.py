"""Accessibility of the EPUB (Ace by DAISY, package metadata) and of the book PDF (tags)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pikepdf
import pytest
from helpers import ROOT, SLUG

#: Ace by DAISY's command line, installed from npm by classbook/setup/install-node-tools.sh.
ACE = ROOT / ".tools" / "node_modules" / ".bin" / "ace-cli"
CHROMIUM = "/usr/bin/chromium"
OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
HEADINGS = ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6")


@pytest.fixture(scope="module")
def epub(book) -> Path:
    return book.out("epub") / f"{SLUG}.epub"


@pytest.fixture(scope="module")
def a11y_metadata(epub: Path) -> dict[str, list[str]]:
    """The package's <meta property=...> values, by property."""
    with zipfile.ZipFile(epub) as archive:
        opf = ET.fromstring(archive.read("content.opf"))
    found: dict[str, list[str]] = {}
    for meta in opf.iter(f"{OPF}meta"):
        if meta.get("property"):
            found.setdefault(meta.get("property"), []).append((meta.text or "").strip())
    return found


# -- EPUB --------------------------------------------------------------------------------


def test_ace_by_daisy_reports_no_violation(epub: Path, tmp_path: Path) -> None:
    assert ACE.exists(), "Ace missing: run classbook/setup/install-node-tools.sh"
    env = os.environ | {"PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "ACE_TIMEOUT_INITIAL": "30000"}
    run = subprocess.run(
        [str(ACE), "--force", "--silent", "--outdir", str(tmp_path / "ace"), str(epub)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "ace" / "report.json").read_text(encoding="utf-8"))
    violations = [
        (document["earl:testSubject"]["url"], check["earl:test"]["dct:title"])
        for document in report["assertions"]
        for check in document["assertions"]
        if check["earl:result"]["earl:outcome"] == "fail"
    ]
    assert violations == []
    assert report["earl:result"]["earl:outcome"] == "pass"
    # Ace read the whole book, not an empty shell.
    assert len(report["assertions"]) >= 13


def test_epub_accessibility_metadata(a11y_metadata: dict[str, list[str]]) -> None:
    meta = a11y_metadata
    assert sorted(meta["schema:accessMode"]) == ["textual", "visual"]  # the cover is an image
    assert meta["schema:accessModeSufficient"] == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"} <= set(
        meta["schema:accessibilityFeature"]
    )
    assert meta["schema:accessibilityHazard"] == ["none"]
    assert len(meta["schema:accessibilitySummary"][0]) > 40
    assert meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_epub_toc_has_its_aria_role(epub: Path) -> None:
    with zipfile.ZipFile(epub) as archive:
        nav = ET.fromstring(archive.read("nav.xhtml"))
    tocs = [n for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "toc"]
    assert len(tocs) == 1
    assert tocs[0].get("role") == "doc-toc"


def test_epub_cover_is_described(epub: Path) -> None:
    with zipfile.ZipFile(epub) as archive:
        opf = ET.fromstring(archive.read("content.opf"))
        cover_id = next(
            m.get("content") for m in opf.iter(f"{OPF}meta") if m.get("name") == "cover"
        )
        items = {i.get("id"): i.get("href") for i in opf.iter(f"{OPF}item")}
        image = items[cover_id]
        assert archive.read(image).startswith(b"\x89PNG")
        page = ET.fromstring(archive.read("epub-cover.xhtml"))
    img = next(page.iter(f"{XHTML}img"))
    assert img.get("src") == image
    assert img.get("alt").startswith("Cover of The Homs Massacre")


# -- PDF ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["a4", "letter"])
def pdf(request, book) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(book.out("bookpdf") / f"{SLUG}-{request.param}.pdf") as document:
        yield document


def structure(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Dictionary]]:
    """Each structure element in reading order (depth first), with its standard type."""
    root = pdf.Root.StructTreeRoot
    role_map = root.get("/RoleMap", pikepdf.Dictionary())
    elements: list[tuple[str, pikepdf.Dictionary]] = []

    def standard(kind: pikepdf.Name) -> str:
        while kind in role_map:  # custom types map to the standard ones
            kind = role_map[kind]
        return str(kind)

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            elements.append((standard(node.S), node))
            walk(node.get("/K"))

    walk(root.get("/K"))
    return elements


def test_pdf_is_tagged_with_language_and_title(pdf: pikepdf.Pdf) -> None:
    assert "/StructTreeRoot" in pdf.Root
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == "en"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.docinfo.get("/Title", "")) or pdf.open_metadata().get("dc:title")


def test_pdf_figures_have_alt_text(pdf: pikepdf.Pdf) -> None:
    figures = [element for kind, element in structure(pdf) if kind == "/Figure"]
    assert figures, "the book has figures (the timeline): none is tagged"
    missing = [f for f in figures if not str(f.get("/Alt", "")).strip()]
    assert missing == []


def test_pdf_heading_levels_have_no_gaps(pdf: pikepdf.Pdf) -> None:
    levels = [HEADINGS.index(kind) + 1 for kind, _ in structure(pdf) if kind in HEADINGS]
    assert levels, "no headings tagged"
    assert levels[0] == 1
    jumps = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert jumps == []
