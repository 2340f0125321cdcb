"""Reproducible artifacts: two clean builds of the same sources in different folders (and
time zones) give byte-identical HTML, EPUB and PDFs, and ``dist/`` is the same bytes too."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, ROOTS
from helpers import run_classbook
from pypdf import PdfReader

from classbook import dates, reproducible

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

EPOCH = 1700000000
#: Sphinx's bookkeeping for incremental builds: not part of what is published.
SKIPPED = {".buildinfo", ".buildinfo.bak", ".lock"}


def classbook(project: Path, *args: str, tz: str = "UTC") -> subprocess.CompletedProcess[str]:
    return run_classbook(project, *args, epoch=EPOCH, tz=tz)


def build_everything(project: Path, tz: str) -> Path:
    """Copy the fixture book into ``project`` and build every output as `make book` does
    (each project has its own, empty render cache: a shared one would prove nothing)."""
    shutil.copytree(ROOTS / "test-mini", project / "mini")
    done = classbook(project, "build", "--source-dir", "mini", "--conf-dir", "mini", "all", tz=tz)
    assert done.returncode == 0, done.stderr
    return project / "_build"


def published(build_dir: Path) -> dict[str, bytes]:
    """Every published file by its path in the build folder (not the work area, the cache
    or bookkeeping)."""
    return {
        path.relative_to(build_dir).as_posix(): path.read_bytes()
        for path in sorted(build_dir.rglob("*"))
        if path.is_file()
        and not path.relative_to(build_dir).parts[0].startswith(".")
        and path.name not in SKIPPED
    }


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fixture book built twice: other folders, other depths, other time zones."""
    first = build_everything(tmp_path_factory.mktemp("first") / "book", "UTC")
    second = build_everything(
        tmp_path_factory.mktemp("second") / "somewhere" / "else", "Pacific/Auckland"
    )
    return first, second


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = (published(build_dir) for build_dir in two_builds)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    expected = {"epub/mini.epub", "pdf/mini-a4.pdf", "handouts/01-first-a4.pdf", "html/index.html"}
    assert expected <= set(first)


def test_no_output_names_the_build_folder(two_builds: tuple[Path, Path]) -> None:
    for build_dir in two_builds:
        folder = str(build_dir.parent).encode()
        leaking = [name for name, data in published(build_dir).items() if folder in data]
        assert leaking == []


def test_epub_entries_are_dated_from_source_date_epoch(two_builds: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(two_builds[0] / "epub" / "mini.epub") as epub:
        entries = epub.infolist()
    assert entries[0].filename == "mimetype"
    assert entries[0].compress_type == zipfile.ZIP_STORED
    assert {entry.date_time for entry in entries} == {time.gmtime(EPOCH)[:6]}


def test_pdf_dates_follow_source_date_epoch(two_builds: tuple[Path, Path]) -> None:
    expected = dt.datetime.fromtimestamp(EPOCH, tz=dt.UTC)
    for pdf in ("pdf/mini-a4.pdf", "handouts/01-first-a4.pdf"):
        created = PdfReader(two_builds[0] / pdf).metadata.creation_date
        assert created is not None
        assert created.astimezone(dt.UTC) == expected


def test_dist_is_complete_checksummed_and_reproducible(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    dists = []
    for number, build_dir in enumerate(two_builds):
        packets = build_dir / "packets"
        packets.mkdir(exist_ok=True)
        (packets / "01-first-packet.pdf").write_bytes(b"%PDF-1.7 a packet")
        dist = tmp_path / f"dist{number}"
        done = classbook(tmp_path, "dist", "--build-dir", str(build_dir), "--dist-dir", str(dist))
        assert done.returncode == 0, done.stderr
        dists.append(dist)

    files, again = (
        {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}
        for d in dists
    )
    assert files == again
    assert {"mini-site.tar.gz", "mini.epub", "mini-a4.pdf", "mini-letter.pdf"} <= set(files)
    assert "handouts/01-first-a4.pdf" in files
    assert "packets/01-first-packet.pdf" in files

    sums = files.pop("SHA256SUMS").decode().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in sums)
    assert set(listed) == set(files)
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest

    with tarfile.open(dists[0] / "mini-site.tar.gz") as archive:
        members = archive.getmembers()
    names = [member.name for member in members]
    assert names == sorted(names, key=lambda name: name.split("/"))
    assert "mini-site/index.html" in names
    assert not [name for name in names if name.endswith(".buildinfo")]
    assert {member.mtime for member in members} == {EPOCH}
    assert {(member.uid, member.gid, member.uname, member.gname) for member in members} == {
        (0, 0, "", "")
    }


def test_dist_refuses_without_a_build(tmp_path: Path) -> None:
    done = classbook(tmp_path, "dist", "--build-dir", str(tmp_path / "_build"))
    assert done.returncode != 0
    assert "run `make book` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_normalised_zip_keeps_entries_and_data(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        target.writestr("b/c.txt", "hello", zipfile.ZIP_DEFLATED)
    reproducible.normalise_zip(archive, EPOCH)
    with zipfile.ZipFile(archive) as source:
        assert [(e.filename, e.compress_type) for e in source.infolist()] == [
            ("mimetype", zipfile.ZIP_STORED),
            ("b/c.txt", zipfile.ZIP_DEFLATED),
        ]
        assert source.read("b/c.txt") == b"hello"


def test_source_date_epoch_defaults_to_the_last_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    last_commit = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    monkeypatch.setattr(os, "environ", environ)
    dates.ensure_source_date_epoch(ROOT)
    assert environ["SOURCE_DATE_EPOCH"] == last_commit

    environ["SOURCE_DATE_EPOCH"] = "42"  # set by the caller: kept
    dates.ensure_source_date_epoch(ROOT)
    assert environ["SOURCE_DATE_EPOCH"] == "42"


def test_outside_a_repository_the_date_is_the_start_of_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A book that is not in git gets the day it is built: one date for every step of a
    # build, and the same PDFs for the builds of one day (the render cache serves them).
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    monkeypatch.setattr(os, "environ", environ)
    before = dt.datetime.now(dt.UTC).date()
    dates.ensure_source_date_epoch(tmp_path)
    date = dt.datetime.fromtimestamp(int(environ["SOURCE_DATE_EPOCH"]), dt.UTC)
    assert date.time() == dt.time(0)
    assert before <= date.date() <= dt.datetime.now(dt.UTC).date()
