"""The documentation site: built with warnings as errors, every link inside it resolving."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
from conftest import ROOT, sphinx

DOCS = ROOT / "docs"


def test_docs_build_without_warnings_and_every_link_inside_resolves(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    assert sphinx("html", DOCS, out, doctrees=tmp_path / "doctrees") == 0
    pages = sorted(out.glob("*.html"))
    assert {p.stem for p in pages} >= {"index", "architecture", "security", "configuration"}
    soups = {
        page.resolve(): BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for page in pages
    }
    ids = {page: {tag["id"] for tag in soup.find_all(id=True)} for page, soup in soups.items()}
    broken = []
    for page, soup in soups.items():
        for link in soup.find_all("a", href=True):
            href = link["href"]
            parts = urlsplit(href)
            if parts.scheme:
                continue  # another host: not checked here (no network)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            missing = parts.fragment and parts.fragment not in ids.get(target, set())
            if not target.is_file() or (target in ids and missing):
                broken.append(f"{page.name}: {href}")
    assert broken == []


def test_the_readme_is_a_short_front_door_that_links_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    linked = set(re.findall(r"\(docs/([\w-]+\.md)\)", readme))
    assert linked, "the README links no page of docs/"
    assert {p for p in linked if not (DOCS / p).is_file()} == set()
