"""Real documents written by others: each becomes a book that passes the check-only build,
or new-book refuses it with one message naming the file, the place and the feature."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))  # the corpus harness is a tool, not part of the package
from corpus import DOCS, Outcome, check_all, documents

#: Fifty check-only builds: the full suite's, not the inner loop's.
pytestmark = pytest.mark.build

DOCUMENTS = documents(DOCS, [])
#: A refusal names the file and the place: a line, or a Word paragraph and its first words.
PLACE = r"(:\d+: |: paragraph \d+ \('[^']*'\): |: the table after paragraph \d+ \('[^']*'\): )"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every document's new-book and check-only build, two at a time."""
    return check_all(DOCUMENTS, tmp_path_factory.mktemp("corpus"))


def test_the_corpus_is_in_the_repository_with_its_sources() -> None:
    sources = (DOCS.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert len(DOCUMENTS) >= 40
    for document in DOCUMENTS:
        assert f"`{document.name}`" in sources, document.name


@pytest.mark.parametrize("document", [d.name for d in DOCUMENTS])
def test_a_real_document_builds_or_is_refused_naming_place_and_feature(
    document: str, outcomes: dict[str, Outcome]
) -> None:
    outcome = outcomes[document]
    if outcome.status == "refused":
        # One line: "classbook: <file>:<place>: <the feature and what to do>".
        assert len(outcome.detail.splitlines()) == 1, outcome.detail
        assert re.match(rf"^classbook: \S*{re.escape(document)}{PLACE}\S", outcome.detail), (
            outcome.detail
        )
        assert "Traceback" not in outcome.detail
    else:
        # An image without alt text is left out (never published without one), as new-book
        # listed it; everything else builds.
        assert outcome.status == "passed", outcome.detail


def test_a_check_in_the_check_server_fails_as_python_m_sphinx_does(tmp_path) -> None:
    """The corpus's checks are forks of one server that imported Sphinx once: a book that
    fails the check fails there as it does under ``python -m sphinx``, with the same words."""
    from checkserver import CheckServer
    from corpus import CHECK, _run

    lesson = tmp_path / "lesson.md"
    lesson.write_text("# Herons\n\nWe saw three herons.\n", encoding="utf-8")
    project = tmp_path / "book"
    outcome = check_all([lesson], tmp_path / "ok")["lesson.md"]
    assert outcome.status == "passed", outcome.detail
    from classbook.sources import scaffold

    scaffold.new_book(lesson, project, {})
    [chapter] = (project / "book" / "chapters").glob("*.md")
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nSee {ref}`nowhere`.\n", "utf-8")
    alone = _run([sys.executable, "-m", "sphinx", *CHECK], project, 300)
    with CheckServer() as server:
        forked = server.run(project, CHECK, 300)
    assert alone.returncode == forked.returncode != 0
    warning = [line for line in alone.stderr.splitlines() if "WARNING" in line]
    assert warning and "nowhere" in warning[0]
    assert [line for line in forked.stderr.splitlines() if "WARNING" in line] == warning
