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

import calendar
import hashlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from classbook.ext import schemas, yamldata
from classbook.ext.register import (
    call_role,
    data_path,
    known_keys,
    load,
    make_table,
    note_dependencies,
    report,
)

if TYPE_CHECKING:
    from docutils.nodes import Node
    from matplotlib.axes import Axes
    from sphinx.application import Sphinx

#: Events further apart than this go into separate panels of the chart.
GAP = timedelta(days=180)
#: Days of margin either side of the events in each panel, and a panel's narrowest span.
PAD_DAYS, MIN_DAYS = 12, 40
_FONTS = Path(__file__).parents[1] / "themes" / "print" / "static" / "fonts"
#: Chart geometry, in inches: the print text block is 170 mm wide.
WIDTH, ROW, TOP, BOTTOM = 6.6, 0.27, 0.42, 0.68
FONT_SIZE = 8.5


@dataclass(frozen=True)
class Event:
    """One dated event; ``precision`` says which part of ``start`` is known."""

    start: date
    end: date | None
    precision: str
    label: str
    description: str
    sources: tuple[str, ...]
    line: int

    @property
    def first(self) -> date:
        """The first day the event may cover."""
        if self.precision == "year":
            return self.start.replace(month=1, day=1)
        if self.precision == "month":
            return self.start.replace(day=1)
        return self.start

    @property
    def last(self) -> date:
        """The last day the event may cover."""
        if self.end is not None:
            return self.end
        if self.precision == "year":
            return self.start.replace(month=12, day=31)
        if self.precision == "month":
            days = calendar.monthrange(self.start.year, self.start.month)[1]
            return self.start.replace(day=days)
        return self.start

    @property
    def kind(self) -> str:
        """``day``, ``span`` (several known days) or ``approximate`` (day not known)."""
        if self.precision != "day":
            return "approximate"
        return "span" if self.end is not None else "day"


# -- Reading and checking the data ------------------------------------------------------


def parse_events(
    data: yamldata.DataFile, entries: Any, bibfiles: Sequence[str]
) -> tuple[list[Event], list[tuple[int, str, str]]]:
    """The valid events of ``data`` in date order, and ``(line, what, message)`` problems."""
    events: list[Event] = []
    problems = [(line, "timeline", message) for line, message in data.problems]
    context = {"entries": entries, "bibfiles": bibfiles}
    for number, record in enumerate(data.records, start=1):
        label = record.get("label")
        what = f"timeline event '{label}'" if label else f"timeline entry {number}"
        valid, found = schemas.validate(schemas.TimelineEntry, [record], context)
        problems += [(line, what, message) for line, message in found]
        for _record, entry in valid:
            events.append(
                Event(
                    start=entry.date,
                    end=entry.end,
                    precision=entry.precision,
                    label=" ".join(entry.label.split()),
                    description=" ".join(entry.description.split()),
                    sources=tuple(entry.sources),
                    line=record.line,
                )
            )
    events.sort(key=lambda event: (event.first, event.last))
    return events, problems


# -- Words: dates, the alt text ------------------------------------------------------------


def _day(day: date, *, short: bool, year: bool = True) -> str:
    month = calendar.month_abbr[day.month] if short else calendar.month_name[day.month]
    return f"{day.day} {month}" + (f" {day.year}" if year else "")


def format_date(event: Event, *, short: bool = False) -> str:
    """``3–4 February 2012``, ``March 2011``; ``short`` abbreviates the month."""
    start, end = event.start, event.end
    if event.precision == "year":
        text = str(start.year)
    elif event.precision == "month":
        month = calendar.month_abbr if short else calendar.month_name
        text = f"{month[start.month]} {start.year}"
    elif end is None or end == start:
        return _day(start, short=short)
    elif (end.year, end.month) == (start.year, start.month):
        return f"{start.day}\u2013{_day(end, short=short)}"
    elif end.year == start.year:
        return f"{_day(start, short=short, year=False)} \u2013 {_day(end, short=short)}"
    else:
        return f"{_day(start, short=short)} \u2013 {_day(end, short=short)}"
    return f"{text} \u2013 {_day(end, short=short)}" if end is not None else text


def clusters(events: Sequence[Event]) -> list[list[Event]]:
    """Events in date order, split where nothing happens for longer than :data:`GAP`."""
    groups: list[list[Event]] = []
    for event in events:
        if groups and event.first - max(e.last for e in groups[-1]) <= GAP:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _years(group: Sequence[Event]) -> str:
    first, last = group[0].first.year, max(e.last for e in group).year
    return str(first) if first == last else f"{first}\u2013{last}"


