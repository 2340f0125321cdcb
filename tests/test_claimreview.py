"""Fact-check markup: each chapter page's schema.org ClaimReview JSON-LD is complete and its
anchors lead to the editor's notes; only the web site carries it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup
from conftest import SITE
from helpers import ROOT, SLUG, epub_documents

from classbook.ext.schemas import VERDICTS

REQUIRED = ("@context", "@type", "url", "claimReviewed", "author", "datePublished", "reviewRating")


def reviews(page: Path) -> list[dict]:
    """Every ClaimReview in a page's JSON-LD scripts."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for script in soup.select('script[type="application/ld+json"]'):
        data = json.loads(script.string)
        found += [item for item in (data if isinstance(data, list) else [data])]
    return [item for item in found if item.get("@type") == "ClaimReview"]


def check(review: dict, site: Path, base: str, claims: dict[str, dict], page: str = "") -> None:
    """One ClaimReview: the properties search engines read, and an anchor that resolves."""
    missing = [key for key in REQUIRED if not review.get(key)]
    assert not missing, (missing, review)
    assert review["@context"] == "https://schema.org"
    assert review["author"]["@type"] == "Organization" and review["author"]["name"]
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"] in VERDICTS.values()
    item = review["itemReviewed"]
    assert item["@type"] == "Claim" and item["appearance"]["name"]
    assert review["datePublished"][:4].isdigit() and len(review["datePublished"]) == 10
    # The url is the note's own address: the page on the site, and the note's anchor.
    assert review["url"].startswith(base)
    path, anchor = (
        urlsplit(review["url"][len(base) :]).path or page,
        urlsplit(review["url"]).fragment,
    )
    target = BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")
    note = target.find(id=anchor)
    assert note is not None and "editor-note" in note.get("class", []), review["url"]
    entry = claims[anchor.removeprefix("note-")]
    assert review["claimReviewed"] == entry["claim"]
    assert rating["alternateName"] == VERDICTS[entry["verdict"]]
    assert note.select_one(".verdict").get_text() == rating["alternateName"]


def test_mini_chapter_has_claimreview_markup(mini) -> None:
    site = mini.out("html")
    claims = yaml.safe_load((ROOT / "tests/roots/test-mini/_data/claims.yml").read_text())
    by_id = {entry["id"]: entry for entry in claims}
    first = reviews(site / "chapters" / "01-first.html")
    assert len(first) == 1
    # The fixture book has no known address: each note's anchor on its own page.
    assert first[0]["url"] == "#note-date"
    check(first[0], site, "", by_id, page="chapters/01-first.html")
    assert first[0]["itemReviewed"]["appearance"]["name"] == "Mini Book"
    assert reviews(site / "chapters" / "03-last.html") == []  # no notes, no markup
    epub = epub_documents(mini.out("epub") / "mini.epub")
    assert not any("application/ld+json" in doc for doc in epub.values())


def test_book_claimreview_for_every_note(book) -> None:
    site = book.out("html")
    claims = yaml.safe_load((ROOT / "book/_data/claims.yml").read_text(encoding="utf-8"))
    by_id = {entry["id"]: entry for entry in claims}
    found = [
        review for page in sorted((site / "chapters").glob("*.html")) for review in reviews(page)
    ]
    assert sorted(review["url"].rsplit("#note-", 1)[1] for review in found) == sorted(by_id)
    for review in found:
        check(review, site, SITE, by_id)
    assert {r["itemReviewed"]["appearance"]["name"] for r in found} == {
        "The Homs Massacre (anonymous text, as received)"
    }
    epub = epub_documents(book.out("epub") / f"{SLUG}.epub")
    assert not any("application/ld+json" in doc for doc in epub.values())
