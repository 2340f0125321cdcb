"""The web site's sidebar: the theme's navigation, resolved once per folder, marked per page.

sphinx-book-theme asks pydata-sphinx-theme for the whole book's navigation on every page:
Sphinx resolves the global toctree for the page (copying every document's table of
contents) and BeautifulSoup rewrites the result, which makes a site of N pages cost N²
(a 200-chapter book: three quarters of its HTML build). Yet with the tree expanded
(``collapse_navbar`` off, the theme's default) two pages of one folder get the same
navigation but for the marks of the page itself: the classes ``current`` (and the theme's
``active``) on its link and on every list and item above it, ``href="#"`` on its link,
and the disclosure widgets of those items open. So the theme's own function makes the
navigation once per folder for a page that is no document, and each page gets a copy
with its marks set on the start tags the theme writes them on; ``tests/test_navigation.py``
checks every page against the theme's own navigation.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sphinx import addnodes
from sphinx.builders.html import StandaloneHTMLBuilder

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder

#: The page a folder's navigation is made for: no document is current on it (docnames
#: never hold a NUL character), and every link from it is the link from the folder's pages.
NOBODY = "\x00classbook-navigation"
#: Elements that have no end tag in HTML.
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_CLASS = re.compile(r'\sclass="([^"]*)"')
_HREF = re.compile(r'\shref="[^"]*"')


@dataclass
class _Tag:
    """A start tag of the navigation: where it is, its parent tag, what it says."""

    name: str
    start: int
    end: int
    parent: int | None
    attrs: dict[str, str | None]
    children: list[int] = field(default_factory=list)


class _Outline(HTMLParser):
    """The start tags of an HTML fragment, with their offsets and their parents."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[_Tag] = []
        self._open: list[int] = []
        # getpos() counts lines at "\n" only (str.splitlines would also cut at U+2028 and
        # other breaks a title may hold).
        self._lines = [0]
        for line in html.split("\n"):
            self._lines.append(self._lines[-1] + len(line) + 1)
        self.html = html
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self.getpos()
        start = self._lines[line - 1] + column
        text = self.get_starttag_text() or ""
        if self.html[start : start + len(text)] != text:
            raise ValueError(f"start tag <{tag}> not found where the parser saw it")
        parent = self._open[-1] if self._open else None
        self.tags.append(_Tag(tag, start, start + len(text), parent, dict(attrs)))
        if parent is not None:
            self.tags[parent].children.append(len(self.tags) - 1)
        if tag not in VOID and not text.endswith("/>"):
            self._open.append(len(self.tags) - 1)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self.tags[self._open[depth]].name == tag:
                del self._open[depth:]
                return


@dataclass
class Navigation:
    """One folder's navigation as the theme writes it, and the links in it by address."""

    html: str
    tags: list[_Tag]
    links: dict[str, list[int]]

    @classmethod
    def parse(cls, html: str) -> Navigation:
        tags = _Outline(html).tags
        links: dict[str, list[int]] = {}
        for index, tag in enumerate(tags):
            if tag.name == "a" and tag.attrs.get("href"):
                links.setdefault(str(tag.attrs["href"]), []).append(index)
        return cls(html, tags, links)

    def for_page(self, href: str) -> str:
        """The navigation on the page its link ``href`` (from this folder) leads to."""
        edits: dict[int, str] = {}
        for link in self.links.get(href, []):
            # Sphinx marks the link and everything above it "current"; pydata adds
            # "active" to the items and opens the disclosure widget of each of them.
            edits[link] = _HREF.sub(' href="#"', self._classes(link, _before("reference")))
            above = self.tags[link].parent
            while above is not None:
                tag = self.tags[above]
                if tag.name == "li":
                    edits[above] = self._classes(above, _before("has-children", "active"))
                    for child in tag.children:
                        if self.tags[child].name == "details":
                            edits[child] = self._opened(child)
                elif tag.name == "ul":
                    edits[above] = self._classes(above, _before("nav"))
                above = tag.parent
        pieces, done = [], 0
        for index in sorted(edits, key=lambda i: self.tags[i].start):
            pieces += [self.html[done : self.tags[index].start], edits[index]]
            done = self.tags[index].end
        pieces.append(self.html[done:])
        return "".join(pieces)

    def _text(self, index: int) -> str:
        tag = self.tags[index]
        return self.html[tag.start : tag.end]

    def _classes(self, index: int, mark: Callable[[list[str]], list[str]]) -> str:
        text = self._text(index)
        found = _CLASS.search(text)
        if found is None:
            return f'{text[:-1]} class="{" ".join(mark([]))}">'
        classes = " ".join(mark(found.group(1).split()))
        return f"{text[: found.start(1)]}{classes}{text[found.end(1) :]}"

    def _opened(self, index: int) -> str:
        text = self._text(index)
        return text if "open" in self.tags[index].attrs else f'{text[:-1]} open="open">'


def _before(theirs: str, *ours: str) -> Callable[[list[str]], list[str]]:
    """Insert "current" (and ``ours``) where Sphinx's classes end: before the first of the
    theme's own classes (``theirs`` and what follows), or at the end."""

    def mark(classes: list[str]) -> list[str]:
        cut = classes.index(theirs) if theirs in classes else len(classes)
        return [*classes[:cut], "current", *ours, *classes[cut:]]

    return mark


