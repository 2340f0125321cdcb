"""Fact-check markup on the web: schema.org ``ClaimReview`` JSON-LD for each chapter's claims.

Search engines read this markup to show fact-checks. Each editor's note with a valid entry in
the claims register becomes one ``ClaimReview``: the claim, our verdict as the rating's
``alternateName``, the publisher as author, the edition's date, the note's address (page and
anchor) and, as ``itemReviewed``, a ``Claim`` that appears in the source document. Only the
web site carries it: EPUB content documents may not hold scripts without declaring them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classbook.builders import context
from classbook.ext import register

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def reviews(app: Sphinx, docname: str) -> list[dict[str, Any]]:
    """The ``ClaimReview`` objects for the notes of ``docname`` (none if it has no notes)."""
    notes = getattr(app.env, "classbook_claims", {}).get(docname, [])
    if not notes:
        return []
    claims = {
        claim.id: claim
        for claim in register.read_claims(
            app.env, Path(app.srcdir, app.config.classbook_claims_file)
        )
    }
    config = app.config
    author = {"@type": "Organization", "name": config.classbook_publisher or config.author}
    source = {
        "@type": "CreativeWork",
        "name": config.classbook_source_title or config.project,
        "description": "The anonymous source text reproduced verbatim in this book",
    }
    page = context.page_url(app, docname)
    found = []
    for note in notes:
        claim = claims.get(str(note["label"]).removeprefix("note-"))
        if claim is None:
            continue  # the whole-book check has reported it
        found.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                # Without a known address, the note's anchor on this very page.
                "url": f"{page}#{note['label']}",
                "claimReviewed": claim.claim,
                "reviewBody": " ".join(claim.record.split()),
                "author": author,
                "datePublished": context.build_date().date().isoformat(),
                "reviewRating": {"@type": "Rating", "alternateName": claim.verdict_text},
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {"@type": "Person", "name": "Anonymous"},
                    "appearance": source,
                },
            }
        )
    return found


def add_markup(
    app: Sphinx, pagename: str, templatename: str, ctx: dict[str, Any], doctree: Any
) -> None:
    """Append the page's ``ClaimReview`` JSON-LD to its head (web site only)."""
    if app.builder.name != "html" or doctree is None:
        return
    found = reviews(app, pagename)
    if not found:
        return
    # "</" may not appear inside a script element; JSON allows escaping the slash.
    data = json.dumps(found, ensure_ascii=False, indent=1).replace("</", "<\\/")
    ctx["metatags"] = ctx.get("metatags", "") + (
        f'\n<script type="application/ld+json">\n{data}\n</script>\n'
    )


def setup(app: Sphinx) -> None:
    """Configuration (the source document's title) and the page hook."""
    app.connect("html-page-context", add_markup)
