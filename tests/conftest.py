"""Shared fixtures: the tiny fixture book and one session-wide build of the real book."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).parent / "roots"

#: Builders in the order `make book` runs them: the site publishes the others' files.
BUILDERS = ("epub", "bookpdf", "handouts", "html")
#: Output folder of each builder, as the Makefile names them.
OUTDIRS = {"epub": "epub", "bookpdf": "pdf", "handouts": "handouts", "html": "html"}


@dataclass(frozen=True)
class Build:
    """Where a build put its outputs."""

    root: Path

    def out(self, builder: str) -> Path:
        return self.root / OUTDIRS[builder]


def sphinx(
    builder: str,
    srcdir: Path,
    outdir: Path,
    *,
    confdir: Path | None = None,
    doctrees: Path | None = None,
    extra: tuple[str, ...] = (),
) -> int:
    """Run sphinx-build exactly as the Makefile does (warnings are errors)."""
    args = ["-b", builder, "-c", str(confdir or srcdir), str(srcdir), str(outdir)]
    args += ["-d", str(doctrees or outdir.parent / "doctrees"), "-nW", "--keep-going", "-q"]
    return build_main([*args, *extra])


def build_all(srcdir: Path, confdir: Path, root: Path, extra: tuple[str, ...] = ()) -> Build:
    """Build every output of a book into ``root``; fail the test session on any warning."""
    for builder in BUILDERS:
        status = sphinx(builder, srcdir, root / OUTDIRS[builder], confdir=confdir, extra=extra)
        assert status == 0, f"sphinx-build -b {builder} failed (see the warnings above)"
    return Build(root)


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real book, every output built once for the whole session."""
    return build_all(ROOT / "book", ROOT, tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="session")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The tiny fixture book, every output built once."""
    src = tmp_path_factory.mktemp("mini-src") / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    return build_all(src, src, tmp_path_factory.mktemp("mini"))


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture book, for tests that break it on purpose."""
    src = tmp_path / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    return src
