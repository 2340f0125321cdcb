"""Helpers for the source readers' tests: a book from a document, and its check-only build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from helpers import run_classbook

FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.S)


def new_book(source: Path, dest: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """``python -m classbook new-book SOURCE DEST FLAGS`` in the source's folder."""
    return run_classbook(source.parent, "new-book", str(source), str(dest), *flags, epoch=0)


def check_build(project: Path) -> subprocess.CompletedProcess[str]:
    """The check-only build (Sphinx's dummy builder, warnings are errors) of a book."""
    command = [sys.executable, "-m", "sphinx", "-b", "dummy", "-c", ".", "book", "_build/dummy"]
    return subprocess.run(
        [*command, "-nW", "--keep-going", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def chapters(project: Path) -> list[tuple[Path, dict, str]]:
    """(file, front matter, body) of each chapter, in the order of the book's contents."""
    index = (project / "book" / "index.md").read_text(encoding="utf-8")
    result = []
    for name in re.findall(r"^(chapters/\S+)$", index, re.M):
        path = project / "book" / f"{name}.md"
        text = path.read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        assert match, name
        result.append((path, yaml.safe_load(match.group(1)), text[match.end() :]))
    return result


def built(source: Path, dest: Path, *flags: str) -> Path:
    """A book made from ``source`` whose check-only build passes."""
    done = new_book(source, dest, *flags)
    assert done.returncode == 0, done.stderr
    check = check_build(dest)
    assert check.returncode == 0, check.stderr
    return dest
