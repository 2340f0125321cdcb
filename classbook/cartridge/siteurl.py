"""The published site's address: every web link of a cartridge is made from it, or refused."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from classbook import urls


class SiteURLError(ValueError):
    """The base URL is missing, not http(s), or names a placeholder host."""


def placeholder_host(host: str) -> bool:
    """Whether ``host`` is a documentation, test, private or loopback name rather than a
    real site: the one judgement of :func:`classbook.urls.is_placeholder`, so a cartridge
    links where the site's address (QR codes, printed links) would, and nowhere else."""
    host = host.strip().strip("[]")
    return urls.is_placeholder(f"https://[{host}]/" if ":" in host else f"https://{host}/")


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
