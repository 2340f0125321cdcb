"""Classbook: a Sphinx extension that turns a source document into a classroom book."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

from classbook._version import __version__

__all__ = ["__version__", "setup"]


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the extension (``extensions = ["classbook"]``): classbook.extension.

    Imported only when Sphinx loads it: the render workers import ``classbook.render``,
    and without Sphinx and the extensions each of them is about 30 MB smaller.
    """
    from classbook import extension

    return extension.setup(app)
