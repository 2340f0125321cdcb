"""The Markdown reader: ``#`` headings make chapters, the rest carried so chapters build as is."""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.slugs import github_slugify, unique_slug

from classbook import urls
from classbook.sources import Block, Document, Note, Section, SourceError, decode_text, html

#: The MyST syntax chapters are written in (conf.py's myst_enable_extensions for new books).
MYST_EXTENSIONS = frozenset({"colon_fence", "deflist", "dollarmath"})
#: Where a document's images go in the book, relative to its Markdown.
MEDIA = "media"

#: Directives whose content MyST parses as Markdown: their paragraphs are the source's.
MARKDOWN_DIRECTIVES = frozenset(
    {
        *("admonition", "note", "warning", "tip", "hint", "important", "caution", "danger"),
        *("error", "attention", "seealso", "topic", "sidebar", "epigraph", "highlights"),
        *("pull-quote", "container", "list-table", "table", "figure"),
    }
)
#: Directives whose last paragraph, when it starts with a dash, is an attribution.
QUOTES = frozenset({"epigraph", "highlights", "pull-quote"})
#: Directives whose content is not prose (code, math, an image): no text units.
VERBATIM_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "math", "image", "eval-rst"})
#: Directives whose argument names a code block's language.
CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})
#: Roles every book knows, and how much of their text a reader sees.
TEXT_ROLES = frozenset(
    {"sup", "sub", "superscript", "subscript", "kbd", "math", "code", "literal", "samp"}
    | {"file", "command", "guilabel", "program", "dfn", "abbr", "strong", "emphasis"}
)
_ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+-]*)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks)", re.S)
_ATTRIBUTES = re.compile(
    r"\s*\{\s*(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|\S+?))(?:\s+[^}]*)?\}"
)
_MDBOOK_INCLUDE = re.compile(r"\{\{#(?:rustdoc_)?include[^}]*\}\}")


@functools.cache
def parser() -> MarkdownIt:
    """MyST's own Markdown parser, with the book's syntax."""
    return create_md_parser(MdParserConfig(enable_extensions=MYST_EXTENSIONS), RendererHTML)


# -- Text units: the text of every paragraph, list item and table cell, as the build sees it


def _role_text(token: Token) -> str:
    name, content = str(token.meta.get("name", "")), token.content
    if name == "abbr" and (match := re.match(r"^(.*?)\s*\(.*\)$", content, re.S)):
        return match.group(1)
    if name not in TEXT_ROLES and (match := re.match(r"^(.*?)\s*<[^<>]*>$", content, re.S)):
        return match.group(1)  # a cross-reference's title
    return content


