"""A Markdown block made fit for a chapter: its links, images, roles, raw HTML and code."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from classbook import urls
from classbook.sources import html
from classbook.sources.document import Note, SourceError
from classbook.sources.myst import (
    CODE_DIRECTIVES,
    ROLE,
    TEXT_ROLES,
    VERBATIM_DIRECTIVES,
    Found,
    html_escape,
    lexes,
    outside_code,
    parser,
    role_text,
    split_directive,
    substitute,
)

#: Where a document's images go in the book, relative to its Markdown.
MEDIA = "media"


@dataclass
class Image:
    """An image the document shows, as the chapter will write it."""

    source: str  # as the document wrote it
    written: str  # as the chapter writes it ("" when left out)
    alt: str
    line: int
    path: Path | None = None  # the file beside the document, to copy into the book
    why: str = ""  # why it was left out


@dataclass
class Context:
    """What the whole document tells each of its blocks."""

    path: Path
    lines: list[str]
    first_line: int
    references: dict[str, Any]
    anchors: dict[str, str]  # a link fragment -> the label new-book writes for it
    images_from: Path | None  # the document's folder (None: Word's media, kept as they are)
    notes: list[Note] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    converted: Counter[str] = field(default_factory=Counter)
    first_seen: dict[str, int] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)  # labels some link needs
    heading_names: dict[int, list[str]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # the labels the document defines, (x)=
    equations: set[str] = field(default_factory=set)  # its equations' labels, for {eq}
    dead: set[str] = field(default_factory=set)  # references that must become their text
    rewritten: int = 0  # links to the document's own headings, made cross-references

    def note(self, line: int, message: str) -> None:
        self.notes.append(Note(str(line) if line > 0 else "", message))


def convert_html(
    context: Context, text: str, line: int, *, block: bool, table: bool
) -> tuple[str, list[str]]:
    """Convert the HTML in ``text``; refuse, naming the place, what cannot be."""
    targets: list[str] = []

    def change(part: str) -> str:
        try:
            done = html.convert(part, block=block, table=table)
        except html.HtmlRefusedError as error:
            at = line + text[: text.find(part) + error.offset].count("\n")
            raise SourceError(
                context.path,
                f"raw HTML <{error.element}> has no Markdown or MyST form; write it in "
                "Markdown (a table as a pipe table), or remove it",
                at,
            ) from None
        targets.extend(done.targets)
        for name, count in done.converted.items():
            context.converted[name] += count
            context.first_seen.setdefault(name, line)
        if done.dropped:
            context.note(line, "a form control (<input>) left out: a book has no checkboxes")
        return done.markdown

    converted = change(text) if block else outside_code(text, change)
    return converted, targets


LINK = re.compile(
    r"(?<!!)\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^>\n]*>|[^)\s]+)((?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?)\s*\)"
)


IMAGE = re.compile(
    r"!\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^>\n]*>|[^)\s]+)((?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?)\s*\)(\{[^}\n]*\})?"
)


REF_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]\[((?:[^\[\]\\]|\\.)*)\]")


AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")


def link_target(context: Context, destination: str, line: int) -> str | None:
    """The destination a chapter can link to (a fragment made a label), or None when the
    link must become its text (a file beside the document, an unknown anchor, a scheme
    books refuse)."""
    destination = destination.strip("<>")
    if destination.startswith("#"):
        fragment = unquote(destination[1:])
        if fragment in context.anchors:
            context.labels.add(context.anchors[fragment])
            context.rewritten += 1
            return f"#{context.anchors[fragment]}"
        context.note(
            line,
            f"link to {destination!r}: no heading or anchor of the document has that name; "
            "its text is kept without the link",
        )
        return None
    if (problem := link_problem(destination)) is not None:
        context.note(line, problem)
        return None
    return destination


def link_problem(destination: str) -> str | None:
    """Why a chapter keeps only the text of a link to ``destination`` (not a ``#fragment``),
    as new-book reports it; None when the book can link there. Word's links too."""
    if not urls.allowed(destination):
        return (
            f"link to {destination[:60]!r} ({urls.scheme(destination)}:) kept as text: a book "
            f"links only to {urls.ALLOWED}"
        )
    if not urls.remote(destination):
        return (
            f"link to {destination[:60]!r}, a file beside the document, kept as text: give its "
            "web address (https://…) if it has one"
        )
    return None


def fit_references(context: Context) -> None:
    """Link definitions made fit for a chapter: a ``#fragment`` to the label new-book writes;
    one the book cannot link to is dropped, and the links that use it become their text."""
    defined = {
        normalizeReference(match.group(1)): number
        for number, text in enumerate(context.lines)
        if (match := re.match(r"^ {0,3}\[((?:[^\[\]\\]|\\.)+)\]:", text))
    }
    for label, reference in list(context.references.items()):
        href = str(reference.get("href", ""))
        line = defined.get(label, 0) + context.first_line
        target = (
            link_target(context, href, line)
            if not urls.remote(href) or not urls.allowed(href)
            else href
        )
        if target is None:
            context.dead.add(label)
            del context.references[label]
        else:
            context.references[label] = {**reference, "href": target}


FULL_REFERENCE = re.compile(r"(?<!!)\[((?:[^\[\]\\]|\\.)*)\]\[((?:[^\[\]\\]|\\.)*)\]")


SHORT_REFERENCE = re.compile(r"(?<![!\]])\[((?:[^\[\]\\]|\\.)+)\](?![\[(:])")


def dead_references(context: Context, text: str) -> str:
    if not context.dead:
        return text

    def full(match: Found) -> str:
        label = normalizeReference(match.group(2) or match.group(1))
        return match.group(1) if label in context.dead else match.group(0)

    def short(match: Found) -> str:
        return (
            match.group(1) if normalizeReference(match.group(1)) in context.dead else match.group(0)
        )

    return substitute(SHORT_REFERENCE, substitute(FULL_REFERENCE, text, full), short)


def fit_links(context: Context, text: str, line: int, hrefs: Counter[str]) -> str:
    """Links the chapter can keep; the others (a file beside the document, an unknown
    anchor, a refused scheme) become their text. Only links markdown-it saw are touched (a
    link-like text inside code is not one)."""

    def link(match: Found) -> str:
        destination = match.group(2).strip("<>")
        if hrefs[normal_link(destination)] <= 0:
            return match.group(0)
        hrefs[normal_link(destination)] -= 1
        at = line + text[: match.start()].count("\n")
        target = link_target(context, destination, at)
        if target is None:
            return match.group(1)
        return f"[{match.group(1)}]({destination_of(target)}{match.group(3)})"

    def autolink(match: Found) -> str:
        if hrefs[normal_link(match.group(1))] <= 0 or (
            urls.allowed(match.group(1)) and urls.remote(match.group(1))
        ):
            return match.group(0)
        at = line + text[: match.start()].count("\n")
        context.note(
            at, f"link {match.group(1)[:60]!r} kept as text: a book links only to {urls.ALLOWED}"
        )
        return html_escape(match.group(1))

    text = substitute(LINK, text, link)
    text = substitute(AUTOLINK, text, autolink)
    return dead_references(context, text)


def normal_link(destination: str) -> str:
    return parser().normalizeLink(destination.strip())


def destination_of(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def fit_images(
    context: Context, text: str, line: int, sources: Counter[str]
) -> tuple[str, list[str]]:
    """Images copied into the book (rewritten to ``media/…``) or left out with a note; only
    images markdown-it saw are touched."""
    left_out: list[str] = []

    def image(alt: str, destination: str, title: str, attributes: str, at: int) -> str:
        destination = destination.strip("<>")
        if attributes and (given := re.search(r"alt=(\"[^\"]*\"|'[^']*')", attributes)):
            alt = given.group(1)[1:-1]  # Pandoc's ![](x.png){alt="…"}
        found = Image(destination, "", " ".join(alt.split()), at)
        context.images.append(found)
        if context.images_from is None:  # Word: pandoc's media/, carried as they are
            found.written = destination
            return f"![{alt}]({destination}{title})"
        found.why = image_place(context, found)
        if not found.why:
            return f"![{alt}](<{found.written}>{title})"
        what = "download it if its licence allows, " if found.why.startswith("on the web") else ""
        context.note(
            at,
            f"image {destination[:60]} left out ({found.why}): {what}put it in book/media/ and "
            "show it where the chapter's note says",
        )
        described = html_escape(alt) or "an image without alt text"
        left_out.append(f"{described} ({html_escape(destination)}, {found.why})")
        return ""

    def inline(match: Found) -> str:
        if sources[normal_link(match.group(2).strip("<>"))] <= 0:
            return match.group(0)
        sources[normal_link(match.group(2).strip("<>"))] -= 1
        at = line + text[: match.start()].count("\n")
        return image(match.group(1), match.group(2), match.group(3), match.group(4) or "", at)

    def reference(match: Found) -> str:
        found = context.references.get(normalizeReference(match.group(2) or match.group(1)))
        if not found or sources[str(found["href"])] <= 0:
            return match.group(0)
        sources[str(found["href"])] -= 1
        at = line + text[: match.start()].count("\n")
        title = f' "{reference_title(found)}"' if found.get("title") else ""
        return image(match.group(1), found["href"], title, "", at)

    text = substitute(REF_IMAGE, substitute(IMAGE, text, inline), reference)
    if left_out:  # a badge's link is left with nothing to click
        text = substitute(re.compile(r"(?<!!)\[\s*\]\([^)\n]*\)"), text, lambda _m: "")
    return text, left_out


def image_place(context: Context, image: Image) -> str:
    """Where an image goes in the book (``image.written``), or why it is left out."""
    if urls.remote(image.source):
        return "on the web: new-book fetches nothing"
    assert context.images_from is not None
    relative = PurePosixPath(unquote(image.source.split("#")[0].split("?")[0]))
    resolved = (context.images_from / relative).resolve()
    folder = context.images_from.resolve()
    if folder not in resolved.parents:
        return "outside the document's folder"
    if (problem := image_problem(resolved)) is not None:
        return problem
    image.path = resolved
    image.written = f"{MEDIA}/{resolved.relative_to(folder).as_posix()}"
    return ""


#: Image files every output shows, by their first bytes (the build checks them fully).
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def image_problem(path: Path) -> str | None:
    """Why an image file beside the document cannot go into the book, or None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return "missing: no such file beside the document"
    svg = path.suffix.lower() == ".svg" or head.lstrip().startswith((b"<?xml", b"<svg"))
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if svg or webp or head.startswith(SIGNATURES):
        return None
    return "not a PNG, JPEG, GIF, WebP or SVG image"


def fit_roles(context: Context, text: str, line: int, names: set[str]) -> str:
    """Roles of another project's setup (``{doc}``, ``{numref}``, ``{term}``) become their
    text: this book has no such target. Only roles markdown-it saw are touched."""

    def role(match: Found) -> str:
        name = match.group("name")
        label = label_of(match.group("content"))
        if (
            name not in names
            or name in TEXT_ROLES
            or (name == "ref" and label in context.known)
            or (name == "eq" and label in context.equations)
        ):
            return match.group(0)
        at = line + text[: match.start()].count("\n")
        context.note(at, f"role {{{name}}} kept as its text: this book has no target for it")
        fake = Token("myst_role", "", 0, meta={"name": name}, content=match.group("content"))
        return html_escape(role_text(fake))

    return substitute(ROLE, text, role)


def label_of(content: str) -> str:
    match = re.match(r"^.*<([^<>]*)>$", content, re.S)
    return (match.group(1) if match else content).strip()


@dataclass
class Piece:
    """One top-level block of the document, rewritten for a chapter."""

    markdown: str
    line: int
    kind: str = "source"  # "source", "rule", "teacher", "heading"
    level: int = 0
    targets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # images left out
    footnotes: list[str] = field(default_factory=list)  # labels of footnotes it cites
    heading: str = ""


def _fences(
    context: Context, text: str, wanted: Callable[[Token, str], bool], offset: int = 0
) -> list[tuple[int, Token]]:
    """Each fence of ``text`` that is ``wanted`` (given its token and directive name), those
    inside directives and divs too but never inside code, with the index of its opening line
    in ``text``."""
    found = []
    for token in parser().parse(text, {"references": dict(context.references)}):
        if token.type not in {"fence", "colon_fence"} or not token.map:
            continue
        info = token.info.strip()
        name, content = split_directive(info, token.content)
        start = offset + token.map[0]
        if wanted(token, name):
            found.append((start, token))
        elif (token.type == "colon_fence" and not info.startswith("{")) or (
            name and name not in VERBATIM_DIRECTIVES
        ):
            skipped = len(token.content.split("\n")) - len(content.split("\n"))
            found += _fences(context, content, wanted, start + 1 + skipped)
    return found


def code_fences(context: Context, text: str) -> list[tuple[int, Token]]:
    """Each code fence of ``text``, with the index of its opening line."""

    def code(token: Token, name: str) -> bool:
        info = token.info.strip()
        return token.type == "fence" and (not info.startswith("{") or name in CODE_DIRECTIVES)

    return _fences(context, text, code)


def plain_code(context: Context, piece: Piece) -> None:
    """Code in a language Pygments does not know, or cannot read, is plain text."""
    lines = piece.markdown.split("\n")
    for index, token in code_fences(context, piece.markdown):
        info = token.info.strip()
        if info.startswith("{"):  # {code-block} python
            language = info.split("}", 1)[1].strip().split(" ")[0] if "}" in info else ""
        else:
            language = info.split()[0] if info else ""
        language = language.strip("{}.")
        if not language or language in {"text", "none"} or lexes(language, token.content):
            continue
        if index < len(lines) and language in lines[index]:
            lines[index] = lines[index].replace(language, "text", 1)
            context.note(
                piece.line + index,
                f"code in {language!r} is printed as plain text: Pygments cannot highlight it",
            )
    piece.markdown = "\n".join(lines)


def reference_title(reference: dict[str, Any]) -> str:
    return str(reference["title"]).replace("\\", "\\\\").replace('"', '\\"')


#: Directives whose argument is an image file.
IMAGE_DIRECTIVES = frozenset({"figure", "image"})


def fit_directive_images(context: Context, piece: Piece) -> None:
    """A ``{figure}`` or ``{image}`` directive's file, as Markdown images are: copied into
    the book (its argument rewritten to ``media/…``), or left out with a note (a figure's
    caption stays, as a paragraph: it is the document's text)."""
    if context.images_from is None:  # Word: its media are carried as they are
        return
    lines = piece.markdown.split("\n")
    for index, token in sorted(
        _fences(context, piece.markdown, lambda _token, name: name in IMAGE_DIRECTIVES),
        reverse=True,
    ):
        source = token.info.strip().split("}", 1)[1].strip()
        found = re.search(r"^\s*:alt:\s*(.*)$", token.content, re.M)
        at = piece.line + index
        image = Image(source, "", " ".join(found.group(1).split()) if found else "", at)
        context.images.append(image)
        image.why = image_place(context, image) if source else "no file named"
        if not image.why:
            lines[index] = lines[index].replace(source, image.written, 1)
            continue
        context.note(
            at,
            f"image {source[:60]} left out ({image.why}): put it in book/media/ and show it "
            "where the chapter's note says",
        )
        piece.notes.append(f"{html_escape(image.alt) or 'an image'} ({html_escape(source)})")
        first, last = token.map or (0, 1)
        caption = split_directive(token.info.strip(), token.content)[1].strip("\n")
        lines[index : index + last - first] = caption.split("\n") if caption.strip() else []
    piece.markdown = "\n".join(lines)
