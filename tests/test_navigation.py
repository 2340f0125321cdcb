"""The web site's sidebar navigation, made once per folder, is the theme's own on every page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sphinx

from classbook.builders import navigation
from classbook.extension import TEMPLATES

#: A book with parts (captions), nesting three deep, pages in folders and beside the root,
#: a hidden toctree, an external link, sections (the sidebar shows titles only) and a page
#: in two toctrees.
PAGES = {
    "index": (
        "# The book\n\n"
        "```{toctree}\n:caption: Part one\n\nchapters/one\nchapters/two\n```\n\n"
        "```{toctree}\n:caption: Part two\n\nback/notes\nhttps://example.org/\nlone\n```\n\n"
        "```{toctree}\n:hidden:\n\nextra\n```\n"
    ),
    "chapters/one": "# One\n\n## A section of one\n\nText.\n",
    "chapters/two": (
        "# Two\n\n```{toctree}\n\ntwo/a\ntwo/b\n```\n\n## A section of two\n\nText.\n"
    ),
    "chapters/two/a": "# Two A\n\nText.\n",
    "chapters/two/b": "# Two B\n\n```{toctree}\n\ndeep/c\n../one\n```\n",
    "chapters/two/deep/c": "# Deep C & more\n\n## Its section\n\nText.\n",
    "back/notes": "# Notes\n\nText.\n",
    # A line separator in a title: HTML's lines end at "\n" only.
    "lone": "# Lone\u2028page\n\nText.\n",
    "extra": "# Extra\n\nText.\n",
}

CONF = """
extensions = ["myst_parser", "classbook.builders.navigation"]
html_theme = "sphinx_book_theme"
html_theme_options = {options!r}
templates_path = [{templates!r}]
suppress_warnings = ["toc.not_included"]

def _probe(app, pagename, templatename, context, doctree):
    if "classbook_sidebar_navigation" not in context:
        return
    options = dict(
        maxdepth=int(context["theme_max_navbar_depth"]),
        collapse=str(context["theme_collapse_navbar"]).lower() in ("true", "1"),
        includehidden=True,
        titles_only=True,
        show_nav_level=int(context["theme_show_navbar_depth"]),
    )
    theirs = str(context["generate_toctree_html"](kind="sidebar", startdepth=0, **options))
    ours = context["classbook_sidebar_navigation"](kind="sidebar", startdepth=0, **options)
    with open({probe!r}, "a", encoding="utf-8") as out:
        out.write(json.dumps({{"page": pagename, "theirs": theirs, "ours": ours}}) + "\\n")

import json

def setup(app):
    app.connect("html-page-context", _probe, priority=900)
"""


def _site(
    tmp_path: Path, options: dict, *, pages: dict[str, str] = PAGES, builder: str = "html"
) -> tuple[Path, list[dict]]:
    source = tmp_path / "src"
    for name, text in pages.items():
        page = source / f"{name}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(text, encoding="utf-8")
    probe = tmp_path / "probe.jsonl"
    conf = CONF.format(options=options, templates=str(TEMPLATES), probe=str(probe))
    (source / "conf.py").write_text(conf, encoding="utf-8")
    out = tmp_path / builder
    assert sphinx(builder, source, out, extra=("-E",)) == 0
    if not probe.exists():
        return out, []
    return out, [json.loads(line) for line in probe.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"show_navbar_depth": 2},
        {"max_navbar_depth": 2},
        {"home_page_in_toc": True, "show_navbar_depth": 3},
        {"collapse_navbar": True},
        {"show_navbar_depth": 0},
    ],
    ids=["defaults", "open-two-levels", "two-levels-deep", "home-link", "collapsed", "parts"],
)
def test_every_page_gets_the_themes_own_navigation(tmp_path: Path, options: dict) -> None:
    out, probes = _site(tmp_path, options)
    pages = {probe["page"] for probe in probes}
    assert set(PAGES) <= pages and {"genindex", "search"} <= pages
    for probe in probes:
        assert probe["ours"] == probe["theirs"], probe["page"]
        # And it is what the page's sidebar shows (the template calls our function).
        page = (out / f"{probe['page']}.html").read_text(encoding="utf-8")
        assert probe["ours"] in page, probe["page"]
    deep = next(probe for probe in probes if probe["page"] == "chapters/two/deep/c")
    # The page's own link and the items above it are marked: this is not a neutral tree
    # (two levels deep, the page itself is not shown but the two items above it are).
    shown = not options.get("max_navbar_depth")
    assert deep["ours"].count("current active") == (3 if shown else 2)
    assert ('href="#"' in deep["ours"]) is shown


def test_a_folder_s_navigation_is_made_once(tmp_path: Path, monkeypatch) -> None:
    made: list[str] = []
    marked: list[str] = []
    parse, for_page = navigation.Navigation.parse, navigation.Navigation.for_page

    def counting(html: str) -> navigation.Navigation:
        made.append(html)
        return parse(html)

    def marking(self: navigation.Navigation, href: str) -> str:
        marked.append(href)
        return for_page(self, href)

    monkeypatch.setattr(navigation.Navigation, "parse", staticmethod(counting))
    monkeypatch.setattr(navigation.Navigation, "for_page", marking)
    _, probes = _site(tmp_path, {})
    # One per folder of pages ("", chapters, chapters/two, chapters/two/deep, back), not
    # one per page (nine pages, and genindex and search); and every page is marked from
    # it three times: pydata renders the sidebar once to see whether it is empty, then the
    # page, then the test's probe asks.
    assert len(made) == 5
    assert len(marked) == 3 * len(probes) == 3 * (len(PAGES) + 2)


def test_a_toctree_inside_only_gets_the_themes_own_navigation(tmp_path: Path, monkeypatch) -> None:
    made: list[str] = []
    monkeypatch.setattr(navigation.Navigation, "parse", staticmethod(made.append))
    pages = dict(PAGES)
    pages["chapters/two/b"] = "# Two B\n\n````{only} html\n```{toctree}\n\ndeep/c\n```\n````\n"
    _, probes = _site(tmp_path, {}, pages=pages)
    assert probes and all(probe["ours"] == probe["theirs"] for probe in probes)
    assert not made  # Sphinx keeps or drops that toctree page by page: no folder's memo
