"""A new book passes its own CI from a fresh clone far from the pipeline, with the pipeline
as a package index would serve it (its wheel). A module of its own: the longest test of the
suite, so pytest-xdist can run it beside the other publishing tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.build
def test_a_new_book_passes_its_own_ci_from_a_fresh_clone_far_from_the_pipeline(
    wheel: Path, tmp_path: Path
) -> None:
    source = tmp_path / "docs" / "spring.md"
    source.parent.mkdir()
    source.write_text(
        "---\ntitle: Spring\nauthor: A. Teacher\n---\n# Herons\n\nWe saw three herons.\n\n"
        "# Swifts\n\nThe swifts came back in May.\n",
        encoding="utf-8",
    )
    made = tmp_path / "made"
    # As on a fresh machine: nothing of this run (its paths, its pytest options) leaks in.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS"}
    }
    # As a pipeline installed from the package index runs: not from a git checkout.
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "new-book", str(source), str(made)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**env, "PYTHONPATH": str(ROOT), "GIT_DIR": str(tmp_path / "no-repository")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.test"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "A new book"]):
        subprocess.run([*git, *args], cwd=made, check=True)
    clone = tmp_path / "elsewhere" / "spring"
    subprocess.run(["git", "clone", "-q", str(made), str(clone)], check=True)
    # As a package index would serve the released pipeline: its wheel, found by pip.
    ci = subprocess.run(
        ["bash", ".ci/run"], cwd=clone, capture_output=True, text=True, check=False,
        env={**env, "PIP_FIND_LINKS": str(wheel.parent)}, timeout=1500,
    )  # fmt: skip
    assert ci.returncode == 0, (ci.stdout[-3000:], ci.stderr[-3000:])
    assert " passed" in ci.stdout
