"""The one check of every YAML file we read: a pydantic model, each error on its file line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from classbook.ext import yamldata
from classbook.ext.schemas.base import ITEM_ERROR

Model = TypeVar("Model", bound=BaseModel)
Value = TypeVar("Value")


def validate(
    model: type[Model], records: Iterable[Value], context: Mapping[str, Any] | None = None
) -> tuple[list[tuple[Value, Model]], list[tuple[int, str]]]:
    """Each record (as :mod:`~classbook.ext.yamldata` read it) as ``model``, and (line,
    message) for every problem of every record; ``context`` is what the validators look
    things up in (BibTeX entries, the book's chapters, paper sizes)."""
    valid: list[tuple[Value, Model]] = []
    problems: list[tuple[int, str]] = []
    for record in records:
        try:
            # A fresh context for each record: validators may not leak state between entries.
            valid.append((record, model.model_validate(record, context=dict(context or {}))))
        except ValidationError as error:
            found = [(_line(record, e["loc"]), _message(model, e)) for e in error.errors()]
            # pydantic reports in the model's field order; the author reads top to bottom.
            problems += sorted(found, key=lambda problem: problem[0])
    return valid, problems


def keys(model: type[BaseModel]) -> list[str]:
    """The keys a mapping of ``model`` may have, in the order the model declares them."""
    return [field.alias or name for name, field in model.model_fields.items()]


def kind(value: object) -> str:
    """What a YAML value is, in the words of an error message."""
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "nothing"}[value]
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, dict) else repr(value)


# -- Where: the line of the value an error is about ---------------------------------------------


def _line(record: object, loc: Sequence[int | str]) -> int:
    """The line of the value at ``loc`` inside ``record``: its key's line, or its item's."""
    node: Any = record
    line = getattr(record, "line", 1)
    for step in loc:
        if isinstance(node, yamldata.Record) and isinstance(step, str):
            line = node.line_of(step)
            node = node.get(step)
        elif isinstance(node, yamldata.Items) and isinstance(step, int):
            line = node.line_of(step)
            node = node[step] if step < len(node) else None
        else:
            break
    return line


# -- What: a sentence the author can act on -------------------------------------------------------

#: Friendly sentences by pydantic error type: (key, where the error is, error) -> message.
Friendly = Callable[[str, "_Place", Mapping[str, Any]], str]


class _Place:
    """The mapping an error is in (its model) and the field it names there, if any."""

    def __init__(self, model: type[BaseModel], field: FieldInfo | None) -> None:
        self.model = model
        self.field = field

    @property
    def advice(self) -> str:
        """What to write, as the field's description says (empty when it has none)."""
        description = self.field.description if self.field is not None else None
        return f"; {description}" if description else ""

    @property
    def keys(self) -> str:
        return ", ".join(keys(self.model))

    @property
    def required(self) -> str:
        fields = self.model.model_fields.items()
        return ", ".join(field.alias or name for name, field in fields if field.is_required())

    @property
    def inner_keys(self) -> str:
        """The keys of the mapping the field holds (for a list of mappings)."""
        nested = _nested(self.field) if self.field is not None else None
        return ", ".join(keys(nested or self.model))


def _mapping(key: str, place: _Place, error: Mapping[str, Any]) -> str:
    what = f"each item of '{key}'" if key else "the entry"
    return (
        f"{what} must be a YAML mapping of 'key: value' lines with the keys "
        f"{place.inner_keys if key else place.keys}, not {kind(error.get('input'))}"
    )


def _date(key: str, place: _Place, error: Mapping[str, Any]) -> str:
    return (
        f"{key} '{error.get('input')}' is not a calendar date; write it as YYYY-MM-DD"
        + place.advice
    )


def _a_list(key: str, place: _Place, error: Mapping[str, Any]) -> str:
    return f"'{key}' must be a list, not {kind(error.get('input'))}" + place.advice


MESSAGES: dict[str, Friendly] = {
    "missing": lambda key, place, _e: (
        f"'{key}' is missing" + (place.advice or f"; every entry needs {place.required}")
    ),
    "extra_forbidden": lambda key, place, _e: f"unknown key '{key}'; the keys are {place.keys}",
    "literal_error": lambda key, _p, e: (
        f"{key} '{e.get('input')}' is not one of "
        + ", ".join(re.findall(r"'([^']*)'", str(e["ctx"]["expected"])))
    ),
    "too_short": lambda key, place, _e: (
        f"has no {key}{place.advice}" if place.advice else f"'{key}' is empty"
    ),
    "string_too_short": lambda key, _p, _e: f"'{key}' is empty; write its text",
    "string_type": lambda key, _p, e: (
        f"'{key}' must be text, not {kind(e.get('input'))}; put it in quotes if needed"
    ),
    "string_pattern_mismatch": lambda key, _p, _e: (
        f"the {key} must be lower-case words joined by hyphens, like 'toll-overview'"
    ),
    "list_type": _a_list,
    "set_type": _a_list,
    "frozen_set_type": _a_list,
    "model_type": _mapping,
    "dict_type": _mapping,
    "date_type": _date,
    "date_parsing": _date,
    "date_from_datetime_parsing": _date,
    "date_from_datetime_inexact": _date,
    "value_error": lambda _key, _p, e: str(e["ctx"]["error"]),
    ITEM_ERROR: lambda _key, _p, e: str(e["msg"]),
}


def _message(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    """A friendly sentence for one pydantic error."""
    names = [str(step) for step in error["loc"] if not isinstance(step, int)]
    key = names[-1] if names else ""
    friendly = MESSAGES.get(str(error["type"]))
    if friendly is None:
        return f"{key}: {error['msg']}" if key else str(error["msg"])
    return friendly(key, _place(model, error["loc"]), error)


def _place(model: type[BaseModel], loc: Sequence[int | str]) -> _Place:
    """The innermost mapping at ``loc`` and the field its last key names."""
    current: type[BaseModel] = model
    field: FieldInfo | None = None
    for step in loc:
        if isinstance(step, int):
            continue
        if field is not None:
            nested = _nested(field)
            if nested is None:
                break
            current = nested
        field = _by_key(current).get(step)
        if field is None:
            break
    return _Place(current, field)


def _by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _nested(field: FieldInfo) -> type[BaseModel] | None:
    """The model of the mappings a field holds (itself, or the items of its list)."""
    for candidate in (field.annotation, *get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
