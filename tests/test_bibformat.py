"""The bibliography is formatted once per parse: a builder that reads nothing over the
saved environment keeps the formatted citations; a changed document or .bib formats again."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOTS
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils
from sphinxcontrib.bibtex.domain import BibtexDomain


def _build(src: Path, builder: str = "dummy") -> Sphinx:
    with patch_docutils(src), docutils_namespace():
        app = Sphinx(
            srcdir=src,
            confdir=src,
            outdir=src / "_build" / builder,
            doctreedir=src / "_build" / "doctrees",
            buildername=builder,
            status=None,
            warning=sys.stderr,
            freshenv=False,
            warningiserror=True,
        )
        app.build()
    assert app.statuscode == 0
    return app


@pytest.fixture
def formatted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times sphinxcontrib-bibtex formatted the citations."""
    calls: list[int] = []
    original = BibtexDomain.env_updated

    def counted(self: BibtexDomain):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(self)

    monkeypatch.setattr(BibtexDomain, "env_updated", counted)
    return calls


def test_a_builder_that_reads_nothing_keeps_the_formatted_citations(
    tmp_path: Path, formatted: list[int]
) -> None:
    src = tmp_path / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    first = _build(src)
    assert len(formatted) == 1
    cited = {c.key for c in first.env.get_domain("cite").citations}  # type: ignore[attr-defined]
    assert cited == {"doe2001"}
    second = _build(src)  # another builder over the saved environment: nothing read
    assert len(formatted) == 1
    assert {c.key for c in second.env.get_domain("cite").citations} == cited  # type: ignore[attr-defined]
    text = _build(src, "text")  # a writer that resolves the citations
    assert len(formatted) == 1
    page = (src / "_build" / "text" / "chapters" / "01-first.txt").read_text(encoding="utf-8")
    assert "Doe" in page

    bib = src / "_data" / "refs.bib"
    os.utime(bib, (bib.stat().st_atime, bib.stat().st_mtime + 10))
    _build(src)
    assert len(formatted) == 2  # the .bib changed

    chapter = src / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", "utf-8")
    _build(src)
    assert len(formatted) == 3  # a document was read
    assert text.statuscode == 0
