"""The cartridge's metadata (IEEE LOM, CC profile): title, language, authors, licence."""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from classbook.cartridge import xmlout
from classbook.cartridge.model import Cartridge
from classbook.cartridge.profiles import Profile


def vcard(name: str) -> str:
    """A vCard 3.0 naming ``name``: LOM entities are vCards (commas and semicolons escaped)."""
    value = xmlout.line(name)
    for char in "\\,;":
        value = value.replace(char, "\\" + char)
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{value}\nEND:VCARD"


def lom(profile: Profile, cartridge: Cartridge) -> etree._Element:
    """The manifest's <lom> element for ``cartridge`` in ``profile``'s LOM binding."""
    m = ElementMaker(namespace=profile.lom_manifest)
    language = cartridge.language

    def langstring(value: str, *, lang: str | None = language) -> etree._Element:
        string = m.string(xmlout.text(value))
        if lang:
            string.set("language", lang)
        return string

    def vocabulary(value: str) -> list[etree._Element]:
        # The 1.1 binding holds the value alone; the 1.3 one names its vocabulary.
        return [m.source("LOMv1.0"), m.value(value)] if profile.lom_sources else [m.value(value)]

    def contribute(role: str, entities: tuple[str, ...]) -> etree._Element:
        return m.contribute(
            m.role(*vocabulary(role)),
            *(m.entity(vcard(name)) for name in entities),
            m.date(m.dateTime(cartridge.date.isoformat())),
        )

    description = cartridge.description
    if not profile.lom_version:
        description = f"{description} ({cartridge.version}, {cartridge.date.isoformat()})".strip()
    life_cycle = m.lifeCycle()
    if profile.lom_version:
        life_cycle.append(m.version(langstring(cartridge.version, lang=None)))
    if cartridge.authors:
        life_cycle.append(contribute("author", cartridge.authors))
    if cartridge.publisher:
        life_cycle.append(contribute("publisher", (cartridge.publisher,)))
    return m.lom(
        m.general(
            m.title(langstring(xmlout.line(cartridge.title))),
            m.language(language),
            m.description(langstring(description)),
        ),
        life_cycle,
        m.rights(
            m.copyrightAndOtherRestrictions(*vocabulary("yes")),
            m.description(langstring(f"{cartridge.licence}: {cartridge.licence_url}")),
        ),
    )
