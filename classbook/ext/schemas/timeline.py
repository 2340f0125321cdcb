"""The schema of the timeline (``_data/timeline.yml``): one dated, sourced event per entry."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import Field, ValidationInfo, field_validator

from classbook.ext.schemas.base import BibKey, IsoDate, Strict

#: Which part of an event's date is known.
Precision = Literal["day", "month", "year"]
PRECISIONS: tuple[str, ...] = get_args(Precision)


class TimelineEntry(Strict):
    """One event as the data file gives it (context: ``entries`` and ``bibfiles``)."""

    date: IsoDate = Field(
        description="when the day or month is not known, add 'precision: month' or 'year'"
    )
    end: IsoDate | None = None
    precision: Precision = "day"
    label: str = Field(description="give the event a short label")
    description: str = Field("", min_length=0)
    sources: list[BibKey] = Field(
        min_length=1, description="list at least one BibTeX key under 'sources'"
    )

    @field_validator("end")
    @classmethod
    def _not_before(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("date")
        if end is not None and start is not None and end < start:
            raise ValueError(f"end {end} is before the date {start}")
        return end
