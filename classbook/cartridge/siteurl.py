"""The published site's address: every web link of a cartridge is made from it, or refused."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit

#: Hosts reserved for examples and tests (RFC 2606, RFC 6761) and this machine: a
#: cartridge linking there would send every student to a page that does not exist.
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net", "example.edu")
PLACEHOLDER_SUFFIXES = ("example", "test", "invalid", "localhost", "local", "localdomain")


class SiteURLError(ValueError):
    """The base URL is missing, not http(s), or names a placeholder host."""


def placeholder_host(host: str) -> bool:
    """Whether ``host`` is a documentation, test or loopback name rather than a real site."""
    host = host.lower().rstrip(".")
    if not host or host in PLACEHOLDER_SUFFIXES:
        return True
    if any(host == name or host.endswith("." + name) for name in PLACEHOLDER_DOMAINS):
        return True
    if host.rsplit(".", 1)[-1] in PLACEHOLDER_SUFFIXES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def check_base_url(base_url: str | None, setting: str = "html_baseurl") -> str:
    """``base_url`` ending in ``/`` if the site lives there; else :class:`SiteURLError`
    naming ``setting``, the configuration value the address comes from."""
    hint = f"set {setting} to the address the book is published at"
    if not base_url or not base_url.strip():
        raise SiteURLError(
            f"cartridge: {setting} is not set, so there is nothing to link to; {hint}"
        )
    parts = urlsplit(base_url.strip())
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise SiteURLError(
            f"cartridge: {setting} = {base_url!r} is not an http(s) address of a site; {hint}"
        )
    if placeholder_host(parts.hostname):
        raise SiteURLError(
            f"cartridge: refusing to build: {setting} = {base_url!r} would point every web "
            f"link at the placeholder host {parts.hostname!r}; {hint}"
        )
    url = base_url.strip()
    return url if url.endswith("/") else url + "/"


def absolute(base_url: str, href: str, setting: str = "html_baseurl") -> str:
    """``href`` made absolute against the checked ``base_url``; an absolute ``href`` to a
    placeholder host or another scheme is refused as the base URL would be."""
    url = urljoin(base_url, href)
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or placeholder_host(parts.hostname or ""):
        raise SiteURLError(
            f"cartridge: refusing to build: the link {href!r} resolves to {url!r}, "
            f"not a page of a published site (check {setting} and the link)"
        )
    return url
