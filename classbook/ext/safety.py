"""Safe content and clear errors: what contributors write is checked before readers see it.

Every problem is a warning naming the file and line, with what to do (``-W`` makes it an
error), never a Python traceback:

* source files: not UTF-8, empty, a code or directive fence that is never closed, front
  matter that is not valid YAML; a paragraph over ``classbook_max_paragraph`` characters;
* raw HTML is off (classbook.ext.content refuses each raw node; the ``raw`` directive is
  off in docutils' settings);
* links: only the schemes of :mod:`classbook.urls` (https, http, mailto, the book's own
  pages), in every link of every output, the bibliography's included; HTML metadata only
  with the names of :data:`META_NAMES` (no ``http-equiv``);
* files: every chapter, included file, data file, image and download passes the one gate
  (:mod:`classbook.gate`): inside the book folder (symbolic links followed), a regular file,
  within the size limits; while Sphinx reads the documents, every ``open`` and network call
  goes through the gate too, so a directive's option that names a file or a URL
  (``:diff:``, ``:file:``, ``:url:``, an ``include`` inside ``eval-rst``) is refused before a
  byte is read or fetched;
* images must be readable PNG, JPEG, GIF, WebP or SVG files, SVG without scripts and
  without references to other files;
* Sphinx's and MyST's own messages for common mistakes get a line saying what to do.

A refused node is removed, so even a ``--keep-going`` build never fetches, copies or
publishes it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sphinx.errors import SphinxError
from sphinx.util import logging

from classbook import gate, urls
from classbook.ext import yamldata

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
#: A Markdown link or autolink to a forbidden scheme (Markdown leaves these as plain text).
MARKDOWN_BAD_LINK = re.compile(
    r"(?:\]\(\s*<?|<)\s*(?P<scheme>javascript|vbscript|data|file):", re.IGNORECASE
)
#: Directives whose content is not Markdown: fences inside them are just text.
VERBATIM_DIRECTIVES = frozenset(
    {"code", "code-block", "sourcecode", "code-cell", "literalinclude", "math", "raw", "eval-rst"}
)
FENCE = re.compile(r"^(?P<indent>[ \t>]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


class SafetyError(SphinxError):
    """The build cannot go on (a source file is not UTF-8); the warnings above say where."""

    category = "Encoding error"


# -- Source files ---------------------------------------------------------------------------


def check_encoding(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Refuse source files that are not UTF-8 before Sphinx reads (and crashes on) them."""
    bad = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        try:
            path.read_bytes().decode("utf-8-sig")
        except OSError:
            continue  # Sphinx reports unreadable files itself
        except UnicodeDecodeError as error:
            data = path.read_bytes()
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            logger.warning(
                "this file is not UTF-8 text (byte 0x%02x in column %d): save it as UTF-8 "
                "(in most editors: Save As, Encoding: UTF-8)",
                data[error.start],
                column,
                location=(docname, line),
                type="classbook",
                subtype="encoding",
            )
            bad.append(str(path))
    if bad:
        raise SafetyError(
            f"{len(bad)} source file(s) are not UTF-8 text: {', '.join(bad)}; "
            "save them as UTF-8 and build again"
        )


def _front_matter(lines: list[str]) -> tuple[int, int] | None:
    """The (first, last) line indexes of the YAML front matter's body, if there is one."""
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            return 1, index
    return 1, len(lines)


def _fences(lines: list[str], start: int, end: int) -> Iterator[tuple[int, str]]:
    """Yield (line index, fence) for each fence opened in ``lines[start:end]`` and never
    closed. Directive and colon fences hold Markdown, so their insides are checked too."""
    index = start
    while index < end:
        match = FENCE.match(lines[index])
        if not match or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        closing = next(
            (
                later
                for later in range(index + 1, end)
                if (m := FENCE.match(lines[later]))
                and m["fence"][0] == fence[0]
                and len(m["fence"]) >= len(fence)
                and not m["info"].strip()
            ),
            None,
        )
        if closing is None:
            yield index, fence
            return
        name = info[1:].split("}", 1)[0].strip() if info.startswith("{") else ""
        if (fence[0] == ":" or name) and name not in VERBATIM_DIRECTIVES:
            yield from _fences(lines, index + 1, closing)
        index = closing + 1


def check_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """Check a document's text as read: emptiness, front matter, fences, Markdown links.
    Front matter that is refused is blanked, so MyST never parses it."""
    text = source[0]
    lines = text.splitlines()
    matter = _front_matter(lines)
    body_start = matter[1] + 1 if matter else 0

    body = "\n".join(lines[body_start:])
    body = HTML_COMMENT.sub("", body)
    if not "".join(line for line in body.splitlines() if not line.startswith("%")).strip():
        problems = [
            (
                1,
                "this document is empty: write its text, or delete the file and its entry in "
                "the table of contents (toctree)",
            )
        ]
    else:
        problems = [
            *_check_front_matter(lines, matter),
            *_check_fences(lines, body_start),
            *_check_links(lines, body_start),
        ]
    for line, message in problems:
        logger.warning("%s", message, location=(docname, line), type="classbook", subtype="source")
    if matter and any(line <= matter[1] for line, _message in problems):
        # A refused front matter (an alias bomb, say) must not reach MyST's own YAML parser.
        first, last = matter
        kept = ["" for _ in lines[first:last]]
        source[0] = "\n".join([*lines[:first], *kept, *lines[last:]]) + "\n"


