"""The render cache: a PDF is reused when the bytes of everything that made it are the same."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from classbook.render.jobs import PDF_VARIANT, Book, Job, Layout, Result

#: Bump when the entry format or what the key covers changes.
FORMAT = "classbook-render-cache-3"


#: Modules of this package that do not run in a worker: the scheduler, its processes, this
#: cache. Every other module of the package shapes a PDF's bytes (a new one by default).
NOT_SHAPING = frozenset({"service.py", "pool.py", "cache.py"})


def shaping_modules() -> list[Path]:
    """The files of the code that shapes a PDF's bytes: every module of the render package
    but the scheduler's (:data:`NOT_SHAPING`), and every module of the pipeline they import,
    at any depth (read from their import statements): a module added to the renderer, or
    one it starts to import, is covered without a list to keep."""
    package = Path(__file__).parents[1]
    render = Path(__file__).parent
    todo = [path for path in render.glob("*.py") if path.name not in NOT_SHAPING]
    found: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in found:
            found.add(path)
            todo += _imported(path, package)
    return sorted(found)


def _imported(path: Path, package: Path) -> list[Path]:
    """The files of the pipeline that ``path`` imports when it runs: its imports outside
    ``if TYPE_CHECKING``, and the faces (``__init__.py``) of the packages on their way."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
            names.append(node.module)
    files = []
    for name in names:
        parts = name.split(".")
        if parts[0] != package.name:
            continue
        for depth in range(1, len(parts) + 1):  # each package on the way runs its face
            face = package.joinpath(*parts[1:depth], "__init__.py")
            if face.is_file():
                files.append(face)
        module = package.joinpath(*parts[1:]).with_suffix(".py")
        if module.is_file():
            files.append(module)
    return files


def _pipeline_version() -> str:
    """What of the pipeline shapes a PDF: WeasyPrint's, pydyf's and pikepdf's versions and
    the code of every module a worker runs (:func:`shaping_modules`, our version among
    them): a change without a release still misses."""
    from importlib.metadata import version

    code = [hashlib.sha256(path.read_bytes()).hexdigest() for path in shaping_modules()]
    versions = [version(name) for name in ("weasyprint", "pydyf", "pikepdf")]
    return "|".join([FORMAT, *versions, *code])


