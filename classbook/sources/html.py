"""Raw HTML inside Markdown: what has a Markdown or MyST form is converted, the rest refused."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

#: A tag or a comment, as CommonMark recognises raw HTML.
TAG = re.compile(
    r"<!--.*?-->"
    r"|<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:[^\"'=<>`\s]+|'[^']*'|\"[^\"]*\"))?)*)\s*(?P<void>/?)>",
    re.S,
)
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")

VOID = frozenset({"br", "img", "hr", "input", "source", "wbr", "meta", "link", "col", "area"})
#: Elements whose text is their content (the element itself has no Markdown form).
BLOCK_WRAPPERS = frozenset(
    {
        *("div", "p", "center", "section", "article", "aside", "header", "footer", "main"),
        *("nav", "figure", "figcaption", "details", "blockquote", "dl", "dt", "dd", "address"),
        *("hgroup", "listing"),
    }
)
INLINE_WRAPPERS = frozenset(
    {
        *("span", "font", "small", "big", "u", "ins", "mark", "cite", "q", "dfn", "time"),
        *("var", "samp", "s", "del", "strike", "label", "bdi", "bdo", "data", "nobr", "picture"),
    }
)
#: Elements with a MyST role of the same meaning.
ROLES = {"sup": "sup", "sub": "sub", "kbd": "kbd"}
EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
#: Known HTML that no Markdown, MyST or safe output can carry: refused by name.
REFUSED = frozenset(
    {
        *("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"),
        *("script", "style", "iframe", "frame", "frameset", "object", "embed", "video"),
        *("audio", "canvas", "svg", "math", "form", "select", "option", "textarea", "button"),
        *("map", "noscript", "template", "base", "track", "param", "portal", "dialog"),
    }
)
DROPPED = frozenset({"source", "wbr", "input", "meta", "link", "col", "area"})
HANDLED = frozenset(
    {"br", "img", "hr", "a", "code", "tt", "abbr", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"summary", "ul", "ol", "li", "pre"}
)
KNOWN = BLOCK_WRAPPERS | INLINE_WRAPPERS | set(ROLES) | set(EMPHASIS) | REFUSED | DROPPED | HANDLED


class HtmlRefusedError(ValueError):
    """An HTML element with no Markdown or MyST equivalent, at ``offset`` in the text."""

    def __init__(self, element: str, offset: int, why: str) -> None:
        self.element, self.offset = element, offset
        super().__init__(why)


@dataclass
class _Element:
    name: str
    attrs: dict[str, str]
    offset: int
    source: str
    children: list[_Element | str] = field(default_factory=list)


@dataclass
class Converted:
    """Markdown for an HTML-bearing text, with the targets its anchors named."""

    markdown: str
    targets: list[str] = field(default_factory=list)
    #: Each element converted, by name ("img", "a", …), and each dropped (a checkbox).
    converted: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


def attributes(text: str) -> dict[str, str]:
    """An HTML tag's attributes, values unescaped."""
    found = {}
    for match in _ATTR.finditer(text):
        value = next((v for v in match.groups()[1:] if v is not None), "")
        found[match.group(1).lower()] = html.unescape(value)
    return found


def _tree(text: str) -> list[_Element | str]:
    """The text as a forest of elements (an unclosed element ends with the text; a stray
    closing tag is left out)."""
    root = _Element("", {}, 0, "")
    stack = [root]
    position = 0
    for match in TAG.finditer(text):
        if match.start() > position:
            stack[-1].children.append(text[position : match.start()])
        position = match.end()
        source = match.group(0)
        if source.startswith("<!--"):
            continue
        name = match.group("name").lower()
        if match.group("close"):
            depth = next((i for i in range(len(stack) - 1, 0, -1) if stack[i].name == name), None)
            if depth is not None:
                del stack[depth:]
            elif name not in KNOWN:
                stack[-1].children.append(source)  # "</dev>": text, not a tag
            continue
        element = _Element(name, attributes(match.group("attrs")), match.start(), source)
        stack[-1].children.append(element)
        if name not in VOID and not match.group("void") and name in KNOWN:
            stack.append(element)
    if position < len(text):
        stack[-1].children.append(text[position:])
    return root.children


