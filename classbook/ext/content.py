"""Safe doctrees: raw HTML off, links from one allow-list, HTML metadata by name, images of the
book (readable, without scripts or references to other files), paragraphs within a limit.

A refused node is removed, so even a ``--keep-going`` build never fetches, copies or
publishes it; each refusal is one warning naming the file and line.
"""

from __future__ import annotations

import glob
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from classbook import urls
from classbook.ext import words
from classbook.ext.safety import HTML_COMMENT, book_gate

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: The environment's record of the images left out for want of alt text: document name ->
#: (line, image) of each.
STORE = "classbook_undescribed_images"

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
EVENT_HANDLER = re.compile(r"""<[^>]*\s(on[a-z]+)\s*=""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*(?:javascript|vbscript):""", re.I)
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
            if self.config.classbook_undescribed_images == "leave-out":
                self._leave_out(node, uri)
                return
            self._refuse(
                node,
                "image %s has no alt text: %s",
                uri,
                say_what_it_shows(uri),
            )

    def _leave_out(self, node: nodes.image, uri: str) -> None:
        """An image without alt text out of every output: a note for readers in its place,
        and its place kept for the build to name (:func:`undescribed`)."""
        line = located(node).line or 0
        getattr(self.env, STORE).setdefault(self.env.docname, []).append((line, uri))
        said = words.gettext("[An image is left out here until its description is written.]")
        note = nodes.inline("", said, classes=["classbook-undescribed"])
        # In running text the note is a phrase of it; alone (or in a figure) a paragraph.
        node.replace_self(
            note if isinstance(node.parent, nodes.TextElement) else nodes.paragraph("", "", note)
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


def undescribed(env: BuildEnvironment) -> list[str]:
    """One line per image left out for want of alt text (``classbook_undescribed_images =
    "leave-out"``), with its file and line, for the person building the book."""
    found = []
    for docname, places in sorted(getattr(env, STORE, {}).items()):
        path = os.path.relpath(env.doc2path(docname))
        for line, uri in places:
            found.append(
                f"{path}:{line}: image {uri} was left out of every output: it has no alt text; "
                + say_what_it_shows(uri)
            )
    return found


def say_what_it_shows(uri: str) -> str:
    """What to write for an image without alt text."""
    return f"say what it shows, as in ![A map of the city]({uri})"


def located(node: nodes.Node) -> nodes.Node:
    """``node``, or its nearest ancestor with a line (nodes made by a directive's nested
    parse may lack one); ``node`` itself when none has."""
    found: nodes.Node | None = node
    while found is not None and not found.line:
        found = found.parent
    return found or node


def refuse(node: nodes.Node, message: str, *args: object) -> None:
    """A warning at ``node``'s place (or its nearest ancestor with a line)."""
    logger.warning(message, *args, location=located(node), type="classbook", subtype="content")


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


def setup(app: Sphinx) -> None:
    """Check each document's doctree as it is read, and every page's links as written."""
    app.add_transform(CheckContent)
    app.connect("doctree-resolved", check_written_links)