def _memoisable(app: Sphinx) -> bool:
    builder = app.builder
    # The links of a folder's pages are alike only with the plain HTML builder's addresses.
    if not isinstance(builder, StandaloneHTMLBuilder):
        return False
    cls = type(builder)
    return (
        cls.get_target_uri is StandaloneHTMLBuilder.get_target_uri
        and cls.get_relative_uri is StandaloneHTMLBuilder.get_relative_uri
        and cls._get_local_toctree is StandaloneHTMLBuilder._get_local_toctree
    )


@dataclass
class _Memo:
    """What one builder's pages share: the book's toctrees and each folder's navigation."""

    #: How often each document is an entry of the toctrees, hidden ones too.
    entries: Counter[str]
    #: Whether a toctree sits inside an "only" block: Sphinx keeps or drops it by where
    #: the page's entry is, which one folder's navigation cannot follow.
    conditional: bool
    #: By folder and options; None: HTML the parser could not place.
    navigations: dict[tuple[str, tuple[tuple[str, Any], ...]], Navigation | None] = field(
        default_factory=dict
    )


_MEMOS: weakref.WeakKeyDictionary[Builder, _Memo] = weakref.WeakKeyDictionary()


def _memo(app: Sphinx) -> _Memo:
    if app.builder not in _MEMOS:
        includes = app.env.toctree_includes
        entries: Counter[str] = Counter()
        # Depth first, as Sphinx resolves them: a document inside itself is not followed.
        stack: list[tuple[str, frozenset[str]]] = [(app.config.root_doc, frozenset())]
        while stack:
            docname, above = stack.pop()
            for child in includes.get(docname, ()):
                if child not in above:
                    entries[child] += 1
                    stack.append((child, above | {child}))
        conditional = any(
            any(isinstance(parent, addnodes.only) for parent in _parents(toctree))
            for toc in app.env.tocs.values()
            for toctree in toc.findall(addnodes.toctree)
        )
        _MEMOS[app.builder] = _Memo(entries, conditional)
    return _MEMOS[app.builder]


def _parents(node: Any) -> Iterator[Any]:
    while (node := node.parent) is not None:
        yield node


def _folder_navigation(app: Sphinx, nobody: str, **options: Any) -> Navigation | None:
    """The navigation of the folder of ``nobody`` (a page that is no document)."""
    from pydata_sphinx_theme.toctree import add_toctree_functions

    navigations = _memo(app).navigations
    key = (posixpath.dirname(nobody), tuple(sorted(options.items())))
    if key not in navigations:
        builder: Any = app.builder
        context: dict[str, Any] = {"toctree": partial(builder._get_local_toctree, nobody)}
        add_toctree_functions(app, nobody, "page.html", context, None)
        html = str(context["generate_toctree_html"](kind="sidebar", startdepth=0, **options))
        try:
            navigations[key] = Navigation.parse(html)
        except ValueError:  # HTML this parser cannot place: the theme's way, page by page
            navigations[key] = None
    return navigations[key]


def sidebar_navigation(
    app: Sphinx,
    pagename: str,
    context: dict[str, Any],
    sphinx_toctree: Any,
    *,
    kind: str,
    startdepth: int,
    **options: Any,
) -> str:
    """The sidebar's navigation for ``pagename``: what the theme's
    ``generate_toctree_html(kind, startdepth, **options)`` returns."""
    theirs = partial(context["generate_toctree_html"], kind=kind, startdepth=startdepth)
    collapsed = options.get("collapse") or int(options.get("show_nav_level", 1)) < 1
    if (
        (kind, startdepth) != ("sidebar", 0)
        # Collapsed, a page's tree differs by more than its marks, and so it does when
        # "parts" at level 0 open for the current page: the theme's way, page by page.
        or collapsed
        or _memo(app).conditional
        # An extension gave the page links of its own (sphinx-notfound-page: 404.html).
        or context.get("toctree") is not sphinx_toctree
    ):
        return str(theirs(**options))
    nobody = posixpath.join(posixpath.dirname(pagename), NOBODY)
    navigation = _folder_navigation(app, nobody, **options)
    href = app.builder.get_relative_uri(nobody, pagename)
    # None, or an entry for the page deeper than the navigation shows: Sphinx still marks
    # the items above it, which the shown tree cannot tell.
    if navigation is None or len(navigation.links.get(href, [])) != _memo(app).entries[pagename]:
        return str(theirs(**options))
    return navigation.for_page(href)


def add_navigation(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Give the sidebar template (``templates/sbt-sidebar-nav.html``) its function."""
    if not _memoisable(app):
        return  # the template calls the theme's own function
    # Run first (priority 1): the toctree helper here is still the builder's own.
    sphinx_toctree = context.get("toctree")

    # A function, not a partial: the serialising builders drop functions from the context.
    def navigation(**options: Any) -> str:
        return sidebar_navigation(app, pagename, context, sphinx_toctree, **options)

    context["classbook_sidebar_navigation"] = navigation


def setup(app: Sphinx) -> None:
    """Connect the sidebar's navigation (called from classbook's own ``setup``)."""
    app.connect("html-page-context", add_navigation, priority=1)