def _check_front_matter(
    lines: list[str], matter: tuple[int, int] | None
) -> Iterator[tuple[int, str]]:
    if not matter:
        return
    first, last = matter
    if last >= len(lines):
        yield (
            1,
            "the front matter opened by '---' on line 1 is never closed: add a line '---' "
            "after its last 'key: value' line",
        )
        return
    try:
        data = yamldata.safe_load("\n".join(lines[first:last]))
    except yamldata.AliasError as error:
        line = first + 1 + (error.problem_mark.line if error.problem_mark else 0)
        yield line, f"the front matter is refused: {error.problem}"
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = first + 1 + (mark.line if mark is not None else 0)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        yield (
            line,
            f"the front matter is not valid YAML ({problem}): write one 'key: value' per "
            "line, and put values containing ':' or '#' in \"double quotes\", closing "
            "every quote and bracket",
        )
    else:
        if data is not None and not isinstance(data, dict):
            yield first + 1, "the front matter must be 'key: value' lines"
        elif isinstance(data, dict) and (settings := _myst_settings(data)):
            yield (
                first + 1,
                f"the front matter may not change MyST's settings ({', '.join(settings)}): "
                "a chapter cannot turn on syntax (substitutions evaluate Jinja, which can run "
                "code) or URL schemes; ask the book's maintainer to set it in conf.py",
            )


#: What a chapter's front matter may set under ``myst:`` (checked by CheckContent).
MYST_FILE_SETTINGS = frozenset({"html_meta"})


def _myst_settings(data: dict[str, Any]) -> list[str]:
    """The MyST settings a document's front matter tries to change that it may not."""
    myst = data.get("myst", {})
    names = (
        [f"myst: {key}" for key in myst if key not in MYST_FILE_SETTINGS]
        if isinstance(myst, dict)
        else ["myst"]
    )
    if "substitutions" in data:
        names.append("substitutions")
    return names


def _check_fences(lines: list[str], body_start: int) -> Iterator[tuple[int, str]]:
    for index, fence in _fences(lines, body_start, len(lines)):
        yield (
            index + 1,
            f"the fence '{fence}' opened here is never closed, so everything after it is "
            f"swallowed: add a line '{fence}' where the block ends",
        )


def _check_links(lines: list[str], body_start: int) -> Iterator[tuple[int, str]]:
    for index, line in enumerate(lines[body_start:], start=body_start):
        if bad := MARKDOWN_BAD_LINK.search(line):
            yield (
                index + 1,
                f"{bad['scheme'].lower()}: links are never allowed (they could run code or "
                f"smuggle content in): link to {urls.ALLOWED} instead",
            )


def book_gate(env: BuildEnvironment) -> gate.Gate:
    """The gate of this build's book: its source folder, with the limits of conf.py; the
    work area (the doctrees' folder) and the pipeline's own files are trusted."""
    config = env.config
    return gate.Gate.for_book(
        env.srcdir,
        work=(env.doctreedir,),
        max_text_bytes=config.classbook_max_text_bytes,
        max_file_bytes=config.classbook_max_file_bytes,
    )


# -- The gate while Sphinx reads --------------------------------------------------------------


def check_documents(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Admit every document before Sphinx reads it (a chapter that is a link out of the
    book, a device or too big is refused, left unread), then confine the reading thread to
    the gate until every document is read."""
    book = book_gate(env)
    for docname in list(docnames):
        path = env.doc2path(docname)
        try:
            book.admit(path, what="document")
        except FileNotFoundError:
            continue  # Sphinx reports it
        except OSError as error:
            logger.warning(
                "%s", error, location=(docname, None), type="classbook", subtype="content"
            )
            docnames.remove(docname)
    gate.enter(book)


def raw_off(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """The ``raw`` directive is off (before it reads a ``:file:`` or fetches a ``:url:``):
    raw output bypasses every check and layout of the book."""
    env.settings["raw_enabled"] = False


def release(app: Sphinx, *args: object) -> None:
    """The documents are read (or the build ended): the thread reads freely again."""
    gate.enter(None)


def setup(app: Sphinx) -> None:
    """Connect the checks (called from classbook's own ``setup``)."""
    app.connect("builder-inited", release)  # a gate left by an application before
    app.connect("env-before-read-docs", check_documents, priority=100)
    app.connect("env-before-read-docs", check_encoding)
    app.connect("env-before-read-docs", raw_off)
    app.connect("env-updated", release, priority=1)
    app.connect("build-finished", release)
    app.connect("source-read", check_source)
