"""Which render service a build's builders submit their PDFs to, handed over explicitly.

``python -m classbook build`` makes each Sphinx application as a :class:`ClassbookSphinx`
with the build's one render service (or, in the teacher edition's process, a forwarder to
it); a builder asks :func:`rendering` for it. Under a plain ``sphinx-build`` there is none:
a print builder starts a service of its own, lays out and merges its PDFs itself and reports
WeasyPrint's messages into Sphinx's log (``Rendering.own``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sphinx.application import Sphinx

if TYPE_CHECKING:
    from classbook.render.service import RenderSink


class ClassbookSphinx(Sphinx):
    """A Sphinx application that runs inside a classbook build, with the build's render
    service (set before the builder is made, so it is there from the builder's ``init``).

    ``provisional``: a live preview's site, written before the other outputs
    (publish/preview.py): a download not built yet is left out, not an error; the build of
    every output that follows it brings the downloads.
    """

    def __init__(
        self, *args: Any, render_sink: RenderSink, provisional: bool = False, **kwargs: Any
    ) -> None:
        self.render_sink = render_sink
        self.provisional = provisional
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Rendering:
    """A builder's render service, and whether it is the builder's own (it then waits for
    its PDFs and reports their messages itself)."""

    sink: RenderSink
    own: bool


def handed(app: Sphinx) -> RenderSink | None:
    """The render service of the build this application runs in, or None (a plain
    ``sphinx-build``)."""
    return app.render_sink if isinstance(app, ClassbookSphinx) else None


def provisional(app: Sphinx) -> bool:
    """Whether this application writes a live preview's site before its downloads."""
    return isinstance(app, ClassbookSphinx) and app.provisional


def own_service(app: Sphinx) -> Rendering:
    """The build's service, or a new one of the builder's own: started as reading starts
    (its workers set WeasyPrint up while Sphinx reads) and stopped when the build ends
    (Sphinx emits build-finished after a failure too)."""
    if (sink := handed(app)) is not None:
        return Rendering(sink, own=False)
    from classbook.render.service import RenderService

    # The book is merged in the waiting thread, the idle workers stopped first (a smaller
    # peak than a merge beside them).
    service = RenderService(merge_in_caller=True)
    app.connect("env-before-read-docs", lambda *_: service.start(), 500)
    app.connect("build-finished", lambda *_: service.close(), 1)
    return Rendering(service, own=True)