def alt_text(events: Sequence[Event]) -> str:
    """One sentence that says what the chart shows, for readers who cannot see it."""
    parts = []
    for group in clusters(events):
        if len(group) == 1:
            parts.append(f"{group[0].label} ({format_date(group[0])})")
        else:
            first, last = group[0], group[-1]
            parts.append(
                f"{len(group)} events from {format_date(first)} ({first.label}) "
                f"to {format_date(last)} ({last.label})"
            )
    listed = "; ".join(parts[:-1]) + ("; and " if len(parts) > 1 else "") + parts[-1]
    panels = len(parts)
    return (
        f"Timeline chart of {len(events)} dated events"
        + (f" in {panels} panels on one time scale" if panels > 1 else "")
        + f": {listed}. The table after the chart lists every event with its sources."
    )


# -- The chart -------------------------------------------------------------------------------

_STYLE = {
    "day": {"marker": "o", "markersize": 6.5, "markerfacecolor": "black"},
    "span": {"marker": "s", "markersize": 6, "markerfacecolor": "black"},
    "approximate": {"marker": "D", "markersize": 6, "markerfacecolor": "white"},
}
_LEGEND = {
    "day": "one day",
    "span": "several days (bar: first to last day)",
    "approximate": "day not known (bar: the month)",
}
_fonts_added = False


def _add_fonts() -> list[str]:
    """Draw with the book's sans-serif (Noto Sans) when its files are there."""
    global _fonts_added  # noqa: PLW0603 - matplotlib's font list is process-wide anyway
    from matplotlib import font_manager

    files = [_FONTS / "NotoSans-Regular.ttf", _FONTS / "NotoSans-Bold.ttf"]
    if not _fonts_added and all(f.is_file() for f in files):
        for file in files:
            font_manager.fontManager.addfont(str(file))
        _fonts_added = True
    return ["Noto Sans", "DejaVu Sans"] if _fonts_added else ["DejaVu Sans"]


def render_svg(events: Sequence[Event]) -> bytes:
    """The chart as SVG bytes; the same events always give the same bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    style = {
        "svg.hashsalt": "classbook-timeline",
        "svg.id": "classbook-timeline",
        "svg.fonttype": "path",
        "font.family": "sans-serif",
        "font.sans-serif": _add_fonts(),
        "font.size": FONT_SIZE,
        "axes.linewidth": 0.8,
        "xtick.major.size": 3,
        "xtick.color": "black",
        "text.color": "black",
        # Labels are text: "from $5 to $10" is two prices, not a formula in mathtext.
        "text.parse_math": False,
    }
    groups = clusters(events)
    rows = {id(event): row for row, event in enumerate(events)}
    with matplotlib.rc_context(style):
        height = TOP + ROW * len(events) + BOTTOM
        figure = Figure(figsize=(WIDTH, height))
        renderer = FigureCanvasAgg(figure).get_renderer()

        # The text column: measure the dates and labels, so nothing overlaps the panels.
        dates = [format_date(event, short=True) for event in events]
        labels = [event.label for event in events]
        date_w = _widest(figure, renderer, [*dates, "Date"])
        label_w = _widest(figure, renderer, [*labels, "Event"])
        gap = 0.12
        text_w = date_w + gap + label_w + gap
        top, bottom = 1 - TOP / height, BOTTOM / height
        text_ax = figure.add_axes((0, bottom, text_w / WIDTH, top - bottom))
        _rows_axes(text_ax, len(events))
        text_ax.set_xlim(0, text_w)
        text_ax.axis("off")
        for row, (when, label) in enumerate(zip(dates, labels, strict=True)):
            text_ax.text(0.04, row, when, va="center", ha="left", color="#333333")
            text_ax.text(0.04 + date_w + gap, row, label, va="center", ha="left")
        for x, head in ((0.04, "Date"), (0.04 + date_w + gap, "Event")):
            text_ax.text(x, -0.9, head, va="center", ha="left", fontweight="bold")

        # One panel per cluster, all on the same number of days per inch.
        spans = [_span(group) for group in groups]
        days = [(hi - lo).days for lo, hi in spans]
        space = 0.14  # inches between panels
        panels_w = WIDTH - text_w - 0.08 - space * (len(groups) - 1)
        grid = figure.add_gridspec(
            1,
            len(groups),
            left=text_w / WIDTH,
            right=1 - 0.08 / WIDTH,
            top=top,
            bottom=bottom,
            width_ratios=days,
            wspace=space / (panels_w / len(groups)),
        )
        axes = [figure.add_subplot(grid[0, index]) for index in range(len(groups))]
        for index, (ax, group, (lo, hi)) in enumerate(zip(axes, groups, spans, strict=True)):
            _panel(ax, group, (lo, hi), rows=rows, count=len(events))
            ax.set_title(_years(group), fontweight="bold", fontsize=FONT_SIZE + 0.5, pad=4)
            _break_marks(ax, left=index > 0, right=index < len(groups) - 1)

        kinds = [kind for kind in _STYLE if any(event.kind == kind for event in events)]
        handles = [
            Line2D([], [], color="black", linestyle="none", markeredgecolor="black", **_STYLE[k])
            for k in kinds
        ]
        figure.legend(
            handles,
            [_LEGEND[k] for k in kinds],
            loc="lower left",
            bbox_to_anchor=(0.0, 0.0),
            ncols=len(kinds),
            frameon=False,
            handletextpad=0.3,
            columnspacing=1.4,
            borderaxespad=0.2,
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _widest(figure: Any, renderer: Any, texts: Sequence[str]) -> float:
    """The width in inches of the widest of ``texts`` at the chart's font size."""
    widest = 0.0
    for text in texts:
        artist = figure.text(0, 0, text)
        widest = max(widest, artist.get_window_extent(renderer).width / figure.dpi)
        artist.remove()
    return widest


