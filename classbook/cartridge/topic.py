"""A discussion topic resource (imsdt): its title and its text as HTML."""

from __future__ import annotations

from lxml.builder import ElementMaker

from classbook.cartridge import xmlout
from classbook.cartridge.profiles import XSI, Profile


def topic(profile: Profile, title: str, html: str) -> bytes:
    """The topic document: ``html`` is stored as text (the CC binding escapes it once)."""
    maker = ElementMaker(namespace=profile.topic, nsmap={None: profile.topic, "xsi": XSI})
    root = maker.topic(maker.title(xmlout.line(title)), maker.text(html, texttype="text/html"))
    root.set(f"{{{XSI}}}schemaLocation", profile.location(profile.topic))
    return xmlout.document(root)
