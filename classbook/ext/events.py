"""The timeline's events: read and checked from their data file, grouped into the chart's
panels, and said in words (dates, the chart's alternative text)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from classbook.ext import schemas, yamldata

#: Events further apart than this go into separate panels of the chart.
GAP = timedelta(days=180)


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


def clusters(events: Sequence[Event]) -> list[list[Event]]:
    """Events in date order, split where nothing happens for longer than :data:`GAP`."""
    groups: list[list[Event]] = []
    for event in events:
        if groups and event.first - max(e.last for e in groups[-1]) <= GAP:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def years(group: Sequence[Event]) -> str:
    first, last = group[0].first.year, max(e.last for e in group).year
    return str(first) if first == last else f"{first}\u2013{last}"
