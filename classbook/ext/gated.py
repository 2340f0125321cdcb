"""The directives that read files, behind the book's gate: every path they name is admitted
(:mod:`classbook.gate`) before they run, and none of them fetches a URL.

Sphinx's ``literalinclude`` (its file and ``:diff:``), ``include`` in reStructuredText
(``eval-rst``) and ``csv-table`` (``:file:``; ``:url:`` is refused at parse time) are
replaced by these subclasses; ``raw`` is off altogether (:func:`classbook.ext.safety.raw_off`).
MyST's own ``{include}`` reads inside the read phase, where the gate's audit hook refuses a
file outside the book before it is opened. A refusal is one warning at the directive's line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.directives.code import LiteralInclude
from sphinx.directives.other import Include
from sphinx.directives.patches import CSVTable

from classbook.ext import safety

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def _refused(directive: Directive, path: str, why: str) -> list[nodes.Node]:
    message = (
        f"{directive.name} of {path} is refused: {why} (a book reads only files inside its "
        "own folder, and never the network)"
    )
    return [directive.state.document.reporter.warning(message, line=directive.lineno)]


def _admit(directive: Directive, name: str) -> str | None:
    """Why the file ``name`` (relative to the document, or to the book with a leading
    ``/``) may not be read, or None."""
    env = getattr(directive.state.document.settings, "env", None)
    if env is None:  # plain docutils (new-book reading a document's rST): no file is read
        return "no file is read outside the book's build"
    _relative, absolute = env.relfn2path(name, env.docname)
    try:
        safety.book_gate(env).admit(absolute, what="the file")
    except FileNotFoundError:
        return None  # the directive itself says it is missing
    except OSError as error:
        return str(error)
    return None


class GatedLiteralInclude(LiteralInclude):
    """``literalinclude``: its file and its ``:diff:`` file admitted by the gate first."""

    def run(self) -> list[nodes.Node]:
        for name in (self.arguments[0], self.options.get("diff")):
            if name and (why := _admit(self, name)) is not None:
                return _refused(self, name, why)
        return super().run()


class GatedInclude(Include):
    """reStructuredText's ``include`` (inside ``eval-rst``): its file admitted first."""

    def run(self) -> Any:
        name = self.arguments[0]
        if name.startswith("<") and name.endswith(">"):
            return super().run()  # docutils' own standard definitions
        if (why := _admit(self, name)) is not None:
            return _refused(self, name, why)
        return super().run()


class GatedCSVTable(CSVTable):
    """``csv-table``: a ``:file:`` admitted first; a ``:url:`` is never fetched."""

    # Sphinx's CSVTable.run returns list[Node], the docutils stubs' Sequence[table |
    # system_message]: no return type is both, and this one is Sphinx's.
    def run(self) -> list[nodes.Node]:  # type: ignore[override]
        if url := self.options.get("url"):
            return _refused(
                self, url, "a table's data is never fetched; save it in the book and use :file:"
            )
        if (name := self.options.get("file")) and (why := _admit(self, name)) is not None:
            return _refused(self, name, why)
        return super().run()


def setup(app: Sphinx) -> None:
    """Replace Sphinx's file-reading directives by the gated ones."""
    app.add_directive("literalinclude", GatedLiteralInclude, override=True)
    app.add_directive("include", GatedInclude, override=True)
    app.add_directive("csv-table", GatedCSVTable, override=True)