class RenderCache:
    """PDFs by a content key, in one folder: ``<key>.pdf`` and ``<key>.json``.

    The key covers the print HTML, the stylesheets, the paper, the PDF variant, the folders
    the renderer may read and the versions; the entry lists every other file WeasyPrint read
    (images, fonts) with its SHA-256, checked on every lookup. No timestamp decides a hit.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._digests: dict[tuple[str, int, int, int], str] = {}
        #: Keys looked up or stored by this process: what the build uses.
        self.used: set[str] = set()

    @functools.cached_property
    def _version(self) -> str:
        # Found when a key is first needed: a build that lays out no PDF (the site alone,
        # a live preview's rebuild) does not parse the workers' imports.
        return _pipeline_version()

    # -- Hashing ---------------------------------------------------------------------------

    def digest(self, path: Path) -> str:
        """SHA-256 of a file (remembered for this process: fonts are read by every job)."""
        stat = path.stat()
        memo = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if memo not in self._digests:
            self._digests[memo] = _sha256(path)
        return self._digests[memo]

    def _state(self, path: Path) -> str:
        """A dependency's digest, or "" while it is missing (a missing image that appears
        must change the PDF too)."""
        return self.digest(path) if path.is_file() else ""

    def key(self, job: Job) -> str:

        base = job.html.parent
        parts = [self._version, PDF_VARIANT, job.paper, _sha256(job.html)]
        parts += [self.digest(sheet) for sheet in job.stylesheets]
        parts += [os.path.relpath(root, base) for root in job.roots]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def task_key(self, job: Job, args: tuple[Any, ...]) -> str:
        """The key of a task on files (a part's numbering, a book's merge): the bytes of
        every file among its arguments (results name theirs), its other arguments, and the
        pipeline's version."""
        items = [self._version, job.pdf.name]
        for value in _flatten(args):
            if isinstance(value, Path):
                items.append(_sha256(value) if value.is_file() else f"missing {value.name}")
            else:
                items.append(repr(value))
        return hashlib.sha256("\n".join(items).encode()).hexdigest()

    # -- Lookup and store ------------------------------------------------------------------

    def fetch(self, job: Job, *, key: str | None = None) -> Result | None:
        """The cached result for ``job`` (under ``key``, else the job's own), its PDF put
        in place; None on a miss.

        A PDF already in place with the right bytes is left untouched (not rewritten).
        """

        key = key or self.key(job)
        entry = self._entry(key)
        if entry is None:
            return None
        base = job.html.parent
        for relative, digest in entry["deps"].items():
            if self._state(base / relative) != digest:
                return None
        cached = self.folder / f"{key}.pdf"
        if not cached.is_file() or _sha256(cached) != entry["digest"]:
            return None  # a damaged entry is a miss, never a wrong PDF
        if not job.pdf.is_file() or _sha256(job.pdf) != entry["digest"]:
            job.pdf.parent.mkdir(parents=True, exist_ok=True)
            partial = job.pdf.with_name(job.pdf.name + ".part")
            shutil.copyfile(cached, partial)
            os.replace(partial, job.pdf)
        self.used.add(key)
        messages = [(int(level), str(text)) for level, text in entry["messages"]]
        starts = entry.get("page_starts", [])
        result = Result(job, entry["pages"], messages, reused=True, page_starts=starts)
        result.layout = _layout_from_json(entry.get("layout"))
        return result

    def _entry(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        if not isinstance(entry.get("deps"), dict) or not isinstance(entry.get("pages"), int):
            return None
        return entry

    def store(self, result: Result, *, key: str | None = None) -> None:
        """Keep a fresh render's PDF, page count and messages under its key."""
        job = result.job
        key = key or self.key(job)
        base = job.html.parent
        html = str(job.html.resolve())
        sheets = {str(sheet.resolve()) for sheet in job.stylesheets}
        deps = {
            os.path.relpath(path, base): self._state(Path(path))
            for path in result.served
            if path != html and path not in sheets  # both are in the key itself
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {
            "format": FORMAT,
            "digest": _sha256(job.pdf),
            "pages": result.pages,
            "messages": result.messages,
            "page_starts": result.page_starts,
            "layout": _layout_json(result.layout),
            "deps": dict(sorted(deps.items())),
        }
        _write_atomic(self.folder / f"{key}.pdf", job.pdf.read_bytes())
        _write_atomic(self.folder / f"{key}.json", json.dumps(entry, indent=1).encode())
        self.used.add(key)

    def prune(self, keep: Iterable[str]) -> int:
        """Remove every entry not in ``keep``; return how many were removed."""
        keep = set(keep)
        removed = 0
        if not self.folder.is_dir():
            return 0
        for path in self.folder.iterdir():
            key = path.name.split(".", 1)[0]
            if key not in keep:
                path.unlink(missing_ok=True)
                removed += path.suffix == ".pdf"
        return removed


def _flatten(value: Any) -> Iterable[Any]:
    """The parts of a task's arguments that decide its output, in order."""

    if isinstance(value, Result):
        yield from _flatten((value.job.pdf, _layout_json(value.layout), value.pages))
    elif isinstance(value, Job):
        yield from _flatten((value.html, value.paper, value.stylesheets))
    elif isinstance(value, Book):
        yield from _flatten((value.job.pdf.name, value.numbers))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        yield repr(sorted(value.items()))
    else:
        yield value


def _layout_json(layout: Layout | None) -> dict[str, Any] | None:
    if layout is None:
        return None
    return {
        "pages": layout.pages,
        "anchors": {name: list(place) for name, place in layout.anchors.items()},
        "bookmarks": [list(mark) for mark in layout.bookmarks],
        "links": list(layout.links),
    }


def _layout_from_json(data: Any) -> Layout | None:

    if not isinstance(data, dict):
        return None
    anchors = {name: (int(p), float(x), float(y)) for name, (p, x, y) in data["anchors"].items()}
    marks = [
        (int(lv), str(lb), int(p), float(x), float(y)) for lv, lb, p, x, y in data["bookmarks"]
    ]
    links = [str(name) for name in data.get("links", [])]
    return Layout(int(data["pages"]), anchors, marks, links)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + f".{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