def inline_text(token: Token) -> str:
    """The plain text of an inline token: what a reader sees, markup left out (footnote
    markers and images too: they are not the paragraph's words)."""
    parts = []
    for child in token.children or ():
        if child.type in {"text", "code_inline", "math_inline", "math_inline_double"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "myst_role":
            parts.append(_role_text(child))
    return "".join(parts).strip()


def _directive(info: str, content: str) -> tuple[str, str]:
    """A fenced directive's name ("" for a fenced div) and its content without options."""
    name = info[1:].split("}", 1)[0].strip() if info.startswith("{") else ""
    lines = content.split("\n")
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        lines = lines[end + 1 :]
    while lines and re.match(r"^\s*:[\w-]+:", lines[0]):
        lines.pop(0)
    return name, "\n".join(lines)


def units(markdown: str, references: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The text of every paragraph, list item and table cell of ``markdown`` as a chapter's
    source-text block holds them (a term of a definition list is not a paragraph, a figure's
    first paragraph is its caption)."""
    env = {"references": dict(references or {})}
    tokens = parser().parse(markdown, env)
    found: list[str] = []
    parents: list[str] = []
    for token in tokens:
        if token.nesting == 1:
            parents.append(token.type)
        elif token.nesting == -1 and parents:
            parents.pop()
        elif (
            token.type == "inline"
            and parents
            and parents[-1] in {"paragraph_open", "th_open", "td_open"}
        ):
            if "dt_open" not in parents and (text := inline_text(token)):
                found.append(text)
        elif token.type in {"fence", "colon_fence"} and token.nesting == 0:
            name, content = _directive(token.info.strip(), token.content)
            if token.type == "colon_fence" and not token.info.strip().startswith("{"):
                name = "container"  # a fenced div: MyST makes a container of its Markdown
            if name == "eval-rst":
                found.extend(rst_units(content))
            if name in MARKDOWN_DIRECTIVES:
                inner = list(units(content, references))
                if name == "figure":  # its first paragraph is the caption
                    inner = inner[1:]
                if name in QUOTES and inner and inner[-1].startswith(("--", "\u2014", "\u2015")):
                    inner = inner[:-1]  # "-- Author": the quotation's attribution
                found.extend(inner)
    return tuple(found)


def rst_problem(text: str) -> str:
    """Why docutils cannot read a block of reStructuredText cleanly ("" when it can)."""
    from docutils import nodes
    from docutils.core import publish_doctree

    doctree = publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )
    for message in doctree.findall(nodes.system_message):
        if message.get("level", 0) >= 2:
            return message.astext().split("\n", 1)[0]
    return ""


def rst_units(text: str) -> list[str]:
    """The paragraphs of a reStructuredText block (an eval-rst grid table), read by docutils
    as the build reads them."""
    from docutils import nodes
    from docutils.core import publish_doctree

    doctree = publish_doctree(
        text,
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )
    skipped = (nodes.footnote_reference, nodes.citation_reference, nodes.raw, nodes.system_message)

    def words(node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return node.astext()
        if isinstance(node, skipped):
            return ""
        return "".join(words(child) for child in node.children)

    return [
        text
        for paragraph in doctree.findall(nodes.paragraph)
        if not isinstance(paragraph.parent, nodes.system_message)
        and (text := words(paragraph).strip())
    ]


# -- Reading the document ------------------------------------------------------------------


def _front_matter(path: Path, token: Token) -> dict[str, Any]:
    try:
        data = yaml.safe_load(token.content) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1  # after the opening ---
        raise SourceError(path, f"front matter is not valid YAML: {error}", line) from None
    if not isinstance(data, dict):
        raise SourceError(path, "front matter must be a mapping (title: …, author: …)", 2)
    return data


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
class _Context:
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
    dead: set[str] = field(default_factory=set)  # references that must become their text
    rewritten: int = 0  # links to the document's own headings, made cross-references

    def note(self, line: int, message: str) -> None:
        self.notes.append(Note(str(line) if line > 0 else "", message))


def _outside_code(text: str, change: Any, *, mask: bool = False, roles: bool = False) -> str:
    """``change`` applied to the text outside code (fenced blocks, code spans and roles'
    content, unless ``roles``); with ``mask``, code is blanked out instead of kept."""
    span = (
        r"((?<![`}])(`+)(?!`).+?(?<!`)\2(?!`))" if roles else r"((?<!`)(`+)(?!`).+?(?<!`)\2(?!`))"
    )

    def code(part: str) -> str:
        return re.sub(r"[^\n]", "\0", part) if mask else part

    lines = text.split("\n")
    in_code = _code_lines(lines)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            part = "\n".join(run)
            pieces = re.split(span, part, flags=re.S)
            # re.split with two groups gives [text, span, ticks, text, …]
            out.append(
                "".join(
                    change(p) if n % 3 == 0 else code(p) for n, p in enumerate(pieces) if n % 3 != 2
                )
            )
            run.clear()

    for line, is_code in zip(lines, in_code, strict=True):
        if is_code:
            flush()
            out.append(code(line))
        else:
            run.append(line)
    flush()
    return "\n".join(out)


_FENCE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>[^\n]*)$")


def _code_lines(lines: list[str]) -> list[bool]:
    """Which lines are code or fences (left as they are); a directive's fence (``{name}``)
    or a fenced div holds Markdown, not code."""
    code = [False] * len(lines)
    stack: list[tuple[str, bool]] = []  # (fence, is code)
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if match and stack and not match["info"].strip():
            fence = stack[-1][0]
            if match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence):
                stack.pop()
                code[index] = True  # a fence is syntax: never changed
                continue
        if stack and stack[-1][1]:
            code[index] = True
        elif match and (match["fence"][0] != ":" or match["info"].strip()):
            is_code = match["fence"][0] != ":" and not match["info"].strip().startswith("{")
            stack.append((match["fence"], is_code))
            code[index] = True
    return code


def _html(
    context: _Context, text: str, line: int, *, block: bool, table: bool
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

    converted = change(text) if block else _outside_code(text, change)
    return converted, targets


_LINK = re.compile(
    r"(?<!!)\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^>\n]*>|[^)\s]+)((?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?)\s*\)"
)
_IMAGE = re.compile(
    r"!\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*(<[^>\n]*>|[^)\s]+)((?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?)\s*\)(\{[^}\n]*\})?"
)
_REF_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]\[((?:[^\[\]\\]|\\.)*)\]")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")


def _link_target(context: _Context, destination: str, line: int) -> str | None:
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
    if not urls.allowed(destination):
        context.note(
            line,
            f"link to {destination[:60]!r} ({urls.scheme(destination)}:) kept as text: a book "
            f"links only to {urls.ALLOWED}",
        )
        return None
    if not urls.remote(destination):
        context.note(
            line,
            f"link to {destination[:60]!r}, a file beside the document, kept as text: give its web "
            "address (https://…) if it has one",
        )
        return None
    return destination


def _references(context: _Context) -> None:
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
            _link_target(context, href, line)
            if not urls.remote(href) or not urls.allowed(href)
            else href
        )
        if target is None:
            context.dead.add(label)
            del context.references[label]
        else:
            context.references[label] = {**reference, "href": target}


_FULL_REFERENCE = re.compile(r"(?<!!)\[((?:[^\[\]\\]|\\.)*)\]\[((?:[^\[\]\\]|\\.)*)\]")
_SHORT_REFERENCE = re.compile(r"(?<![!\]])\[((?:[^\[\]\\]|\\.)+)\](?![\[(:])")


class _Found:
    """A match found in masked text, read from the original (the same length)."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match, self._text = match, text

    def group(self, group: int | str = 0) -> str:
        start, end = self._match.span(group)
        return self._text[start:end] if start >= 0 else None  # type: ignore[return-value]

    def start(self) -> int:
        return self._match.start()


def _mask(text: str, roles: bool = False) -> str:
    """``text`` with its code (fenced blocks, code spans; roles' content unless ``roles``)
    blanked out, character for character."""
    return _outside_code(text, lambda part: part, mask=True, roles=roles)


def _substitute(pattern: re.Pattern[str], text: str, change: Any) -> str:
    """``pattern.sub(change, text)`` for matches outside code only."""
    masked, out, position = _mask(text, roles=pattern is _ROLE), [], 0
    for match in pattern.finditer(masked):
        out += [text[position : match.start()], change(_Found(match, text))]
        position = match.end()
    return "".join([*out, text[position:]])


def _dead_references(context: _Context, text: str) -> str:
    if not context.dead:
        return text

    def full(match: _Found) -> str:
        label = normalizeReference(match.group(2) or match.group(1))
        return match.group(1) if label in context.dead else match.group(0)

    def short(match: _Found) -> str:
        return (
            match.group(1) if normalizeReference(match.group(1)) in context.dead else match.group(0)
        )

    return _substitute(_SHORT_REFERENCE, _substitute(_FULL_REFERENCE, text, full), short)


def _links(context: _Context, text: str, line: int, hrefs: Counter[str]) -> str:
    """Links the chapter can keep; the others (a file beside the document, an unknown
    anchor, a refused scheme) become their text. Only links markdown-it saw are touched (a
    link-like text inside code is not one)."""

    def link(match: _Found) -> str:
        destination = match.group(2).strip("<>")
        if hrefs[_normal(destination)] <= 0:
            return match.group(0)
        hrefs[_normal(destination)] -= 1
        at = line + text[: match.start()].count("\n")
        target = _link_target(context, destination, at)
        if target is None:
            return match.group(1)
        return f"[{match.group(1)}]({_destination(target)}{match.group(3)})"

    def autolink(match: _Found) -> str:
        if hrefs[_normal(match.group(1))] <= 0 or (
            urls.allowed(match.group(1)) and urls.remote(match.group(1))
        ):
            return match.group(0)
        at = line + text[: match.start()].count("\n")
        context.note(
            at, f"link {match.group(1)[:60]!r} kept as text: a book links only to {urls.ALLOWED}"
        )
        return html_escape(match.group(1))

    text = _substitute(_LINK, text, link)
    text = _substitute(_AUTOLINK, text, autolink)
    return _dead_references(context, text)


def _normal(destination: str) -> str:
    return parser().normalizeLink(destination.strip())


def _destination(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def html_escape(text: str) -> str:
    """Markdown for text that must print as written."""
    return re.sub(r"([\\`*_{}\[\]<>#!|~^$])", r"\\\1", text)


def _images(
    context: _Context, text: str, line: int, sources: Counter[str]
) -> tuple[str, list[str]]:
    """Images copied into the book (rewritten to ``media/…``) or left out with a note; only
    images markdown-it saw are touched."""
    left_out: list[str] = []

    def image(alt: str, destination: str, title: str, attributes: str, at: int) -> str:
        destination = destination.strip("<>")
        if attributes and (found := re.search(r"alt=(\"[^\"]*\"|'[^']*')", attributes)):
            alt = found.group(1)[1:-1]  # Pandoc's ![](x.png){alt="…"}
        found = Image(destination, "", " ".join(alt.split()), at)
        context.images.append(found)
        if context.images_from is None:  # Word: pandoc's media/, carried as they are
            found.written = destination
            return f"![{alt}]({destination}{title})"
        found.why = _image_place(context, found)
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

    def inline(match: _Found) -> str:
        if sources[_normal(match.group(2).strip("<>"))] <= 0:
            return match.group(0)
        sources[_normal(match.group(2).strip("<>"))] -= 1
        at = line + text[: match.start()].count("\n")
        return image(match.group(1), match.group(2), match.group(3), match.group(4) or "", at)

    def reference(match: _Found) -> str:
        found = context.references.get(normalizeReference(match.group(2) or match.group(1)))
        if not found or sources[str(found["href"])] <= 0:
            return match.group(0)
        sources[str(found["href"])] -= 1
        at = line + text[: match.start()].count("\n")
        title = f' "{_title(found)}"' if found.get("title") else ""
        return image(match.group(1), found["href"], title, "", at)

    text = _substitute(_REF_IMAGE, _substitute(_IMAGE, text, inline), reference)
    if left_out:  # a badge's link is left with nothing to click
        text = _substitute(re.compile(r"(?<!!)\[\s*\]\([^)\n]*\)"), text, lambda _m: "")
    return text, left_out


def _image_place(context: _Context, image: Image) -> str:
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


def _roles(context: _Context, text: str, line: int, names: set[str]) -> str:
    """Roles of another project's setup (``{doc}``, ``{numref}``, ``{term}``) become their
    text: this book has no such target. Only roles markdown-it saw are touched."""

    def role(match: _Found) -> str:
        name = match.group("name")
        label = _label_of(match.group("content"))
        if name not in names or name in TEXT_ROLES or (name == "ref" and label in context.known):
            return match.group(0)
        at = line + text[: match.start()].count("\n")
        context.note(at, f"role {{{name}}} kept as its text: this book has no target for it")
        fake = Token("myst_role", "", 0, meta={"name": name}, content=match.group("content"))
        return html_escape(_role_text(fake))

    return _substitute(_ROLE, text, role)


def _label_of(content: str) -> str:
    match = re.match(r"^.*<([^<>]*)>$", content, re.S)
    return (match.group(1) if match else content).strip()


@dataclass
class _Piece:
    """One top-level block of the document, rewritten for a chapter."""

    markdown: str
    line: int
    kind: str = "source"  # "source", "rule", "teacher", "heading"
    level: int = 0
    targets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # images left out
    footnotes: list[str] = field(default_factory=list)  # labels of footnotes it cites
    heading: str = ""


def _nested(context: _Context, text: str, line: int = 0) -> list[Token]:
    """Every token of ``text``, those of its directives' and divs' Markdown included. A
    fence the text never closes (the end of the file or of a block closes it) is refused
    when ``line`` (the text's first line in the document) is given."""
    found: list[Token] = []
    lines = text.split("\n")
    for token in parser().parse(text, {"references": dict(context.references)}):
        found += _all([token])
        if token.type not in {"fence", "colon_fence"}:
            continue
        first, last = token.map or (0, 0)
        closing = lines[last - 1].strip() if last else ""
        fence = token.markup
        if line and (last - first < 2 or not closing.startswith(fence) or closing.strip(fence[0])):
            raise SourceError(
                context.path,
                f"the fence {fence!r} opened here is never closed (its block runs to the end "
                f"of the file or of the block around it): add a line {fence!r} where it ends",
                line + first,
            )
        info = token.info.strip()
        name, content = _directive(info, token.content)
        if (token.type == "colon_fence" and not info.startswith("{")) or (
            name and name not in VERBATIM_DIRECTIVES
        ):
            found += _nested(context, content, line and line + first + 1)
    return found


def _rewrite(context: _Context, tokens: list[Token], start: int) -> _Piece:
    """A top-level block (from tokens[start]) as a chapter writes it."""
    token = tokens[start]
    first, last = token.map or (0, 0)
    line = first + context.first_line
    text = "\n".join(context.lines[first:last]).strip("\n")
    if token.type == "hr":
        return _Piece("---", line, "rule")
    if token.type == "colon_fence" and token.info.strip() in {"instructor", "{instructor}"}:
        return _Piece(_directive("", token.content)[1].strip("\n"), line, "teacher")
    if token.type == "colon_fence" and token.info.strip() == "classbook-note":  # the Word reader's
        return _Piece(f":::{{note}}\n{token.content.strip()}\n:::", line, "note")
    targets: list[str] = []
    if token.type == "html_block":
        text, targets = _html(context, text, line, block=True, table=False)
        if not text.strip():
            kind = "rule" if "<hr" in token.content.lower() else "empty"
            return _Piece("", line, kind, targets=targets)
    elif any(t.type in {"html_inline", "html_block"} for t in _nested(context, text, line)):
        text, targets = _html(context, text, line, block=False, table=token.type == "table_open")
    for name in {_directive(t.info.strip(), "")[0] for t in _nested(context, text) if t.info}:
        if name and name not in MARKDOWN_DIRECTIVES | VERBATIM_DIRECTIVES:
            text = _unknown_directive(context, text, name, line)
    if _MDBOOK_INCLUDE.search(text):
        context.note(
            line,
            "an mdBook {{#include …}} is kept as written: the file it names is not part of "
            "the document",
        )
    text = re.sub(r"(\]\([^)\n]*\))\{[.#][^}\n]*\}", r"\1", text)  # {.internal-link} after links
    return _finish(context, _Piece(text, line, targets=targets))


def _code_fences(context: _Context, text: str, offset: int = 0) -> list[tuple[int, Token]]:
    """Each code fence of ``text`` (those inside directives and divs too), with the index of
    its opening line in ``text``."""
    found = []
    for token in parser().parse(text, {"references": dict(context.references)}):
        if token.type not in {"fence", "colon_fence"} or not token.map:
            continue
        info = token.info.strip()
        name, content = _directive(info, token.content)
        start = offset + token.map[0]
        if token.type == "fence" and (not info.startswith("{") or name in CODE_DIRECTIVES):
            found.append((start, token))
        elif (token.type == "colon_fence" and not info.startswith("{")) or (
            name and name not in VERBATIM_DIRECTIVES
        ):
            skipped = len(token.content.split("\n")) - len(content.split("\n"))
            found += _code_fences(context, content, start + 1 + skipped)
    return found


def _lexes(language: str, code: str) -> bool:
    """Whether Pygments highlights ``code`` as ``language`` without an error (the build
    warns otherwise, and a warning fails it)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return False
    lexer.add_filter("raiseonerror")
    try:
        for _token in lexer.get_tokens(code):
            pass
    except Exception:
        return False
    return True


def _plain_code(context: _Context, piece: _Piece) -> None:
    """Code in a language Pygments does not know, or cannot read, is plain text."""
    lines = piece.markdown.split("\n")
    for index, token in _code_fences(context, piece.markdown):
        info = token.info.strip()
        if info.startswith("{"):  # {code-block} python
            language = info.split("}", 1)[1].strip().split(" ")[0] if "}" in info else ""
        else:
            language = info.split()[0] if info else ""
        language = language.strip("{}.")
        if not language or language in {"text", "none"} or _lexes(language, token.content):
            continue
        if index < len(lines) and language in lines[index]:
            lines[index] = lines[index].replace(language, "text", 1)
            context.note(
                piece.line + index,
                f"code in {language!r} is printed as plain text: Pygments cannot highlight it",
            )
    piece.markdown = "\n".join(lines)


def _finish(context: _Context, piece: _Piece) -> _Piece:
    """Images, links and roles of a block made fit for a chapter; the footnotes it cites."""
    _plain_code(context, piece)
    tokens = _nested(context, piece.markdown)
    sources = Counter(str(t.attrGet("src")) for t in tokens if t.type == "image")
    hrefs = Counter(str(t.attrGet("href")) for t in tokens if t.type == "link_open")
    piece.markdown, piece.notes = _images(context, piece.markdown, piece.line, sources)
    piece.markdown = _links(context, piece.markdown, piece.line, hrefs)
    roles = {str(t.meta.get("name")) for t in tokens if t.type == "myst_role"}
    piece.markdown = _roles(context, piece.markdown, piece.line, roles)
    piece.footnotes = [str(t.meta["label"]) for t in tokens if t.type == "footnote_ref"]
    return piece


def _unknown_directive(context: _Context, text: str, name: str, line: int) -> str:
    """Every ``{name}`` directive (one this book does not know) as a titled note, or as a
    rubric when it has no content of its own; its options, which are its own, left out."""
    context.note(
        line,
        f"directive {{{name}}} is not one this book knows: written as a note titled "
        f"{name.title()!r}",
    )
    lines = text.split("\n")
    opening = re.compile(r"^([ \t>]*)(`{3,}|:{3,})\s*\{" + re.escape(name) + r"\}(.*)$")
    for index, current in enumerate(lines):
        if not (match := opening.match(current)):
            continue
        indent, fence, argument = match.groups()
        closing = next(
            (
                i
                for i in range(index + 1, len(lines))
                if lines[i].strip().startswith(fence) and not lines[i].strip().strip(fence[0])
            ),
            len(lines),
        )
        options = index + 1
        while options < closing and re.match(r"^\s*:[\w-]+:", lines[options]):
            lines[options] = ""
            options += 1
        kind = "admonition" if any(b.strip() for b in lines[options:closing]) else "rubric"
        lines[index] = f"{indent}{fence}{{{kind}}} {name.title()}{argument}".rstrip()
    return "\n".join(lines)


def _all(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        found.extend(_all(token.children or []))
    return found


def _anchors(tokens: list[Token]) -> tuple[dict[str, str], dict[int, list[str]]]:
    """Every name a link may give a heading (GitHub's slug, a ``{#id}``, an ``<a id>``) with
    the label new-book writes for it; and the names of each heading, by its token."""
    names: dict[int, list[str]] = {}
    slugs: set[str] = set()
    anchors: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            content = tokens[index + 1].content
            own = []
            if found := re.search(r"\{\s*#([\w:.-]+)[^}]*\}\s*$", content):
                own.append(found.group(1))
            slug = unique_slug(github_slugify(_heading_title(tokens[index + 1])), slugs)
            slugs.add(slug)
            names[index] = [*own, slug]
            anchors += names[index]
        if token.type in {"html_block", "inline"}:
            pattern = r"<a\s[^>]*\b(?:id|name)\s*=\s*[\"']?([^\"'\s>]+)"
            anchors += [m.group(1) for m in re.finditer(pattern, token.content, re.I)]
    return {name: f"sec-{github_slugify(name) or 'anchor'}" for name in anchors}, names


def _heading_title(inline: Token) -> str:
    """A heading's plain text, without a trailing ``{#id .class}``."""
    return (
        _ATTRIBUTES.sub("", inline_text(inline)).strip()
        if inline_text(inline).endswith("}")
        else inline_text(inline)
    )


def _pieces(context: _Context, tokens: list[Token]) -> list[_Piece]:
    """Every top-level block in order; footnote definitions are kept aside by label."""
    ranges: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0:
            ranges.append((index, index))
        if token.level == 0 and token.nesting <= 0:
            ranges[-1] = (ranges[-1][0], index + 1)
    pieces = []
    for start, _end in ranges:
        token = tokens[start]
        if token.type == "heading_open":
            pieces.append(_heading(context, tokens, start))
        elif token.type == "footnote_reference_open":
            first, last = token.map or (0, 0)
            text = "\n".join(context.lines[first:last]).strip("\n")
            piece = _finish(context, _Piece(text, first + context.first_line, "footnote"))
            piece.heading = str(token.meta["label"])
            pieces.append(piece)
        elif token.map is not None and token.type != "front_matter":
            pieces.append(_rewrite(context, tokens, start))
    return pieces


def _heading(context: _Context, tokens: list[Token], start: int) -> _Piece:
    token, inline = tokens[start], tokens[start + 1]
    line = (token.map or (0, 0))[0] + context.first_line
    content = inline.content
    if content.rstrip().endswith("}"):
        content = _ATTRIBUTES.sub("", content).strip()
    targets = list(context.heading_names.get(start, []))
    if "<" in content:
        content, more = _html(context, content, line, block=False, table=False)
        targets += more
    tokens = _all(parser().parseInline(content, {"references": dict(context.references)}))
    hrefs = Counter(str(t.attrGet("href")) for t in tokens if t.type == "link_open")
    content = _links(context, content, line, hrefs)
    content = _roles(
        context, content, line, {str(t.meta.get("name")) for t in tokens if t.type == "myst_role"}
    )
    title = inline_text(parser().parseInline(content, {"references": context.references})[0])
    piece = _Piece(content, line, "heading", int(token.tag[1]), targets=targets, heading=title)
    piece.footnotes = [str(t.meta["label"]) for t in _all([inline]) if t.type == "footnote_ref"]
    return piece


_BLOCK_OPEN = re.compile(r"^(\s*)///\s*([A-Za-z][\w-]*)(?:\s*\|\s*(.*?))?\s*$")
_BLOCK_CLOSE = re.compile(r"^(\s*)///\s*$")
ADMONITIONS = frozenset(
    {"note", "warning", "tip", "hint", "important", "caution", "danger", "error", "attention"}
)


def _admonition_blocks(lines: list[str]) -> tuple[list[str], list[int]]:
    """Python-Markdown's ``/// note | Title`` … ``///`` blocks as MyST admonitions, line for
    line (so every line keeps its number); the lines where one opens."""
    out, opened, depth = [], [], 0
    for index, line in enumerate(lines):
        if match := _BLOCK_OPEN.match(line):
            indent, name, title = match.groups()
            if name in ADMONITIONS and not title:
                out.append(f"{indent}:::{{{name}}}")
            else:
                out.append(f"{indent}:::{{admonition}} {title or name.title()}")
            opened.append(index)
            depth += 1
        elif depth and (match := _BLOCK_CLOSE.match(line)):
            out.append(f"{match.group(1)}:::")
            depth -= 1
        else:
            out.append(line)
    return out, opened


def parse_markdown(
    path: Path, text: str, *, first_line: int = 1, images_from: Path | None = None
) -> Document:
    """Split Markdown into sections at its top heading level, each block rewritten so the
    chapter builds as it is (raw HTML converted, links and images carried or reported)."""
    lines, blocks = _admonition_blocks(re.split(r"\r\n|\r|\n", text))
    text = "\n".join(lines)
    env: dict[str, Any] = {}
    tokens = parser().parse(text, env)
    meta: dict[str, Any] = {}
    if tokens and tokens[0].type == "front_matter":
        meta = _front_matter(path, tokens[0])
    anchors, names = _anchors(tokens)
    context = _Context(path, lines, first_line, env.get("references", {}), anchors, images_from)
    context.heading_names = names
    context.known = {t.content for t in tokens if t.type == "myst_target"} | set(anchors.values())
    _references(context)
    for line in blocks:
        context.note(
            line + first_line, "a /// admonition block (Python-Markdown) written as a MyST note"
        )
    pieces = _pieces(context, tokens)
    sections = _sections(context, pieces)
    _report(context)
    title = str(meta.get("title") or next((s.heading for s in sections if s.heading), ""))
    author = meta.get("author") or ""
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    return Document(
        path,
        "markdown",
        tuple(sections),
        title=title,
        author=str(author),
        notes=tuple(context.notes),
        images=tuple(context.images),
    )


def _report(context: _Context) -> None:
    if context.rewritten:
        context.note(
            context.first_line - 1,
            f"{context.rewritten} link(s) to the document's own headings or anchors written as "
            "cross-references to labels new-book wrote",
        )
    for name, count in sorted(
        context.converted.items(), key=lambda item: context.first_seen[item[0]]
    ):
        what = {
            "img": "an image",
            "a": "a link or anchor",
            "br": "a line break",
            "kbd": "{kbd}",
        }.get(name, "")
        context.note(
            context.first_seen[name],
            f"raw HTML <{name}> ×{count} converted"
            + (f" to {what}" if what else " (its text kept)"),
        )


def _sections(context: _Context, pieces: list[_Piece]) -> list[Section]:
    """Sections at the top heading level; each section's blocks, with the footnotes and link
    definitions its text needs."""
    levels = sorted({p.level for p in pieces if p.kind == "heading"})
    rank = {level: number for number, level in enumerate(levels, start=1)}
    footnotes = {p.heading: p for p in pieces if p.kind == "footnote"}
    cited = {label for p in pieces for label in p.footnotes}
    for label, piece in footnotes.items():
        if label not in cited:
            context.note(piece.line, f"footnote [^{label}] is cited nowhere in the text: left out")
    groups: list[list[_Piece]] = [[]]
    for piece in pieces:
        if piece.kind == "heading" and rank[piece.level] == 1:
            groups.append([])
        if piece.kind != "footnote":
            groups[-1].append(piece)
    sections = []
    for group in groups:
        if group:
            sections.append(_section(context, group, rank, footnotes))
    return sections


def _section(
    context: _Context, group: list[_Piece], rank: dict[int, int], footnotes: dict[str, _Piece]
) -> Section:
    heading = group[0] if group[0].kind == "heading" and rank[group[0].level] == 1 else None
    blocks: list[Block] = []
    run: list[_Piece] = []
    placed: set[str] = set()
    # A note cited in a heading is defined in the text that follows it.
    cited = list(heading.footnotes) if heading else []

    def flush() -> None:
        if not run:
            return
        parts = []
        for piece in run:
            labels = [f"({label})=" for label in _labels(context, piece.targets)]
            parts.append("\n".join([*labels, piece.markdown]))
            for label in [*cited, *piece.footnotes]:
                if label not in placed and label in footnotes:
                    placed.add(label)
                    parts.append(footnotes[label].markdown)
        cited.clear()
        markdown = "\n\n".join(p for p in parts if p.strip())
        blocks.append(Block(markdown, run[0].line, 0, units(markdown, context.references)))
        for piece in run:
            if piece.notes:
                blocks.append(Block(_left_out_note(piece.notes), piece.line, kind="note"))
        run.clear()

    for piece in group[1:] if heading else group:
        if piece.kind == "heading":
            flush()
            cited.extend(piece.footnotes)
            targets = _labels(context, piece.targets)
            blocks.append(
                Block(
                    f"{'#' * rank[piece.level]} {piece.markdown}",
                    piece.line,
                    rank[piece.level],
                    (piece.heading,),
                    targets=targets,
                )
            )
        elif piece.kind in {"rule", "teacher", "note"}:
            flush()
            blocks.append(Block(piece.markdown, piece.line, kind=piece.kind))
        elif piece.kind == "source" and piece.markdown.strip():
            run.append(piece)
        elif piece.notes:  # a block that held only images left out: their note
            flush()
            blocks.append(Block(_left_out_note(piece.notes), piece.line, kind="note"))
    flush()
    if definitions := _definitions(context, blocks):
        blocks.append(Block(definitions, blocks[-1].line, kind="definitions"))
    if heading is None:
        return Section("", context.first_line, None, tuple(blocks))
    targets = _labels(context, heading.targets)
    return Section(
        heading.heading,
        heading.line,
        None,
        tuple(blocks),
        markdown=heading.markdown,
        targets=targets,
    )


def _title(reference: dict[str, Any]) -> str:
    return str(reference["title"]).replace("\\", "\\\\").replace('"', '\\"')


def _definitions(context: _Context, blocks: list[Block]) -> str:
    """The link definitions a chapter's text uses, written once at its end (outside its
    source-text blocks, where MyST reads them for every block of the chapter)."""
    text = "\n".join(block.markdown for block in blocks)
    used = {normalizeReference(label) for label in re.findall(r"\[((?:[^\[\]\\]|\\.)+)\]", text)}
    lines = []
    for label in sorted(used & set(context.references)):
        reference = context.references[label]
        title = f' "{_title(reference)}"' if reference.get("title") else ""
        lines.append(f"[{label}]: <{reference['href']}>{title}")
    return "\n".join(lines)


def _labels(context: _Context, anchors: list[str]) -> tuple[str, ...]:
    """The labels to write for these anchors, each once."""
    return tuple(dict.fromkeys(label for a in anchors if (label := _label(context, a))))


def _label(context: _Context, anchor: str) -> str:
    """The label written for an anchor, if a link of the document needs it."""
    label = context.anchors.get(anchor, "")
    return label if label in context.labels else ""


def _left_out_note(images: list[str]) -> str:
    listed = "; ".join(images)
    return (
        ":::{note}\n"
        f"An image of the source is not in this draft: {listed}. Download it if its licence "
        "allows, put it in book/media/, and show it here with "
        "`![what it shows](../media/its-file.png)`.\n:::"
    )


def read(path: Path, data: bytes) -> Document:
    """Read a UTF-8 Markdown document; its front matter may give title and author."""
    return parse_markdown(path, decode_text(path, data), images_from=path.parent)
