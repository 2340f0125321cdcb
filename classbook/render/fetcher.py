"""The renderer's URL fetcher: ``data:`` URLs and files inside the build's folders, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from classbook.gate import Gate


def make_fetcher(roots: Sequence[Path], served: list[str] | None = None) -> Any:
    """A URL fetcher that serves only ``data:`` URLs and files inside ``roots``.

    Content may come from contributors: a chapter must not pull ``/etc/passwd`` or any
    network resource into a PDF. Every file served is appended to ``served``: the render
    cache keys a PDF by their bytes too (an edited image keeps its name).
    """
    from weasyprint.urls import URLFetcher  # heavy import, workers only

    # The book's one gate (classbook.gate), over the folders this render may read.
    gate = Gate(roots[0].resolve(), tuple(root.resolve() for root in roots[1:]))

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> object:
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = gate.inside(unquote(parts.path))
                if path is None:
                    raise ValueError(f"refused {url}: outside the build and static folders")
                if served is not None:
                    served.append(str(path))
            elif parts.scheme != "data":
                raise ValueError(f"refused {url}: only files inside the build are fetched")
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)
