"""The HTML a cartridge carries (topic text, pages, quiz prompts), built as lxml trees."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

import lxml.html
from lxml.html import HtmlElement

from classbook import urls
from classbook.cartridge import xmlout

#: Elements whose content never reaches a reader: dropped with everything inside them.
_DROPPED = frozenset({"script", "style", "iframe", "object", "embed", "form", "base", "meta"})
_LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "cite")


def _link(value: str, base_url: str) -> str | None:
    """A link's new value: refused schemes dropped (None), the book's own pages made
    absolute, since a relative link would resolve against the LMS's page instead."""
    if not urls.allowed(value):
        return None
    if urls.remote(value) or value.startswith("#"):
        return value
    return urljoin(base_url, value)


def _clean(element: HtmlElement, base_url: str) -> None:
    """Drop what an LMS would run or fetch (scripts, handlers, unsafe links) from a tree."""
    for child in list(element.iter()):
        if not isinstance(child.tag, str) or child.tag.lower() in _DROPPED:
            if child is not element and child.getparent() is not None:
                child.drop_tree()
            continue
        for name in list(child.attrib):
            low = name.lower()
            link = _link(child.attrib[name], base_url) if low in _LINK_ATTRIBUTES else ""
            if low.startswith("on") or low in {"style", "srcdoc"} or link is None:
                del child.attrib[name]
            elif link:
                child.attrib[name] = link


def fragment(markup: str, base_url: str = "") -> list[HtmlElement]:
    """The elements of an HTML fragment, cleaned, links relative to ``base_url`` made
    absolute (kept relative without one); loose text is wrapped in a paragraph."""
    if not markup.strip():
        return []
    wrapper = lxml.html.fragment_fromstring(xmlout.text(markup), create_parent="div")
    _clean(wrapper, base_url)
    if wrapper.text and wrapper.text.strip():
        paragraph = lxml.html.Element("p")
        paragraph.text, wrapper.text = wrapper.text, None
        wrapper.insert(0, paragraph)
    return list(wrapper)


def _block(language: str, direction: str) -> HtmlElement:
    block = lxml.html.Element("div", {"lang": language})
    if direction == "rtl":
        block.set("dir", "rtl")
    return block


def _sub(parent: HtmlElement, tag: str, text: str = "", **attributes: str) -> HtmlElement:
    element = lxml.html.Element(tag, attributes)
    parent.append(element)
    if text:
        element.text = xmlout.text(text)
    return element


def serialise(element: HtmlElement) -> str:
    """``element`` as HTML text, to be stored as the text of an XML element."""
    return lxml.html.tostring(element, encoding="unicode", method="html")


def topic_text(
    intro: str, questions: Iterable[str], url: str, link_text: str, *, language: str, direction: str
) -> str:
    """A discussion topic's body: the questions as a list, then a link to their page."""
    block = _block(language, direction)
    if intro:
        _sub(block, "p", intro)
    items = _sub(block, "ol")
    for question in questions:
        _sub(items, "li", question)
    _sub(_sub(block, "p"), "a", link_text, href=url)
    return serialise(block)


def prompt(question: str, language: str, direction: str) -> str:
    """One quiz question's prompt as HTML."""
    block = _block(language, direction)
    _sub(block, "p", question)
    return serialise(block)


def page(title: str, body: str, base_url: str, *, language: str, direction: str) -> bytes:
    """A whole HTML page: ``title`` as its heading, then the cleaned ``body`` fragment."""
    root = lxml.html.Element("html", {"lang": language})
    if direction == "rtl":
        root.set("dir", "rtl")
    head = _sub(root, "head")
    _sub(head, "meta", charset="utf-8")
    _sub(head, "title", xmlout.line(title))
    content = _sub(root, "body")
    _sub(content, "h1", xmlout.line(title))
    for element in fragment(body, base_url):
        content.append(element)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="UTF-8", method="html")


def element(tag: str, text: str = "", *children: HtmlElement, **attributes: str) -> HtmlElement:
    """A new HTML element with escaped ``text`` and ``children``."""
    made = lxml.html.Element(tag, attributes)
    if text:
        made.text = xmlout.text(text)
    for child in children:
        made.append(child)
    return made