_SIMPLE = re.compile(r"^[^`*_\[\]<>\n\\{}]+$")


class _Writer:
    def __init__(self, block: bool, table: bool) -> None:
        self.block, self.table = block, table
        self.result = Converted("")

    def write(self, nodes: list[_Element | str]) -> str:
        return "".join(n if isinstance(n, str) else self.element(n) for n in nodes)

    def element(self, node: _Element) -> str:
        name = node.name
        if name not in KNOWN:  # not HTML ("<pid>", "<T>"): the author's text, kept visible
            return re.sub(r"([<>])", r"\\\1", node.source) + self.write(node.children)
        if name in REFUSED:
            raise HtmlRefusedError(name, node.offset, f"<{name}> has no Markdown or MyST form")
        self.result.converted[name] += 1
        inner = self.write(node.children)
        if name in DROPPED:
            self.result.dropped[name] += name == "input"
            return ""
        if name == "listing":  # mdBook's <Listing>: its file name and caption are text
            inner = _listing(node.attrs) + inner
        if name in BLOCK_WRAPPERS or name in {"ul", "ol", "pre"}:
            return f"\n\n{inner.strip()}\n\n" if self.block else f" {inner.strip()} "
        if name in INLINE_WRAPPERS:
            return inner
        return self.special(node, inner)

    def special(self, node: _Element, inner: str) -> str:  # noqa: PLR0911
        name, attrs = node.name, node.attrs
        if name == "br":
            return " " if self.table else "\\\n"
        if name == "hr":
            return "\n\n" if self.block else " "
        if name == "img":
            alt = attrs.get("alt", "").replace("\n", " ")
            alt = re.sub(r"([\[\]\\])", r"\\\1", " ".join(alt.split()))
            return f"![{alt}]({_destination(attrs.get('src', ''))})" if attrs.get("src") else ""
        if name == "a":
            for key in ("id", "name"):
                if attrs.get(key):
                    self.result.targets.append(attrs[key])
            href = attrs.get("href", "")
            return f"[{inner.strip()}]({_destination(href)})" if href and inner.strip() else inner
        if name in {"code", "tt"}:
            return _code(html.unescape(inner)) if inner.strip() else inner
        if name in ROLES or name == "abbr":
            return _role(name, inner, attrs.get("title", ""))
        if name in EMPHASIS:
            mark = EMPHASIS[name]
            return f"{mark}{inner}{mark}" if inner.strip() == inner and inner else inner
        if name == "li":
            return f"\n- {inner.strip()}" if self.block else f" {inner.strip()} "
        # h1-h6 and <summary>: a paragraph of their own, in bold.
        text = " ".join(inner.split())
        return f"\n\n**{text}**\n\n" if self.block and text else text


def _listing(attrs: dict[str, str]) -> str:
    """The words mdBook prints with a listing: "Filename: src/main.rs", "Listing 4-1: …"."""
    lines = []
    if attrs.get("file-name"):
        lines.append(f"Filename: {_code(attrs['file-name'])}")
    if attrs.get("caption"):
        number = f" {attrs['number']}" if attrs.get("number") else ""
        lines.append(f"Listing{number}: {attrs['caption']}")
    return "".join(f"\n\n{line}\n\n" for line in lines)


def _role(name: str, inner: str, title: str) -> str:
    if not _SIMPLE.match(inner):
        return inner  # a role holds plain text only: the words are kept, the look is not
    if name == "abbr":
        return f"{{abbr}}`{inner} ({title})`" if title and _SIMPLE.match(title) else inner
    return f"{{{ROLES[name]}}}`{inner}`"


def _code(text: str) -> str:
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _destination(url: str) -> str:
    url = url.strip()
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def convert(text: str, *, block: bool, table: bool = False) -> Converted:
    """Markdown for ``text`` with its HTML converted; ``block``: the text is an HTML block
    (block elements become paragraphs, indentation is dropped so nothing becomes code)."""
    writer = _Writer(block, table)
    markdown = writer.write(_tree(text))
    if block:
        markdown = "\n".join(line.strip() for line in markdown.splitlines())
        markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip("\n")
    writer.result.markdown = markdown
    return writer.result
