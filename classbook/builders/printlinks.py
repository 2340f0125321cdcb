"""Print writes a link's address once: not again after words that are the address."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from classbook.outputs import BUILDERS, HANDOUTS, PACKETS, PDF

#: The class print.css reads: a link whose words already show its address.
SHOWN = "address-shown"


def _bare(address: str) -> str:
    """An address as a reader compares it: no scheme, no ``www.``, no trailing slash."""
    bare = address.strip().split("://", 1)[-1].removeprefix("mailto:")
    return bare.removeprefix("www.").rstrip("/").casefold()


class AddressShown(SphinxPostTransform):
    """Mark each external link whose words are its address. Paper cannot be clicked, so
    print.css prints every external address after its link; a link that reads
    ``http://example.org/`` would otherwise print it twice."""

    builders = (BUILDERS[PDF], BUILDERS[HANDOUTS], BUILDERS[PACKETS])
    default_priority = 900

    def run(self, **kwargs: Any) -> None:
        for link in self.document.findall(nodes.reference):
            address = link.get("refuri", "")
            if "://" in address and _bare(link.astext()) == _bare(address):
                link["classes"].append(SHOWN)
