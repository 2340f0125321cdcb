"""Shared fixtures: the tiny fixture book and one session-wide build of the real book."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).parent / "roots"

#: Published folder of each builder's output (``_build/<folder>``).
OUTDIRS = {"epub": "epub", "bookpdf": "pdf", "handouts": "handouts", "html": "html"}
#: The real book's render cache, shared with `make book`: a test run after a build
#: renders only what changed since.
CACHE = ROOT / "_build" / ".cache" / "render"


@dataclass(frozen=True)
class Build:
    """Where a build published its outputs."""

    root: Path

    def out(self, builder: str) -> Path:
        return self.root / OUTDIRS.get(builder, builder)

    def work(self, builder: str, edition: str = "student") -> Path:
        """The builder's folder in the work area: what it wrote besides what is published
        (the book PDF's print HTML, its images)."""
        return self.root / ".work" / edition / OUTDIRS.get(builder, builder)


def sphinx(
    builder: str,
    srcdir: Path,
    outdir: Path,
    *,
    confdir: Path | None = None,
    doctrees: Path | None = None,
    extra: tuple[str, ...] = (),
) -> int:
    """Run one sphinx-build, as someone running Sphinx directly would (warnings are errors)."""
    args = ["-b", builder, "-c", str(confdir or srcdir), str(srcdir), str(outdir)]
    args += ["-d", str(doctrees or outdir.parent / "doctrees"), "-nW", "--keep-going", "-q"]
    return build_main([*args, *extra])


#: The repository the real book is built for in the tests, as GitHub Pages' workflow names it:
#: its site's address (classbook.urls.site_address) is where QR codes and printed links lead.
REPOSITORY = "classbook-editions/homs-massacre"
#: That site's address.
SITE = "https://classbook-editions.github.io/homs-massacre/"
#: The claims register's column headings, as a reader sees them (written out, not the code's).
REGISTER_HEADERS = [
    "Claim (as quoted in the source)",
    "Chapter",
    "What the record shows",
    "Reported by",
    "Verdict",
    "Sources",
]


def build_all(
    srcdir: Path,
    confdir: Path,
    root: Path,
    *,
    cache: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Build:
    """Build every output of a book into ``root`` as `make book` does (one process, the
    orchestrator); fail the test session on any warning."""
    args = ["build", "-q", "--source-dir", str(srcdir), "--conf-dir", str(confdir)]
    args += ["--build-dir", str(root), *(["--cache-dir", str(cache)] if cache else []), "all"]
    done = subprocess.run(
        [sys.executable, "-m", "classbook", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(environ or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"the build failed:\n{done.stderr}"
    return Build(root)


#: Fixtures that build a whole book (every output): their tests are not in the fast tier.
BOOK_FIXTURES = frozenset({"book", "mini"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a whole book built (``-m "not book"`` leaves them out)."""
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]
) -> Path:
    """A folder ``make`` fills once for the whole session, however many processes run its
    tests (pytest-xdist's workers share the session's folder): the first to come makes it
    while the others wait on a lock; a ``make`` that failed is tried again by the next."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each worker's own
    folder, done = base / name, base / f"{name}.done"
    with (base / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the file is closed
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def _build_book(root: Path) -> None:
    build_all(ROOT / "book", ROOT, root, cache=CACHE, environ={"GITHUB_REPOSITORY": REPOSITORY})


def _build_mini(folder: Path) -> None:
    src = folder / "src" / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    build_all(src, src, folder / "out")


#: The build date the wheel and the installed books are made with (reproducible bytes).
EPOCH = "1700000000"


def _build_wheel(folder: Path) -> None:
    """The pipeline's wheel, built as make dist builds it (python -m build)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(folder), str(ROOT)],
        capture_output=True,
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's wheel, built once for every process of the session."""
    [built] = made_once(tmp_path_factory, "wheel", _build_wheel).glob("classbook-*.whl")
    return built


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real book, every output built once for the whole session."""
    return Build(made_once(tmp_path_factory, "book", _build_book))


@pytest.fixture(scope="session")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The tiny fixture book, every output built once."""
    return Build(made_once(tmp_path_factory, "mini", _build_mini) / "out")


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture book, for tests that break it on purpose."""
    src = tmp_path / "mini"
    shutil.copytree(ROOTS / "test-mini", src)
    return src