def _span(group: Sequence[Event]) -> tuple[date, date]:
    lo, hi = group[0].first, max(event.last for event in group) + timedelta(days=1)
    extra = max(0, MIN_DAYS - (hi - lo).days - 2 * PAD_DAYS)
    pad = timedelta(days=PAD_DAYS + extra // 2 + extra % 2)
    return lo - pad, hi + pad


def _rows_axes(ax: Axes, count: int) -> None:
    """Rows top to bottom, every other one shaded so the eye can follow it across."""
    ax.set_ylim(count - 0.5, -0.5)
    for row in range(0, count, 2):
        ax.axhspan(row - 0.5, row + 0.5, color="#e9e9e9", linewidth=0, zorder=0)


def _panel(
    ax: Axes,
    group: Sequence[Event],
    span: tuple[date, date],
    *,
    rows: dict[int, int],
    count: int,
) -> None:
    lo, hi = span
    _rows_axes(ax, count)
    ax.set_xlim(lo.toordinal(), hi.toordinal())
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", left=False, labelleft=False)
    months = []
    day = date(lo.year, lo.month, 1)
    while day <= hi:
        if day >= lo:
            months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    ax.set_xticks([m.toordinal() for m in months])
    ax.set_xticklabels([calendar.month_abbr[m.month] for m in months])
    ax.tick_params(axis="x", pad=2)
    for month in months:
        ax.axvline(month.toordinal(), color="#b0b0b0", linewidth=0.5, linestyle=":", zorder=1)
    for event in group:
        row = rows[id(event)]
        first, last = event.first.toordinal(), event.last.toordinal() + 1
        kind = event.kind
        if kind != "day":
            line = "-" if kind == "span" else (0, (2, 1.2))
            width = 3.2 if kind == "span" else 1.4
            ax.plot(
                [first, last],
                [row, row],
                color="black",
                linestyle=line,
                linewidth=width,
                solid_capstyle="butt",
                zorder=2,
            )
        at = first + 0.5 if kind != "approximate" else (first + last) / 2
        ax.plot(
            [at],
            [row],
            color="black",
            markeredgecolor="black",
            linestyle="none",
            zorder=3,
            clip_on=False,
            **_STYLE[kind],
        )


def _break_marks(ax: Axes, *, left: bool, right: bool) -> None:
    """The // marks on the time axis where a panel's years are cut out."""
    mark = {"marker": [(-1, -1.6), (1, 1.6)], "markersize": 8, "markeredgewidth": 0.9}
    for x, wanted in ((0, left), (1, right)):
        if wanted:
            ax.plot(
                [x],
                [0],
                transform=ax.transAxes,
                color="black",
                linestyle="none",
                clip_on=False,
                **mark,
            )


# -- The directive ------------------------------------------------------------------------


class Timeline(SphinxDirective):
    """The timeline chart with a caption and alt text, then the same events as a table."""

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {  # type: ignore[misc]
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
            f"Timeline, {_years(events)}: each row is one event. The panels share one time "
            "scale; the // marks show where years with no listed event are cut out. The "
            "table below gives the same events with their sources."
        )
        figure = nodes.figure("", image, nodes.caption(caption, caption))
        figure["classes"].append("timeline-figure")
        self.set_source_info(figure)
        self.set_source_info(image)
        rows = [
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
    app.add_config_value("classbook_timeline_file", "_data/timeline.yml", "env", str)
    app.add_directive("timeline", Timeline)
