"""What the data directives share (the claims register, the timeline): their data files read
through the book's gate, the BibTeX keys they cite, the tables they make, their messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from classbook.ext import safety, yamldata

if TYPE_CHECKING:
    from docutils.nodes import Node
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


def known_keys(env: BuildEnvironment) -> tuple[Any, list[str]]:
    """The BibTeX entries sphinxcontrib-bibtex read, and the names of its .bib files."""
    # The cite domain is sphinxcontrib-bibtex's, which holds bibdata; typed Domain here.
    bibdata = env.domains["cite"].bibdata  # type: ignore[attr-defined]
    return bibdata.data.entries, [Path(name).name for name in bibdata.bibfiles]


def data_path(directive: SphinxDirective, config_name: str) -> tuple[str, Path] | None:
    """The data file a directive names (``:file:``, relative to the source folder), or None
    when the book's gate refuses it (a warning at the directive says why); read it with
    :func:`load`."""
    relative = directive.options.get("file") or getattr(directive.config, config_name)
    path = Path(directive.env.srcdir, relative)
    try:
        safety.book_gate(directive.env).admit(path, what="data file")
    except FileNotFoundError:
        pass  # load() says so, naming the file
    except OSError as error:
        logger.warning(
            "%s: %s", directive.name, error, location=directive.get_location(),
            type="classbook", subtype="content",
        )  # fmt: skip
        return None
    return relative, path


def load(env: BuildEnvironment, path: Path) -> yamldata.DataFile:
    """A data file of the book, admitted by its gate (classbook.gate) before it is read."""
    return yamldata.load(path, safety.book_gate(env))


def note_dependencies(directive: SphinxDirective, path: Path) -> None:
    """Re-read the page when its data file or a BibTeX file changes."""
    directive.env.note_dependency(str(path))
    # sphinxcontrib-bibtex's cite domain, as in known_keys.
    for bibfile in directive.env.domains["cite"].bibdata.bibfiles:  # type: ignore[attr-defined]
        directive.env.note_dependency(str(bibfile))


def call_role(directive: SphinxDirective, domain: str, role: str, target: str) -> list[Node]:
    """The nodes a role such as ``{cite:p}`` makes, in either MyST or reST documents."""
    function = directive.env.domains[domain].role(role)
    if function is None:  # pragma: no cover - both domains always define these roles
        return [nodes.Text(target)]
    name = f"{domain}:{role}"
    made, messages = function(
        name, f":{name}:`{target}`", target, directive.lineno, directive.state.inliner, {}, []
    )
    return [*made, *messages]


Cell = str | Sequence["Node"]


def make_table(
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[Cell]],
    classes: Sequence[str] = (),
) -> nodes.table:
    """An accessible table: a caption, a header row, and the first column as row headers."""
    # The full width, so that the given column widths hold in narrow web layouts too.
    table = nodes.table(classes=["colwidths-given", *classes], width="100%")
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for number, width in enumerate(widths):
        group += nodes.colspec(colwidth=width, stub=1 if number == 0 else 0)
    head = nodes.thead()
    group += head
    head += _row(list(headers))
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, str):
            entry += nodes.paragraph(cell, cell)
        else:
            paragraph = nodes.paragraph()
            for node in cell:
                block = isinstance(node, (nodes.Body, nodes.system_message))
                (entry if block else paragraph).append(node)
            if paragraph.children:
                entry.insert(0, paragraph)
        row += entry
    return row


def report(path: Path, srcdir: Path, line: int, what: str, message: str) -> None:
    """One warning naming the data file and line: ``… (_data/claims.yml, line 12): …``."""
    logger.warning(
        "%s (%s): %s",
        what,
        yamldata.describe(path, srcdir, line),
        message,
        location=yamldata.where(path, line),
    )
