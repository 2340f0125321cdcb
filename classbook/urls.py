"""The one allow-list of URL schemes for every link the book writes.

A link in a chapter, a BibTeX entry, a data file or a teacher's assignment ends up as an
``href`` in the web site, the EPUB and the PDFs. Only these may: ``https``, ``http`` and
``mailto`` addresses, and the book's own pages (a path or a ``#fragment``, no scheme).
``javascript:``, ``data:``, ``file:`` and every other scheme are refused wherever a link is
written, by :func:`allowed`.
"""

from __future__ import annotations

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
