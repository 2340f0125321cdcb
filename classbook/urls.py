"""The one allow-list of URL schemes for every link the book writes.

A link in a chapter, a BibTeX entry, a data file or a teacher's assignment ends up as an
``href`` in the web site, the EPUB and the PDFs. Only these may: ``https``, ``http`` and
``mailto`` addresses, and the book's own pages (a path or a ``#fragment``, no scheme).
``javascript:``, ``data:``, ``file:`` and every other scheme are refused wherever a link is
written, by :func:`allowed`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

#: Schemes a link may use; a link without a scheme is one of the book's own pages.
SCHEMES = frozenset({"https", "http", "mailto"})
#: What the messages call the allowed links.
ALLOWED = "https://, http:// or mailto: addresses, or a page of the book"


def scheme(uri: str) -> str:
    """The URI's scheme in lower case ('' for a relative path or fragment); ``//host``
    counts as http (a browser fetches it from another host)."""
    # Browsers drop control characters and spaces before they read a scheme
    # ("java\tscript:" is javascript:): so do we.
    text = "".join(ch for ch in uri if ch > " " and ch != "\x7f")
    if text.startswith(("//", "\\\\", "/\\", "\\/")):
        return "http"
    try:
        found = urlsplit(text).scheme.lower()
    except ValueError:  # an unparsable address is refused as one of unknown scheme
        return "?"
    return "" if len(found) == 1 and text[1:2] == ":" and text[2:3] in "\\/" else found


def allowed(uri: str) -> bool:
    """Whether a link to ``uri`` may be written into an output."""
    return scheme(uri) in SCHEMES | {""}


def remote(uri: str) -> bool:
    """Whether ``uri`` names something on another host (never fetched by the build)."""
    return scheme(uri) != ""


# -- The book's own address --------------------------------------------------------------

#: Hosts that are nobody's site (RFC 2606, RFC 6761): an address on them is a placeholder.
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net", "example.edu")
PLACEHOLDER_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")


def is_placeholder(address: str) -> bool:
    """Whether ``address`` is no real site: empty, not http(s), on an example or test
    domain, on this machine or a private address."""
    parts = urlsplit(address.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in {"https", "http"} or not host:
        return True
    if host == "localhost" or any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS):
        return True
    if host.endswith(PLACEHOLDER_SUFFIXES):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def site_address(given: str = "", environ: Mapping[str, str] = os.environ) -> str:
    """The address the book's web site is published at, ending in ``/``: ``given`` (conf.py),
    else what the host building it says (Read the Docs' ``READTHEDOCS_CANONICAL_URL``, or the
    GitHub Pages site of ``GITHUB_REPOSITORY``); "" when none is known. A placeholder is
    never an address: no QR code or printed link may lead nowhere."""
    for candidate in (
        given,
        environ.get("READTHEDOCS_CANONICAL_URL", ""),
        _github_pages(environ.get("GITHUB_REPOSITORY", "")),
    ):
        if candidate and not is_placeholder(candidate):
            return candidate.rstrip("/") + "/"
    return ""


def _github_pages(repository: str) -> str:
    """``https://owner.github.io/repo/`` for ``owner/repo``: where the Pages workflow
    publishes a project site (``owner.github.io`` itself is published at the root)."""
    owner, _, name = repository.partition("/")
    if not owner or not name:
        return ""
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"
