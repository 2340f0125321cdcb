"""Lay a cartridge out as package files: one folder per learning object, files apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from classbook.cartridge import html, manifest, qti, siteurl, topic, weblink, xmlout
from classbook.cartridge.manifest import Node, Resource
from classbook.cartridge.model import (
    Cartridge,
    Discussion,
    EssayQuiz,
    File,
    Item,
    Module,
    Page,
    Part,
    WebLink,
)
from classbook.cartridge.profiles import Profile

#: The manifest's name; the zip writer puts it first.
MANIFEST = "imsmanifest.xml"
#: Where copied files and pages live: never inside a learning object's folder (CC 1.x §1.4).
FILES = "web_resources"


@dataclass
class _Layout:
    profile: Profile
    cartridge: Cartridge
    base_url: str
    setting: str
    files: dict[str, bytes] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)

    def url(self, href: str) -> str:
        return siteurl.absolute(self.base_url, href, self.setting)

    def add(self, path: str, data: bytes) -> None:
        if path in self.files:
            raise ValueError(f"cartridge: two items are both named {path!r} in the package")
        self.files[path] = data

    def learning_object(self, rid: str, kind: str, name: str, data: bytes) -> str:
        # Web links, topics and assessments: exactly one file, in a folder of their own,
        # and no href (the CC profile's Schematron rules).
        path = f"{rid}/{name}"
        self.add(path, data)
        self.resources.append(Resource(rid, kind, (path,)))
        return rid

    def content(self, rid: str, path: str, data: bytes, intended_use: str | None = None) -> str:
        # Content launched from an item: href and a <file> naming the same path.
        self.add(path, data)
        # A use this CC version does not know is left out rather than written invalid.
        use = intended_use if intended_use in self.profile.intended_uses else None
        self.resources.append(Resource(rid, "webcontent", (path,), path, use))
        return rid

    def item(self, module: Module, index: int, item: Item) -> Node:
        rid = f"R_{module.key}_{index}"
        folder = f"{FILES}/{module.key}"
        language, direction = self.cartridge.language, self.cartridge.direction
        match item:
            case WebLink(title=title, href=href):
                data = weblink.weblink(self.profile, title, self.url(href))
                ref = self.learning_object(rid, self.profile.type_weblink, "weblink.xml", data)
            case File(title=title, source=source):
                ref = self.content(rid, f"{folder}/{item.package_name}", source.read_bytes())
            case Page(title=title, body=body, name=name, intended_use=use):
                data = html.page(title, body, self.base_url, language=language, direction=direction)
                ref = self.content(rid, f"{folder}/{name}", data, use)
            case Discussion(title=title):
                url = self.url(item.href)
                text = html.topic_text(
                    item.intro,
                    item.questions,
                    url,
                    item.link_text,
                    language=language,
                    direction=direction,
                )
                data = topic.topic(self.profile, title, text)
                ref = self.learning_object(rid, self.profile.type_topic, "topic.xml", data)
            case EssayQuiz(title=title, questions=questions):
                prompts = [
                    (
                        f"Q_{module.key}_{index}_{n}",
                        f"{title} {n}",
                        html.prompt(q, language, direction),
                    )
                    for n, q in enumerate(questions, 1)
                ]
                data = qti.assessment(self.profile, f"A_{module.key}_{index}", title, prompts)
                ref = self.learning_object(rid, self.profile.type_quiz, "assessment.xml", data)
            case _:
                raise TypeError(f"cartridge: {type(item).__name__} is not an item a module holds")
        return _node(f"I_{module.key}_{index}", title, ref)

    def module(self, module: Module) -> Node:
        leaves = tuple(self.item(module, n, item) for n, item in enumerate(module.items, 1))
        return _node(f"M_{module.key}", module.title, children=leaves)

    def entry(self, entry: Part | Module) -> Node:
        if isinstance(entry, Module):
            return self.module(entry)
        modules = tuple(self.module(module) for module in entry.modules)
        return _node(f"P_{entry.key}", entry.title, children=modules)


def _node(identifier: str, title: str, ref: str | None = None, children: tuple = ()) -> Node:
    # Every item but the organization's root needs a title an LMS can show.
    if not xmlout.line(title):
        raise ValueError(f"cartridge: {identifier} has an empty title")
    return Node(identifier, title, ref, children)


def package_files(
    cartridge: Cartridge, profile: Profile, base_url: str | None, setting: str = "html_baseurl"
) -> dict[str, bytes]:
    """Every file of the package by its path, the manifest included; the web links are
    made from ``base_url`` (``setting`` names it in the error when it is a placeholder)."""
    layout = _Layout(profile, cartridge, siteurl.check_base_url(base_url, setting), setting)
    tree = tuple(layout.entry(entry) for entry in cartridge.contents)
    layout.files[MANIFEST] = manifest.manifest(profile, cartridge, tree, tuple(layout.resources))
    return layout.files
