"""The one gate for every file the build reads: inside the book, a regular file, not too big.

A book's content comes from people the maintainer does not fully control (a contributor's
chapter, a pull request, a teacher's document). Whatever a chapter, a directive, a data file
or an image names is admitted by :meth:`Gate.admit` before it is read: its path is resolved
(symbolic links followed), must lie inside the book's folder, must be a regular file (not a
device, a pipe or a folder) and must not be larger than the book's limit.

While Sphinx reads the book's documents (where directives run and may open files), the gate
also stands behind every ``open`` and every network call of the thread through a Python
audit hook (:func:`confined`): a read outside the book and the pipeline's own files, or any
connection to another host, fails with :class:`RefusedError` before a byte is read or sent. The
explicit checks give the precise messages; the hook is what holds for the directives nobody
thought of.

This module imports nothing of Sphinx: the readers of ``new-book`` and the render workers use
it too.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import stat
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Text files (chapters, included files, data): parsed whole, so they get the smaller limit.
TEXT_SUFFIXES = frozenset(
    {".md", ".markdown", ".rst", ".txt", ".yml", ".yaml", ".bib", ".csv", ".tsv", ".json"}
)
#: Default limits, raised in conf.py by the settings named in their messages.
MAX_TEXT_BYTES = 5_000_000
MAX_FILE_BYTES = 50_000_000


class RefusedError(PermissionError):
    """A file or address the gate refused; the message names it and says what to do."""


@dataclass(frozen=True)
class Gate:
    """What a build may read: the book's folder, and, behind the audit hook, the pipeline's
    own files (``trusted``: the work area, Python and its packages, fonts)."""

    book: Path
    #: Folders of files the build made from the book (its work area: a timeline's chart):
    #: admitted like the book's own.
    made: tuple[Path, ...] = ()
    trusted: tuple[Path, ...] = ()
    max_text_bytes: int = MAX_TEXT_BYTES
    max_file_bytes: int = MAX_FILE_BYTES
    #: Paths already admitted or trusted, by their text (the hook sees the same ones often).
    _seen: set[str] = field(default_factory=set, compare=False, repr=False)

    @classmethod
    def for_book(
        cls,
        book: Path | str,
        *,
        work: Iterable[Path | str] = (),
        max_text_bytes: int = MAX_TEXT_BYTES,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> Gate:
        """The gate of a book whose build writes under ``work``."""
        made = tuple(Path(os.path.realpath(path)) for path in work)
        trusted = (*made, *(Path(os.path.realpath(path)) for path in pipeline_folders()))
        return cls(
            Path(os.path.realpath(book)),
            made,
            tuple(dict.fromkeys(trusted)),
            max_text_bytes,
            max_file_bytes,
        )

    def limit(self, path: Path) -> tuple[int, str]:
        """The size limit of ``path`` and the setting that raises it."""
        if path.suffix.lower() in TEXT_SUFFIXES:
            return self.max_text_bytes, "classbook_max_text_bytes"
        return self.max_file_bytes, "classbook_max_file_bytes"

    def inside(self, path: Path | str) -> Path | None:
        """The resolved ``path`` if it lies inside the book's folder (or the files the build
        made from it), else None."""
        real = Path(os.path.realpath(path))
        if real.is_relative_to(self.book) or any(real.is_relative_to(m) for m in self.made):
            return real
        return None

    def admit(self, path: Path | str, *, what: str = "file") -> Path:
        """The resolved ``path``, which may be read: inside the book, a regular file within
        the size limit. Raises :class:`RefusedError` (a missing file: FileNotFoundError)."""
        real = self.inside(path)
        if real is None:
            raise RefusedError(
                f"{what} {path} is outside the book folder ({self.book.name}/): a book reads "
                "only its own files; copy what you need into the book"
            )
        self._check_file(real, path, what)
        return real

    def _check_file(self, real: Path, path: Path | str, what: str) -> None:
        info = os.stat(real)
        if stat.S_ISDIR(info.st_mode):
            return  # listing a folder of the book reads no file
        if not stat.S_ISREG(info.st_mode):
            raise RefusedError(f"{what} {path} is not a regular file (a device, pipe or socket)")
        limit, setting = self.limit(real)
        if info.st_size > limit:
            raise RefusedError(
                f"{what} {path} has {info.st_size:,} bytes, more than the limit of {limit:,}: "
                f"split it, or raise {setting} in conf.py if it really is this large"
            )

    def check_open(self, path: str) -> None:
        """The audit hook's check of one ``open``: the book's files as :meth:`admit`, the
        pipeline's own files as they are; anything else is refused."""
        if path in self._seen:
            return
        real = Path(os.path.realpath(path))
        if real.is_relative_to(self.book):
            with contextlib.suppress(FileNotFoundError):  # the reader says it is missing
                self._check_file(real, path, "file")
        elif not any(real.is_relative_to(root) for root in self.trusted):
            raise RefusedError(
                f"reading {path} is refused: it is outside the book folder "
                f"({self.book.name}/), and a book reads only its own files"
            )
        self._seen.add(path)


