"""Malformed citations are the writer's mistake: one message with file and line, through the
same `python -m classbook build` the Makefile runs, never "an unexpected error"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOTS
from helpers import run_classbook

from classbook.ext.citations import problem

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

CORPUS = Path(__file__).parent / "corpus"
CASES = ["citation-unknown-key", "citation-broken-key-list", "citation-empty-role"]
CASES += ["citation-stray-comma"]


@pytest.mark.parametrize("case", CASES)
def test_one_message_naming_file_and_line(case: str, tmp_path: Path) -> None:
    shutil.copytree(ROOTS / "test-mini", tmp_path / "mini")
    shutil.copytree(CORPUS / case, tmp_path / "mini", dirs_exist_ok=True)
    done = run_classbook(
        tmp_path,
        "build",
        "--source-dir",
        "mini",
        "--conf-dir",
        "mini",
        "epub",
        epoch=1700000000,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "unexpected error" not in output and "Traceback" not in output, output
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, warnings
    assert "chapters/02-second.md:14: WARNING" in warnings[0]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("doe2001", None),
        ("doe2001,roe2002", None),
        ("doe2001, roe2002", None),
        ("", "an empty citation"),
        ("  ", "an empty citation"),
        ("doe2001,\nroe2002", "broken over lines"),
        ("doe2001,", "has an empty key"),
        (",doe2001", "has an empty key"),
        ("doe2001 roe2002", "separates keys with spaces"),
    ],
)
def test_problem_of_each_key_list(keys: str, expected: str | None) -> None:
    found = problem(keys)
    assert (found is None) if expected is None else (expected in (found or "")), found
