"""A web link resource (imswl): a title and the address it opens."""

from __future__ import annotations

from lxml.builder import ElementMaker

from classbook.cartridge import xmlout
from classbook.cartridge.profiles import XSI, Profile


def weblink(profile: Profile, title: str, url: str) -> bytes:
    """The web link document for ``url``; it opens in a new window, as the LMS page stays."""
    maker = ElementMaker(namespace=profile.weblink, nsmap={None: profile.weblink, "xsi": XSI})
    root = maker.webLink(
        maker.title(xmlout.line(title)),
        maker.url(href=url, target="_blank"),
    )
    root.set(f"{{{XSI}}}schemaLocation", profile.location(profile.weblink))
    return xmlout.document(root)
