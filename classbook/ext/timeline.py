"""The timeline: a chart drawn at build time from dated, sourced events, and the same as a table.

The ``{timeline}`` directive reads ``classbook_timeline_file`` (a YAML list of events:
``date``, optional ``end`` and ``precision``, ``label``, ``description``, ``sources``),
draws the chart with matplotlib as a reproducible SVG, and follows it with a table of
the same events for screen readers. Every problem is a warning naming the data file and
the entry's line, so ``-W`` fails the build.

The chart is legible in black and white: each event has its own row with its date and
label as text, the kind of event is told by the marker's shape, and panels on one time
scale cut out the years in which nothing is listed (1982 and 2012 are thirty years apart).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from classbook.ext.chart import render_svg
from classbook.ext.datafiles import (
    Cell,
    call_role,
    data_path,
    known_keys,
    load,
    make_table,
    note_dependencies,
    report,
)
from classbook.ext.events import alt_text, format_date, parse_events, years

if TYPE_CHECKING:
    from docutils.nodes import Node
    from sphinx.application import Sphinx


# -- The directive ------------------------------------------------------------------------


class Timeline(SphinxDirective):
    """The timeline chart with a caption and alt text, then the same events as a table."""

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "file": directives.unchanged_required,
        "caption": directives.unchanged,
        "alt": directives.unchanged,
    }

    def run(self) -> list[Node]:
        if (found := data_path(self, "classbook_timeline_file")) is None:
            return []
        _relative, path = found
        note_dependencies(self, path)
        entries, bibfiles = known_keys(self.env)
        events, problems = parse_events(load(self.env, path), entries, bibfiles)
        for line, what, message in problems:
            report(path, Path(self.env.srcdir), line, what, message)
        if not events:
            if not problems:
                report(path, Path(self.env.srcdir), 0, "timeline", "lists no events")
            return []
        svg = self._write_svg(render_svg(events))
        docdir = Path(self.env.doc2path(self.env.docname)).parent
        image = nodes.image(
            uri=Path(os.path.relpath(svg, docdir)).as_posix(),
            alt=self.options.get("alt") or alt_text(events),
            classes=["classbook-timeline"],
        )
        caption = self.options.get("caption") or (
            f"Timeline, {years(events)}: each row is one event. The panels share one time "
            "scale; the // marks show where years with no listed event are cut out. The "
            "table below gives the same events with their sources."
        )
        figure = nodes.figure("", image, nodes.caption(caption, caption))
        figure["classes"].append("timeline-figure")
        self.set_source_info(figure)
        self.set_source_info(image)
        rows: list[list[Cell]] = [
            [
                format_date(event),
                [
                    nodes.strong(event.label, event.label),
                    nodes.Text(". " if event.description else ""),
                    nodes.Text(event.description),
                ],
                call_role(self, "cite", "p", ",".join(event.sources)),
            ]
            for event in events
        ]
        table = make_table(
            "The events of the timeline, with their sources",
            ("Date", "Event", "Sources"),
            (18, 64, 18),
            rows,
            classes=["timeline-table"],
        )
        self.set_source_info(table)
        return [figure, table]

    def _write_svg(self, svg: bytes) -> Path:
        """Keep the chart beside the doctrees (never in the sources); the builders copy it."""
        folder = Path(self.env.doctreedir) / "classbook"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"timeline-{hashlib.sha256(svg).hexdigest()[:16]}.svg"
        if not target.is_file() or target.read_bytes() != svg:
            partial = target.with_name(f"{target.name}.{os.getpid()}.part")
            partial.write_bytes(svg)
            partial.replace(target)
        return target


def setup(app: Sphinx) -> None:
    """Register the directive and its data file's configuration value."""
    app.add_directive("timeline", Timeline)
