"""Safe content and clear errors: what contributors write is checked before readers see it.

Every problem is a warning naming the file and line, with what to do (``-W`` makes it an
error), never a Python traceback:

* source files: not UTF-8, empty, a code or directive fence that is never closed, front
  matter that is not valid YAML; a paragraph over ``classbook_max_paragraph`` characters;
* raw HTML is off: a raw block or inline tag is rejected (``<script>``, ``<iframe>``,
  event-handler attributes and ``javascript:`` links with a message of their own). HTML
  comments are the one allowed form; they are dropped from the output;
* links may not use ``javascript:``, ``vbscript:``, ``data:`` or ``file:`` addresses;
* images and downloads must be files inside the book folder: no ``http(s)://`` image (a
  build never fetches from the network), no path out of the book (``../../etc/passwd``), no
  file that is not a readable PNG, JPEG, GIF, WebP or SVG, no SVG with scripts;
* Sphinx's and MyST's own messages for common mistakes get a line saying what to do.

A refused node is removed, so even a ``--keep-going`` build never fetches, copies or
publishes it.
"""

from __future__ import annotations

import logging as pylogging
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.errors import SphinxError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from classbook.ext import yamldata

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: Default of ``classbook_max_paragraph``: longer paragraphs are a pasting accident.
MAX_PARAGRAPH = 20_000
#: Schemes a link may never use: they run code or smuggle content past the checks.
FORBIDDEN_LINK_SCHEMES = frozenset({"javascript", "vbscript", "data", "file"})
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
    """Check a document's text as read: emptiness, front matter, fences, Markdown links."""
    text = source[0]
    lines = text.splitlines()
    here = {"type": "classbook", "subtype": "source"}
    matter = _front_matter(lines)
    body_start = matter[1] + 1 if matter else 0

    body = "\n".join(lines[body_start:])
    body = HTML_COMMENT.sub("", body)
    if not "".join(line for line in body.splitlines() if not line.startswith("%")).strip():
        logger.warning(
            "this document is empty: write its text, or delete the file and its entry in "
            "the table of contents (toctree)",
            location=(docname, 1),
            **here,
        )
        return

    if matter:
        first, last = matter
        if last >= len(lines):
            logger.warning(
                "the front matter opened by '---' on line 1 is never closed: add a line '---' "
                "after its last 'key: value' line",
                location=(docname, 1),
                **here,
            )
        else:
            try:
                data = yamldata.safe_load("\n".join(lines[first:last]))
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
                line = first + 1 + (mark.line if mark is not None else 0)
                problem = getattr(error, "problem", None) or str(error).splitlines()[0]
                logger.warning(
                    "the front matter is not valid YAML (%s): write one 'key: value' per "
                    "line, and put values containing ':' or '#' in \"double quotes\", closing "
                    "every quote and bracket",
                    problem,
                    location=(docname, line),
                    **here,
                )
            else:
                if data is not None and not isinstance(data, dict):
                    logger.warning(
                        "the front matter must be 'key: value' lines",
                        location=(docname, first + 1),
                        **here,
                    )

    for index, fence in _fences(lines, body_start, len(lines)):
        logger.warning(
            "the fence '%s' opened here is never closed, so everything after it is swallowed: "
            "add a line '%s' where the block ends",
            fence,
            fence,
            location=(docname, index + 1),
            **here,
        )

    for index, line in enumerate(lines[body_start:], start=body_start):
        if bad := MARKDOWN_BAD_LINK.search(line):
            scheme = bad["scheme"].lower()
            logger.warning(
                "%s: links are never allowed (they could run code or smuggle content in): "
                "link to an https:// page or a page of the book instead",
                scheme,
                location=(docname, index + 1),
                **here,
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


def _scheme(uri: str) -> str:
    """The URI's scheme in lower case ('' for a relative path); '//host' counts as remote."""
    if uri.startswith("//"):
        return "http"
    scheme = urlsplit(uri).scheme.lower()
    return "" if len(scheme) == 1 else scheme  # "C:" is a drive letter, not a scheme


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
        return f"is a damaged {kind} image ({error})"
    return None


def _svg_problem(path: Path) -> str | None:
    try:
        root = ET.parse(path).getroot()  # expat refuses entity-expansion bombs
    except (ET.ParseError, OSError) as error:
        return f"is not a readable SVG image ({error})"
    if not root.tag.endswith("svg"):
        return "is not an SVG image (its root element is not <svg>)"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in {"script", "foreignobject"}:
            return f"is an SVG with <{tag}>, which could run code: remove it"
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"is an SVG with an event handler ({local}=): remove it"
            if local == "href" and _scheme(value.strip()) not in {"", "data"}:
                return f"is an SVG that loads {value}: embed or remove it"
    return None


class CheckContent(SphinxTransform):
    """Refuse raw HTML, unsafe links and images from outside the book, at read time."""

    default_priority = 200  # before Sphinx collects images and downloads (doctree-read)

    def apply(self, **kwargs: Any) -> None:
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

    def _refuse(self, node: nodes.Node, message: str, *args: object) -> None:
        # Nodes made by a directive's nested parse may lack a line: name the nearest one.
        located: nodes.Node | None = node
        while located is not None and not located.line:
            located = located.parent
        logger.warning(
            message, *args, location=located or node, type="classbook", subtype="content"
        )

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
        uri = node.get("refuri", "")
        scheme = _scheme(uri.strip())
        if scheme in FORBIDDEN_LINK_SCHEMES:
            self._refuse(
                node,
                "%s: links are never allowed (%s): link to an https:// page or a page of the "
                "book instead",
                scheme,
                uri[:60],
            )
            node.replace_self(nodes.inline("", "", *node.children))

    def _inside_book(self, uri: str) -> Path | None:
        """The file ``uri`` names, if it is inside the book (or the build's own files)."""
        _relative, absolute = self.env.relfn2path(uri, self.env.docname)
        path = Path(absolute).resolve()
        roots = [Path(self.env.srcdir).resolve(), Path(self.env.doctreedir).resolve()]
        return path if any(path.is_relative_to(root) for root in roots) else None

    def _check_image(self, node: nodes.image) -> None:
        uri = node.get("uri", "")
        scheme = _scheme(uri)
        if scheme:
            self._refuse(
                node,
                "image %s is not a file of the book (%s: images are never fetched): download "
                "it, check its licence, save it inside book/ and give its path",
                uri[:80],
                scheme,
            )
            node.parent.remove(node)
            return
        path = self._inside_book(uri.replace("*", "any"))
        if path is None:
            self._refuse(
                node,
                "image %s is outside the book folder: copy the image into book/ (e.g. "
                "book/_static/) and give its path relative to this file",
                uri,
            )
            node.parent.remove(node)
            return
        if "*" not in uri and (problem := _image_problem(path)) is not None:
            self._refuse(node, "image %s %s: export it again as PNG, JPEG or SVG", uri, problem)
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
        if _scheme(target):
            return  # a link to a web page, not a file Sphinx would copy
        if self._inside_book(target) is None:
            self._refuse(
                node,
                "download %s is outside the book folder: copy the file into book/ and give its "
                "path relative to this file",
                target,
            )
            node.replace_self(nodes.inline("", "", *node.children))


def check_dependencies(app: Sphinx, doctree: nodes.document) -> None:
    """Included files (include, literalinclude, csv-table) must be inside the book too."""
    env = app.env
    docname = env.docname
    roots = [Path(env.srcdir).resolve(), Path(app.confdir).resolve()]
    roots.append(Path(env.doctreedir).resolve())
    for dependency in sorted(env.dependencies.get(docname, ())):
        path = (Path(env.srcdir) / dependency).resolve()
        if not any(path.is_relative_to(root) for root in roots):
            logger.warning(
                "this document includes %s, which is outside the book folder: copy what you "
                "need into book/",
                path,
                location=(docname, None),
                type="classbook",
                subtype="content",
            )


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
    app.connect("env-before-read-docs", check_encoding)
    app.connect("source-read", check_source)
    app.add_transform(CheckContent)
    app.connect("doctree-read", check_dependencies)
    add_hints(app)
