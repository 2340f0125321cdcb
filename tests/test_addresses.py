"""Real addresses in print: a QR code or printed link leads to a page of the published site,
or there is none; a placeholder host never reaches an output."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SITE
from helpers import pdf_pages

from classbook.urls import is_placeholder, site_address

#: The fixture book's conf.py names a placeholder host.
PLACEHOLDER = "https://example.org/mini/"


def test_the_site_address_comes_from_the_host_or_is_none() -> None:
    assert site_address("", {}) == ""
    assert site_address("https://books.example.org/x/", {}) == ""  # a placeholder is none
    assert site_address("https://school.edu/history", {}) == "https://school.edu/history/"
    pages = {"GITHUB_REPOSITORY": "Owner/Book"}
    assert site_address("", pages) == "https://owner.github.io/Book/"
    assert site_address("", {"GITHUB_REPOSITORY": "owner/owner.github.io"}) == (
        "https://owner.github.io/"
    )
    docs = {"READTHEDOCS_CANONICAL_URL": "https://book.readthedocs.io/en/latest/"}
    assert site_address("", {**docs, **pages}) == "https://book.readthedocs.io/en/latest/"
    assert site_address("https://ours.org/b/", docs) == "https://ours.org/b/"  # conf.py wins
    for address in ("http://localhost:8000/", "http://127.0.0.1/", "https://x.test/", ""):
        assert is_placeholder(address), address


def _every_text(root: Path) -> str:
    """Every published file's text: HTML and data as written, PDFs' text, EPUB members
    (not the work area's or the render cache's copies: ``_build/.work``, ``.cache``)."""
    texts = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        if path.suffix == ".pdf":
            texts += pdf_pages(path)
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        elif path.suffix in {".html", ".xhtml", ".xml", ".js", ".txt", ".json", ".css"}:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def _qr_codes(pdf: Path, folder: Path) -> list[str]:
    """What every QR code on the first page of ``pdf`` decodes to."""
    stem = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(stem)],
                   check=True)  # fmt: skip
    image = next(folder.glob(f"{pdf.stem}*.png"))
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode in {0, 4}, done.stderr  # 4: no code found
    return done.stdout.split()


def test_a_book_without_an_address_prints_no_qr_code_and_no_placeholder(
    mini, tmp_path: Path
) -> None:
    assert PLACEHOLDER not in _every_text(mini.root)
    for output in ("handouts", "packets", "pdf"):
        for pdf in sorted(mini.out(output).glob("*.pdf"))[:4]:
            assert _qr_codes(pdf, tmp_path) == [], pdf
    assert not (mini.out("html") / "sitemap.xml").exists()


@pytest.mark.parametrize("output", ["handouts", "packets"])
def test_every_qr_code_leads_to_a_page_of_the_published_site(
    book, tmp_path: Path, output: str
) -> None:
    site = book.out("html")
    pdfs = sorted(p for p in book.out(output).glob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        codes = _qr_codes(pdf, tmp_path)
        assert len(codes) == 1, (pdf.name, codes)
        assert codes[0].startswith(SITE), codes
        page = urlsplit(codes[0][len(SITE) :]).path or "index.html"
        assert (site / page).is_file(), f"{pdf.name}: {codes[0]} is no page of the site"
    assert "books.example.org" not in _every_text(book.root)
