"""The timeline's chart: matplotlib draws the events in panels on one time scale, as SVG."""

from __future__ import annotations

import calendar
import io
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from classbook.ext.events import Event, clusters, format_date, years

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

#: Days of margin either side of the events in each panel, and a panel's narrowest span.
PAD_DAYS, MIN_DAYS = 12, 40
_FONTS = Path(__file__).parents[1] / "themes" / "print" / "static" / "fonts"
#: Chart geometry, in inches: the print text block is 170 mm wide.
WIDTH, ROW, TOP, BOTTOM = 6.6, 0.27, 0.42, 0.68
FONT_SIZE = 8.5


class _Marker(TypedDict):
    """How the chart marks an event of one kind (Line2D's keyword arguments)."""

    marker: str
    markersize: float
    markerfacecolor: str


_STYLE: dict[str, _Marker] = {
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

    style: dict[RcKeyType, Any] = {
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
            ax.set_title(years(group), fontweight="bold", fontsize=FONT_SIZE + 0.5, pad=4)
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
    # Any, as plot's **kwargs are: to mypy, a dict of objects could also fill ``scalex``.
    mark: dict[str, Any] = {
        "marker": [(-1, -1.6), (1, 1.6)],
        "markersize": 8,
        "markeredgewidth": 0.9,
    }
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
