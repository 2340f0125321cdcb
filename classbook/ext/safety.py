"""Safe content and clear errors: what contributors write is checked before readers see it.

Every problem is a warning naming the file and line, with what to do (``-W`` makes it an
error), never a Python traceback:

* source files: not UTF-8, empty, a code or directive fence that is never closed, front
  matter that is not valid YAML; a paragraph over ``classbook_max_paragraph`` characters;
* raw HTML is off: a raw block or inline tag is rejected (``<script>``, ``<iframe>``,
  event-handler attributes and ``javascript:`` links with a message of their own). HTML
  comments are the one allowed form; they are dropped from the output;
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

import glob
import logging as pylogging
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.errors import SphinxError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from classbook import gate, urls
from classbook.ext import yamldata

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: Default of ``classbook_max_paragraph``: longer paragraphs are a pasting accident.
MAX_PARAGRAPH = 20_000
#: Names an HTML ``<meta>`` of a chapter may have (``http-equiv`` would redirect readers).
META_NAMES = frozenset({"description", "keywords", "author"})
#: Attributes of a ``<meta>`` node that say nothing but its name and content.
_META_ATTRIBUTES = frozenset(
    {"name", "content", "lang", "dir", "ids", "classes", "names", "dupnames", "backrefs"}
)
#: Image formats every output can show (EPUB 3 core media types), by their first bytes.
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
EVENT_HANDLER = re.compile(r"""<[^>]*\s(on[a-z]+)\s*=""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*(?:javascript|vbscript):""", re.I)
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


# -- Doctrees: raw HTML, links, images --------------------------------------------------------


#: Raw HTML that is refused with a message of its own (all raw HTML is refused).
RAW_RULES = (
    (
        re.compile(r"<script", re.I),
        "<script> is never allowed: it would run code in readers' browsers",
    ),
    (
        re.compile(r"<i?frame", re.I),
        "<iframe> is never allowed: it would embed another site in the book",
    ),
    (
        EVENT_HANDLER,
        "event-handler attributes (onclick=, onload=, ...) are never allowed: they would run "
        "code in readers' browsers",
    ),
    (
        JAVASCRIPT_URL,
        "javascript: links are never allowed: they would run code in readers' browsers",
    ),
)


def _raw_problem(node: nodes.raw) -> str | None:
    """Why a raw node is refused, or None for an HTML comment (allowed, and dropped)."""
    text = node.astext()
    formats = node.get("format", "").split()
    if "html" in formats and not HTML_COMMENT.sub("", text).strip():
        return None
    for pattern, message in RAW_RULES:
        if pattern.search(text):
            return message
    what = "HTML" if "html" in formats else f"{'/'.join(formats) or 'output'} blocks"
    return f"raw {what} is off in this book (it bypasses the EPUB and PDF layout and its checks)"


def _image_problem(path: Path) -> str | None:
    """Why an image file cannot go into the book, or None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None  # missing files: Sphinx says "image file not readable"
    if path.suffix.lower() == ".svg" or head.lstrip().startswith((b"<?xml", b"<svg")):
        return _svg_problem(path)
    kind = next((k for sig, k in IMAGE_SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = "WebP"
    if kind is None:
        return "is not a PNG, JPEG, GIF, WebP or SVG image (damaged, or another format)"
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
    except Exception as error:
        return f"is a damaged {kind} image ({error or type(error).__name__})"
    return None


#: A CSS reference to another file: ``@import`` or ``url(...)`` (a fragment or data: URL
#: inside the image is fine).
_CSS_URL = re.compile(r"""@import|url\(\s*(?!['"]?\s*(?:#|data:))""", re.IGNORECASE)


def _svg_problem(path: Path) -> str | None:
    """Why an SVG image cannot go into the book (scripts, references to other files), or
    None: an image must draw the same everywhere, from its own bytes."""
    try:
        root = ET.parse(path).getroot()  # expat refuses entity-expansion bombs
    except (ET.ParseError, OSError) as error:
        return f"is not a readable SVG image ({error})"
    if not root.tag.endswith("svg"):
        return "is not an SVG image (its root element is not <svg>)"
    return next(filter(None, map(_svg_element_problem, root.iter())), None)


def _svg_element_problem(element: ET.Element) -> str | None:
    tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
    if tag in {"script", "foreignobject"}:
        return f"is an SVG with <{tag}>, which could run code: remove it"
    if tag == "style" and _CSS_URL.search(element.text or ""):
        return "is an SVG whose <style> loads another file (@import or url(...)): remove it"
    for name, value in element.attrib.items():
        local = name.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            return f"is an SVG with an event handler ({local}=): remove it"
        if local == "href" and not value.strip().startswith(("#", "data:")):
            return f"is an SVG that loads {value[:80]!r}: embed it as data: or remove it"
        if local == "style" and _CSS_URL.search(value):
            return "is an SVG whose style loads another file (url(...)): remove it"
    return None


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


class CheckContent(SphinxTransform):
    """Refuse raw HTML, unsafe links and metadata, and images from outside the book, at read
    time."""

    default_priority = 200  # before Sphinx collects images and downloads (doctree-read)

    def apply(self, **kwargs: Any) -> None:
        self.gate = book_gate(self.env)
        for raw in list(self.document.findall(nodes.raw)):
            self._check_raw(raw)
        for reference in list(self.document.findall(nodes.reference)):
            self._check_link(reference)
        for image in list(self.document.findall(nodes.image)):
            self._check_image(image)
        for download in list(self.document.findall(addnodes.download_reference)):
            self._check_download(download)
        for paragraph in list(self.document.findall(nodes.paragraph)):
            self._check_paragraph(paragraph)
        for meta in list(self.document.findall(nodes.meta)):
            self._check_meta(meta)

    def _refuse(self, node: nodes.Node, message: str, *args: object) -> None:
        refuse(node, message, *args)

    def _check_raw(self, node: nodes.raw) -> None:
        problem = _raw_problem(node)
        if problem is not None:
            self._refuse(
                node,
                "%s. Write it in Markdown instead: **bold**, *italic*, [a link](https://…), "
                "![an image](file.png), or a MyST directive",
                problem,
            )
        node.parent.remove(node)

    def _check_link(self, node: nodes.reference) -> None:
        check_link(node)

    def _check_meta(self, node: nodes.meta) -> None:
        attributes = set(node.attributes)
        name = str(node.get("name", "")).lower()
        if name in META_NAMES and attributes <= _META_ATTRIBUTES:
            return
        shown = " ".join(f"{k}={node[k]}" for k in sorted(attributes - {"content"}) if node[k])
        self._refuse(
            node,
            "HTML metadata '%s' is not allowed: a chapter's html_meta may give only %s "
            "(no http-equiv, which could redirect readers)",
            shown[:80],
            ", ".join(sorted(META_NAMES)),
        )
        node.parent.remove(node)

    def _admit(self, uri: str, what: str) -> tuple[Path | None, str | None]:
        """The file ``uri`` names (relative to this document, or to the book with a leading
        ``/``) if the gate admits it; else None and why."""
        _relative, absolute = self.env.relfn2path(uri, self.env.docname)
        try:
            return self.gate.admit(absolute, what=what), None
        except FileNotFoundError:
            return Path(absolute), None  # Sphinx says "not readable" with its own hint
        except OSError as error:
            return None, str(error)

    def _check_image(self, node: nodes.image) -> None:
        uri = node.get("uri", "")
        if urls.remote(uri):
            self._refuse(
                node,
                "image %s is not a file of the book (%s: images are never fetched): download "
                "it, check its licence, save it inside book/ and give its path",
                uri[:80],
                urls.scheme(uri),
            )
            node.parent.remove(node)
            return
        # A glob (``pic.*``) names every file it matches: Sphinx copies each one.
        candidates = [uri]
        if "*" in uri:
            _relative, pattern = self.env.relfn2path(uri, self.env.docname)
            candidates = [os.path.relpath(p, Path(pattern).parent) for p in glob.glob(pattern)]
            candidates = [str(Path(uri).parent / name) for name in candidates] or [uri]
        for candidate in candidates:
            path, why = self._admit(candidate, "image")
            if path is None:
                self._refuse(
                    node,
                    "image %s is refused: %s (copy the image into book/, e.g. book/_static/, "
                    "and give its path relative to this file)",
                    candidate,
                    why,
                )
                node.parent.remove(node)
                return
            if "*" not in candidate and (problem := _image_problem(path)) is not None:
                self._refuse(
                    node, "image %s %s: export it again as PNG, JPEG or SVG", candidate, problem
                )
                node.parent.remove(node)
                return
        if not node.get("alt", "").strip():
            # Screen readers, the EPUB and the tagged PDF need words for what it shows.
            self._refuse(
                node,
                "image %s has no alt text: say what it shows, as in ![A map of Homs](%s)",
                uri,
                uri,
            )

    def _check_paragraph(self, node: nodes.paragraph) -> None:
        limit = self.config.classbook_max_paragraph
        size = len(node.astext())
        if size > limit:
            self._refuse(
                node,
                "a paragraph of %s characters (the limit is %s): split it into paragraphs, or "
                "raise classbook_max_paragraph in conf.py if it really is one",
                f"{size:,}",
                f"{limit:,}",
            )
            # The build fails anyway; keep it from spending minutes laying the text out.
            node[:] = [nodes.Text("(paragraph left out: too long)")]

    def _check_download(self, node: addnodes.download_reference) -> None:
        target = node.get("reftarget", "")
        if urls.remote(target):
            check_link(node, target)
            return  # a link to a web page, not a file Sphinx would copy
        _path, why = self._admit(target, "download")
        if why is not None:
            self._refuse(
                node,
                "download %s is refused: %s (copy the file into book/ and give its path "
                "relative to this file)",
                target,
                why,
            )
            node.replace_self(nodes.inline("", "", *node.children))


def refuse(node: nodes.Node, message: str, *args: object) -> None:
    """A warning at ``node``'s place (or its nearest ancestor with a line: nodes made by a
    directive's nested parse may lack one)."""
    located: nodes.Node | None = node
    while located is not None and not located.line:
        located = located.parent
    logger.warning(message, *args, location=located or node, type="classbook", subtype="content")


def check_link(node: nodes.Element, uri: str | None = None) -> bool:
    """Refuse a link whose scheme is not allowed (:mod:`classbook.urls`): a warning, and its
    text kept without the link. True if the link may stay."""
    uri = node.get("refuri", "") if uri is None else uri
    if urls.allowed(uri):
        return True
    refuse(
        node,
        "%s: links are never allowed (%s): link to %s instead",
        urls.scheme(uri) or "this",
        uri[:60],
        urls.ALLOWED,
    )
    node.replace_self(nodes.inline("", "", *node.children))
    return False


def check_written_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Every link of a page as it is written (the bibliography's and other extensions'
    included), against the one allow-list."""
    for reference in list(doctree.findall(nodes.reference)):
        if reference.get("refuri"):
            check_link(reference)


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


# -- What to do, for Sphinx's and MyST's own messages ------------------------------------------

#: Hints by (type, subtype) of the warning, or by the start of its text.
HINTS: dict[tuple[str, str] | str, str] = {
    ("ref", "ref"): "check the label's spelling; a label is the '(name)=' line above a heading",
    ("myst", "xref_missing"): "check the target's spelling: a label defined by a '(name)=' line",
    ("toc", "not_included"): (
        "list the document in a toctree (e.g. in book/index.md), or delete the file"
    ),
    ("toc", "no_title"): "give the document a '# Title' line, or remove it from the toctree",
    ("myst", "directive_unknown"): (
        "check the directive's spelling (e.g. source-text, editor-note, objectives, "
        "questions), or write the text without it"
    ),
    ("myst", "role_unknown"): (
        "check the role's spelling (e.g. {ref}, {term}, {cite:p}), or write the text without it"
    ),
    ("bibtex", "key_not_found"): (
        "check the key's spelling against the BibTeX file (bibtex_bibfiles in conf.py), or add "
        "an entry for the source there"
    ),
    ("image", "not_readable"): (
        "check the path: images live inside book/ and paths are relative to this file"
    ),
    '"raw" directive disabled': (
        "raw output is off in this book: write it in Markdown or with a MyST directive"
    ),
    "duplicate label": "rename one of the two '(name)=' labels; every label must be unique",
}


class HintFilter(pylogging.Filter):
    """Add a "what to do" line to warnings that say only what is wrong."""

    def filter(self, record: pylogging.LogRecord) -> bool:
        key = (getattr(record, "type", None) or "", getattr(record, "subtype", None) or "")
        hint = HINTS.get(key) if all(key) else None
        if hint is None:
            message = str(record.msg)
            hint = next(
                (h for k, h in HINTS.items() if isinstance(k, str) and message.startswith(k)),
                None,
            )
        if hint is not None and "what to do:" not in str(record.msg):
            record.msg = f"{record.msg} (what to do: {hint})"
        return True


def add_hints(app: Sphinx) -> None:
    """Attach the hint filter to this application's warning stream."""
    for handler in pylogging.getLogger(logging.NAMESPACE).handlers:
        if isinstance(handler, logging.WarningStreamHandler):
            handler.addFilter(HintFilter())


def setup(app: Sphinx) -> None:
    """Connect the checks (called from classbook's own ``setup``)."""
    app.add_config_value("classbook_max_paragraph", MAX_PARAGRAPH, "env", int)
    app.add_config_value("classbook_max_text_bytes", gate.MAX_TEXT_BYTES, "env", int)
    app.add_config_value("classbook_max_file_bytes", gate.MAX_FILE_BYTES, "env", int)
    app.connect("builder-inited", release)  # a gate left by an application before
    app.connect("env-before-read-docs", check_documents, priority=100)
    app.connect("env-before-read-docs", check_encoding)
    app.connect("env-before-read-docs", raw_off)
    app.connect("env-updated", release, priority=1)
    app.connect("build-finished", release)
    app.connect("source-read", check_source)
    app.add_transform(CheckContent)
    app.connect("doctree-resolved", check_written_links)
    add_hints(app)
