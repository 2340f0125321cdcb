"""The book's checks: a clean build of every output, and the source verbatim in each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from classbook.publish import verify

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"


@pytest.fixture(scope="session")
def build() -> subprocess.CompletedProcess[str]:
    """`make book`'s build, once for the session; warnings are errors."""
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "build", "-q", "--build-dir", str(BUILD), "all"],
        cwd=ROOT,
        env={**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_build_has_no_warnings(build: subprocess.CompletedProcess[str]) -> None:
    assert "WARNING" not in build.stdout + build.stderr


def test_every_output_is_published(build: subprocess.CompletedProcess[str]) -> None:
    assert (BUILD / "html" / "index.html").is_file()
    assert list((BUILD / "epub").glob("*.epub"))
    assert len(list((BUILD / "pdf").glob("*.pdf"))) == 4  # A4, Letter; student, teacher
    assert list((BUILD / "handouts").glob("*.pdf"))


def test_the_source_is_verbatim_in_every_output(build: subprocess.CompletedProcess[str]) -> None:
    findings = verify.verify(ROOT / "book", ROOT, BUILD)
    assert findings
    for finding in findings:
        assert finding.total > 0
        assert not finding.missing, (finding.output, finding.missing[:3])
        assert not finding.out_of_order, (finding.output, finding.out_of_order[:3])


def test_epubcheck_finds_nothing(build: subprocess.CompletedProcess[str]) -> None:
    [epub] = (BUILD / "epub").glob("*.epub")
    done = subprocess.run(
        [sys.executable, "-m", "epubcheck", str(epub)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
