"""Anchors are unique by construction: a document whose headings repeat (the book's title
and its first chapter, "Exercises" in two chapters) builds, and each link finds its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_classbook
from pypdf import PdfReader

DOCUMENT = """# First chapter

Some text here, see [the second exercises](#exercises-1).

## Exercises

Do one.

# Second chapter

More text.

## Exercises

Do two.
"""


@pytest.mark.build
def test_repeated_headings_build_every_pdf_with_unique_anchors(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DOCUMENT, encoding="utf-8")
    made = run_classbook(tmp_path, "new-book", "doc.md", "book", epoch=1765000000)
    assert made.returncode == 0, made.stderr
    built = run_classbook(tmp_path / "book", "build", "pdf", epoch=1765000000)
    assert built.returncode == 0, built.stderr
    assert "Anchor defined twice" not in built.stderr
    reader = PdfReader(tmp_path / "book" / "_build" / "pdf" / "first-chapter-a4.pdf")
    names = list(reader.named_destinations)
    assert len(names) == len(set(names))
    exercises = [name for name in names if name.endswith("exercises")]
    assert len(exercises) == 2, names  # one per chapter, each its own
    # The first chapter's link leads to the second chapter's exercises, not its own.
    texts = [page.extract_text() for page in reader.pages]
    source = next(i for i, text in enumerate(texts) if "Some text here" in text)
    target = next(i for i, text in enumerate(texts) if "Do two." in text)
    assert source != target
    leads = [
        reader.get_page_number(annotation.get_object()["/Dest"][0].get_object())
        for annotation in reader.pages[source].get("/Annots") or []
        if "/Dest" in annotation.get_object()
    ]
    assert target in leads, leads
