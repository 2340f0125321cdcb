"""A book's content can never publish a secret, fetch a URL or hang the build.

Each ``tests/corpus/attack-*`` case is laid over a copy of the fixture book that was built
and published once. Beside the book lie a secret file (and a ``.git/config`` holding the
same token), the build's environment holds it too, and a web server on 127.0.0.1 records
every request. The build must refuse the case naming the file (and line), end non-zero
without a traceback, keep the published outputs byte for byte, leave no byte of the secret
anywhere under ``_build/`` (hidden folders, PDF text and EPUB members included), and send
no request. ``links.txt`` in a case lists the symbolic links it makes (``path -> target``).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EPOCH, ROOT, ROOTS
from pypdf import PdfReader

from classbook import __main__ as cli

#: Every test here builds or lays out books: not in the fast tier (make test-fast).
pytestmark = pytest.mark.build

CORPUS = Path(__file__).parent / "corpus"
CHAPTER = "chapters/02-second.md"
#: The fixture book's place in the project, and the depth of its chapters below the root.
BOOK = "mini"


@dataclass(frozen=True)
class Attack:
    """What the build must say of an attack: the file, the line (None: the file as a whole)
    and words of the refusal."""

    file: str
    line: int | None
    problem: str
    #: What the case builds (an assignment is read by the packets).
    output: str = "epub"


ATTACKS = {
    "attack-literalinclude-diff": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-literalinclude-environ": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-literalinclude-git": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-literalinclude-outside": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-include-outside": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-include-literal": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-eval-rst-include": Attack(CHAPTER, 14, "is outside the book folder"),
    "attack-eval-rst-literalinclude": Attack(CHAPTER, 14, "is outside the book folder"),
    "attack-eval-rst-csv-url": Attack(CHAPTER, 14, "is never fetched"),
    "attack-csv-url": Attack(CHAPTER, 13, "is never fetched"),
    "attack-csv-file": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-raw-url": Attack(CHAPTER, 13, '"raw" directive disabled'),
    "attack-raw-file": Attack(CHAPTER, 13, '"raw" directive disabled'),
    "attack-timeline-file": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-image-glob-symlink": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-symlinked-folder": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-download-symlink": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-dev-zero": Attack(CHAPTER, 13, "is outside the book folder"),
    "attack-symlink-chapter": Attack("back/x.md", None, "is outside the book folder"),
    "attack-chapter-environ": Attack("chapters/04-env.md", None, "is outside the book folder"),
    "attack-bibtex-javascript": Attack("_data/refs.bib", 6, "links to 'javascript:"),
    "attack-bibtex-file-url": Attack("_data/refs.bib", 6, "links to 'file:///etc/passwd'"),
    "attack-bibtex-bomb": Attack("_data/refs.bib", None, "expands to more than"),
    "attack-html-meta-refresh": Attack(CHAPTER, None, "HTML metadata 'http-equiv=refresh'"),
    "attack-substitution": Attack(CHAPTER, 2, "may not change MyST's settings"),
    "attack-yaml-alias-claims": Attack("_data/claims.yml", 3, "the alias *a0 is not allowed"),
    "attack-yaml-alias-assignment": Attack(
        "assignments/week-1.yml", 5, "the alias *a0 is not allowed", "packets"
    ),
    "attack-yaml-alias-front-matter": Attack(CHAPTER, 5, "the alias *a0 is not allowed"),
    "attack-huge-chapter": Attack(CHAPTER, None, "more than the limit of 5,000,000"),
    "attack-svg-relative-href": Attack(CHAPTER, 13, "is an SVG that loads"),
    "attack-svg-css-import": Attack(CHAPTER, 13, "loads another file"),
    "attack-figure-target-javascript": Attack(CHAPTER, 13, "javascript: links are never allowed"),
}
#: Cases that need the build's own process environment (``/proc/self/environ``).
IN_A_PROCESS = {"attack-literalinclude-environ", "attack-chapter-environ"}


def test_every_attack_case_is_checked() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir() and p.name.startswith("attack-")}
    assert folders == set(ATTACKS)


# -- The stage: a published book, a secret beside it, a listener -------------------------


class _Listener(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"a,b\n1,2\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[str, list[str]]]:
    """A web server on the loopback address that records every request."""
    requests: list[str] = []
    handler = type("Handler", (_Listener,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


ARGS = ("build", "--source-dir", BOOK, "--conf-dir", BOOK)


def run_build(project: Path, token: str, output: str = "epub") -> tuple[int, str]:
    """``python -m classbook build OUTPUT`` in a process of its own in ``project``, the token
    in its environment: its exit status and what it printed."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOURCE_DATE_EPOCH": EPOCH,
        "CLASSBOOK_CI_TOKEN": token,
    }
    done = subprocess.run(
        [sys.executable, "-m", "classbook", *ARGS, output],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def build_here(
    project: Path, output: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> tuple[int, str]:
    """:func:`run_build` in this process (several times faster)."""
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    capfd.readouterr()
    status = cli.main([*ARGS, output])
    out, err = capfd.readouterr()
    return status, out + err


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose fixture book was built and published once (EPUB, book PDFs)."""
    project = tmp_path_factory.mktemp("attacked")
    shutil.copytree(ROOTS / "test-mini", project / BOOK)
    status, output = run_build(project, "no-secret-yet", "packets")
    assert status == 0, output
    return project


def stage(published: Path, tmp_path: Path, token: str) -> Path:
    """A private copy of the published project, with the secrets beside the book."""
    project = tmp_path / "project"
    shutil.copytree(published, project, symlinks=True)
    outside = project / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{token}\n", encoding="utf-8")
    (outside / "secret.md").write_text(f"# Secret\n\n{token}\n", encoding="utf-8")
    (outside / "secret.png").write_text(token, encoding="utf-8")
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text(
        f'[http]\n\textraheader = "AUTHORIZATION: basic {token}"\n', encoding="utf-8"
    )
    return project


def lay_over(case: str, project: Path, url: str) -> None:
    """Copy a case's files over the book, its placeholders filled, and make its links."""
    book = project / BOOK
    values = {
        "{{SECRET_REL}}": "../../outside/secret.txt",
        "{{SECRET_ABS}}": str(project / "outside" / "secret.txt"),
        "{{SECRET_MD}}": str(project / "outside" / "secret.md"),
        "{{OUTSIDE_ABS}}": str(project / "outside"),
        "{{ROOT_REL}}": "../" * len((book / "chapters").resolve().parts),
        "{{URL}}": url,
    }
    folder = CORPUS / case
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "links.txt":
            continue
        target = book / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path.suffix in {".md", ".svg", ".yml", ".bib"}:
            text = data.decode("utf-8")
            for key, value in values.items():
                text = text.replace(key, value)
            text = text.replace("{{SIX_MEGABYTES}}", "A long line of words. " * 280_000)
            data = text.encode("utf-8")
        target.write_bytes(data)
    links = folder / "links.txt"
    for line in links.read_text(encoding="utf-8").splitlines() if links.is_file() else ():
        name, _arrow, target = line.partition(" -> ")
        for key, value in values.items():
            target = target.replace(key, value)
        link = book / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(target)


def texts_under(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under ``folder`` as bytes, and the text of each PDF page and the members
    of each EPUB or zip archive."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        yield path, data
        if data.startswith(b"%PDF"):
            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
            yield path, text.encode("utf-8")
        elif data.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield path / name, archive.read(name)


def messages(output: str, where: str) -> list[str]:
    """The messages of ``output`` whose location matches ``where``, each with the lines that
    continue it (a docutils message may run over two)."""
    found: list[str] = []
    for line in output.splitlines():
        if re.search(r"^\S+:(\d+:)? (WARNING|ERROR|CRITICAL|SEVERE)|^classbook:", line):
            found.append(line)
        elif found:
            found[-1] += "\n" + line
    return [message for message in found if re.search(where, message.splitlines()[0])]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- The attacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_attack_is_refused_and_nothing_leaks(
    case: str,
    *,
    published: Path,
    tmp_path: Path,
    listener: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
) -> None:
    expected = ATTACKS[case]
    url, requests = listener
    seen = len(requests)
    token = f"CLASSBOOK-SECRET-{uuid.uuid4().hex}"
    project = stage(published, tmp_path, token)
    before = {name: snapshot(project / "_build" / name) for name in ("epub", "pdf", "packets")}
    lay_over(case, project, url)

    started = time.monotonic()
    if case in IN_A_PROCESS:
        status, output = run_build(project, token, expected.output)
    else:
        status, output = build_here(project, expected.output, monkeypatch, capfd)

    assert time.monotonic() - started < 60, output
    assert status != 0, output
    assert "Traceback" not in output and "Exception occurred" not in output, output
    assert "unexpected error" not in output, output
    where = re.escape(f"{BOOK}/{expected.file}") + (
        f":{expected.line}:" if expected.line else r"(:\d+)?:"
    )
    assert any(expected.problem in message for message in messages(output, where)), output
    assert token not in output  # not even in the messages (CI logs are published too)
    assert requests[seen:] == [], requests[seen:]
    for name, files in before.items():
        assert snapshot(project / "_build" / name) == files, f"_build/{name} changed"
    leaks = [str(p) for p, data in texts_under(project / "_build") if token.encode() in data]
    assert leaks == [], leaks


# -- new-book: a document is read, never what it names ----------------------------------


def test_new_book_refuses_a_zip_bomb_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        zeros = b"\0" * (1 << 20)
        for _ in range(600):  # 600 MB of zeros: about 600 KB packed
            member.write(zeros)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "classbook", "new-book", str(bomb), str(tmp_path / "book")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 10, done.stderr
    assert done.returncode == 1
    assert "would unpack to 629,145,600 bytes" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "book").exists()


def test_new_book_of_a_markdown_file_with_attacks_reads_and_fetches_nothing(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    url, requests = listener
    seen = len(requests)
    token = f"CLASSBOOK-SECRET-{uuid.uuid4().hex}"
    (tmp_path / "secret.txt").write_text(token, encoding="utf-8")
    fence = "```"
    source = tmp_path / "lesson.md"
    source.write_text(
        "# A lesson\n\nIts first paragraph.\n\n"
        f"{fence}{{literalinclude}} lesson.md\n:diff: ../../secret.txt\n{fence}\n\n"
        f"{fence}{{include}} ../../secret.txt\n{fence}\n\n"
        f"{fence}{{csv-table}} Data\n:url: {url}/data.csv\n{fence}\n\n"
        f"{fence}{{raw}} html\n:url: {url}/page.html\n{fence}\n\n"
        f"{fence}{{eval-rst}}\n.. include:: ../../secret.txt\n{fence}\n\n"
        "# Another chapter\n\nIts paragraph.\n",
        encoding="utf-8",
    )
    book = tmp_path / "book"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH}
    made = subprocess.run(
        [sys.executable, "-m", "classbook", "new-book", str(source), str(book)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    built = subprocess.run(
        [sys.executable, "-m", "classbook", "build", "epub"],
        cwd=book,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = made.stdout + made.stderr + built.stdout + built.stderr
    assert made.returncode == 0, output
    assert built.returncode != 0, output
    # new-book writes the directives a book does not run as notes showing their text, and
    # leaves out a {raw} with nothing to show (its :url: is never fetched); the one an
    # eval-rst block runs is refused by the build.
    for name in ("literalinclude", "include", "csv-table"):
        assert f"directive {{{name}}} is not one this book knows" in made.stdout + made.stderr
    assert "directive {raw} left out: it shows nothing on a page" in made.stdout + made.stderr
    chapter = "book/chapters/01-a-lesson.md"
    refusal = "include of ../../secret.txt is refused"
    assert any(refusal in m for m in messages(output, re.escape(chapter))), output
    assert "unexpected error" not in output, output  # the build-time check reads it safely too
    assert "Traceback" not in output, output
    assert requests[seen:] == []
    assert token not in output
    leaks = [str(p) for p, data in texts_under(book) if token.encode() in data]
    assert leaks == [], leaks