def pipeline_folders() -> Iterator[Path]:
    """Where the pipeline's own files are: Python and its packages (the stack's templates,
    themes, locales), this package, fonts and their caches."""
    paths = sysconfig.get_paths()
    for name in ("stdlib", "platstdlib", "purelib", "platlib", "data"):
        if name in paths:
            yield Path(paths[name])
    yield Path(sys.prefix)
    yield Path(sys.base_prefix)
    yield Path(__file__).parent
    # matplotlib (the timeline) and fontconfig keep their font lists in these.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    yield from (cache / "matplotlib", cache / "fontconfig", Path.home() / ".config" / "matplotlib")
    if config := os.environ.get("MPLCONFIGDIR"):
        yield Path(config)
    yield from (Path(p) for p in ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts"))
    yield from (Path(p) for p in ("/usr/share/zoneinfo", "/usr/share/locale", "/dev/null"))


# -- The audit hook ---------------------------------------------------------------------------

#: The gate of the Sphinx read running in this thread (None: nothing confined).
_CURRENT: contextvars.ContextVar[Gate | None] = contextvars.ContextVar("gate", default=None)
_INSTALLED = False
#: Audit events of a network access (Python's own names).
_NETWORK = frozenset(
    {
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "urllib.Request",
        "http.client.connect",
        "ftplib.connect",
        "smtplib.connect",
        "imaplib.open",
        "poplib.connect",
        "nntplib.connect",
        "telnetlib.Telnet.open",
        "webbrowser.open",
    }
)
_READ_MASK = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _hook(event: str, args: tuple[object, ...]) -> None:
    gate = _CURRENT.get()
    if gate is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _READ_MASK
        )
        if isinstance(path, (str, bytes, os.PathLike)) and not writing:
            gate.check_open(os.fsdecode(path))
    elif event in _NETWORK:
        raise RefusedError(
            f"the book may not fetch anything from the network ({event} {args[0]!r})"
        )
    elif event == "socket.connect":
        sock = args[0]
        if getattr(sock, "family", None) != socket.AF_UNIX:
            raise RefusedError(f"the book may not connect to another host ({args[1]!r})")


@contextlib.contextmanager
def confined(gate: Gate) -> Iterator[None]:
    """Within the block, this thread reads only what ``gate`` admits or trusts, and
    connects to no host."""
    token = enter(gate)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def enter(gate: Gate | None) -> contextvars.Token[Gate | None]:
    """Confine this thread to ``gate`` (None: release it) until the token is reset or the
    next call; for event handlers that cannot hold a ``with`` block."""
    global _INSTALLED  # noqa: PLW0603 - one hook per process: hooks cannot be removed
    if not _INSTALLED:
        sys.addaudithook(_hook)
        _INSTALLED = True
    return _CURRENT.set(gate)


def current() -> Gate | None:
    """The gate this thread is confined to, if any."""
    return _CURRENT.get()
