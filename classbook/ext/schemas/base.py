"""The building blocks the schemas share: a strict mapping, dates, BibTeX keys, item errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The error type of a problem a validator found in one item of a list.
ITEM_ERROR = "item"


class Strict(BaseModel):
    """A mapping of known keys only; text values are stripped, and none may be empty."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_min_length=1)


def _iso_text(value: Any) -> Any:
    # pydantic would also take 1 March 2001 as a Unix time stamp and other date shapes:
    # the data files write dates one way only.
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return value.strip()
    raise PydanticCustomError("date_parsing", "not a date written YYYY-MM-DD")


#: A calendar date written YYYY-MM-DD (the loader keeps dates as text, so each is checked here).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_text)]


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


#: Text that may be left out or empty (``course:`` with nothing after it is no course).
OptionalText = Annotated[str, Field(min_length=0), BeforeValidator(_none_is_empty)]


def _known_key(key: str, info: ValidationInfo) -> str:
    context = info.context or {}
    entries = context.get("entries")
    if entries is not None and key not in entries:
        files = ", ".join(context.get("bibfiles", ())) or "the BibTeX files"
        raise ValueError(f"'{key}' is not a key in {files}")
    return key


#: A BibTeX key; with ``entries`` (and ``bibfiles``) in the context, one they define.
BibKey = Annotated[str, AfterValidator(_known_key)]


def item_errors(model: str, problems: Sequence[tuple[int, Any, str]]) -> ValidationError:
    """An error for each ``(index, item, message)`` of a list a validator checked as a whole,
    so that each message stands on its item's own line."""
    return ValidationError.from_exception_data(
        model,
        [
            InitErrorDetails(
                type=PydanticCustomError(ITEM_ERROR, "{message}", {"message": message}),
                loc=(index,),
                input=item,
            )
            for index, item, message in problems
        ],
    )
