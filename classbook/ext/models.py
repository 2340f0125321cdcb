"""Schemas of the book's YAML data (pydantic), with each error mapped to its file line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from classbook.ext import yamldata
from classbook.sources import normalise

#: The verdict scale: one word per claim, printed as a word, never as a colour alone.
VERDICTS: dict[str, str] = {
    "supported": "Supported",
    "partly-supported": "Partly supported",
    "contradicted": "Contradicted",
    "disputed": "Disputed between sources",
    "not-found": "Not found in any source",
}
Verdict = Literal["supported", "partly-supported", "contradicted", "disputed", "not-found"]
#: An evidence quote is short: enough to show what the source says, no more.
MAX_QUOTE_WORDS = 40


class _Strict(BaseModel):
    """A mapping of known keys only; text values are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_min_length=1)


class Evidence(_Strict):
    """What one cited source says in support of (or against) a claim, and where we read it."""

    source: str
    quote: str
    where: str
    read_on: dt.date
    read_at: str
    reprint: str | None = None

    @field_validator("source")
    @classmethod
    def _known_key(cls, key: str, info: ValidationInfo) -> str:
        context = info.context or {}
        entries = context.get("entries")
        if entries is not None and key not in entries:
            files = ", ".join(context.get("bibfiles", ())) or "the BibTeX files"
            raise ValueError(f"'{key}' is not a key in {files}")
        return key

    @field_validator("quote")
    @classmethod
    def _short(cls, quote: str) -> str:
        words = len(quote.split())
        if words > MAX_QUOTE_WORDS:
            raise ValueError(
                f"the quote has {words} words; quote at most {MAX_QUOTE_WORDS} words of the source"
            )
        return quote

    @field_validator("read_at")
    @classmethod
    def _address(cls, address: str) -> str:
        if urlsplit(address).scheme not in {"http", "https"}:
            raise ValueError("give the http(s) address of the page the quote was read on")
        return address

    @model_validator(mode="after")
    def _reprint_named(self, info: ValidationInfo) -> Evidence:
        # A copy on another host is a reprint: say whose, so the original publisher (in the
        # BibTeX entry) and the site we actually read stay apart.
        entries = (info.context or {}).get("entries")
        if entries is None:
            return self
        entry = entries.get(self.source)
        original = entry.fields.get("url", "") if entry is not None else ""
        if self.reprint is None and not _same_host(original, self.read_at):
            raise ValueError(
                "read_at is not the original publisher's address (the entry's url); name the "
                "site that reprinted it under 'reprint'"
            )
        return self


class Claim(_Strict):
    """One checked claim of the source: what the record shows, the verdict and its evidence."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    chapter: str
    claim: str
    record: str
    reported_by: str
    verdict: Verdict
    evidence: list[Evidence] = Field(min_length=1)

    @field_validator("chapter")
    @classmethod
    def _chapter(cls, label: str, info: ValidationInfo) -> str:
        # Sphinx keeps labels in lower case, as the {ref} role looks them up.
        label = label.lower()
        chapters: Mapping[str, str | None] | None = (info.context or {}).get("chapters")
        if chapters is None:
            return label
        examples = _examples(chapters)
        if label not in chapters:
            raise ValueError(
                f"chapter '{label}' is not a label in the book; use the label on the chapter's "
                f"'({label})=' line, such as {examples}"
            )
        if chapters[label] is None:
            raise ValueError(
                f"'{label}' labels a page with no source text; name a chapter such as {examples}"
            )
        return label

    @field_validator("claim")
    @classmethod
    def _quoted(cls, claim: str, info: ValidationInfo) -> str:
        context = info.context or {}
        chapter = info.data.get("chapter")
        docname = context.get("chapters", {}).get(chapter) if chapter else None
        texts = context.get("texts", {})
        if docname in texts and normalise(claim) not in texts[docname]:
            raise ValueError(
                f"the claim {claim!r} is not in the source text of chapter '{chapter}' "
                f"({docname}); quote the source's words exactly"
            )
        return claim

    @property
    def sources(self) -> list[str]:
        """The cited BibTeX keys, in the order of the evidence, once each."""
        return list(dict.fromkeys(item.source for item in self.evidence))

    @property
    def verdict_text(self) -> str:
        return VERDICTS[self.verdict]


def _same_host(first: str, second: str) -> bool:
    def host(url: str) -> str:
        return re.sub(r"^www\.", "", urlsplit(url).netloc.lower())

    return bool(first) and host(first) == host(second)


def _examples(chapters: Mapping[str, str | None]) -> str:
    names = sorted(label for label, doc in chapters.items() if doc is not None)
    return ", ".join(f"'{name}'" for name in names[:4]) + (", …" if len(names) > 4 else "")


# -- Errors as the author reads them: "file, line N: what to do" -------------------------------


def _line(record: yamldata.Record, loc: Sequence[int | str]) -> int:
    """The line of the value at ``loc`` inside ``record`` (its nearest mapping's key line)."""
    node: Any = record
    line = record.line
    for step in loc:
        if isinstance(node, yamldata.Record) and isinstance(step, str):
            line = node.line_of(step)
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            line = node.line if isinstance(node, yamldata.Record) else line
        else:
            break
    return line


#: Friendly sentences by pydantic error type: (key, allowed keys, error) -> message.
MESSAGES: dict[str, Callable[[str, str, Mapping[str, Any]], str]] = {
    "missing": lambda key, keys, _e: f"'{key}' is missing; every entry needs {keys}",
    "extra_forbidden": lambda key, keys, _e: f"unknown key '{key}'; the keys are {keys}",
    "literal_error": lambda key, _k, e: (
        f"{key} '{e.get('input')}' is not one of "
        + (", ".join(VERDICTS) if key == "verdict" else str(e["ctx"]["expected"]))
    ),
    "too_short": lambda key, _k, _e: (
        "has no evidence; quote at least one cited source under 'evidence'"
        if key == "evidence"
        else f"'{key}' is empty"
    ),
    "string_too_short": lambda key, _k, _e: f"'{key}' is empty; write its text",
    "string_pattern_mismatch": lambda key, _k, _e: (
        f"the {key} must be lower-case words joined by hyphens, like 'toll-overview'"
    ),
    "value_error": lambda _key, _k, e: str(e["ctx"]["error"]),
}


def _message(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    """A friendly sentence for one pydantic error."""
    loc = [str(step) for step in error["loc"] if not isinstance(step, int)]
    key = loc[-1] if loc else ""
    kind = str(error["type"])
    if kind.startswith("date"):
        return f"{key} '{error.get('input')}' is not a date; write it as YYYY-MM-DD"
    friendly = MESSAGES.get(kind)
    if friendly is None:
        return f"{key}: {error['msg']}" if key else str(error["msg"])
    return friendly(key, ", ".join(_fields(model, error["loc"])), error)


def _fields(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys allowed at ``loc`` (the model of the innermost mapping)."""
    current: type[BaseModel] = model
    for step in loc[:-1]:
        field = current.model_fields.get(str(step)) if isinstance(step, str) else None
        inner = getattr(field.annotation, "__args__", ()) if field is not None else ()
        nested = next((t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if nested is not None:
            current = nested
    return [name for name, field in current.model_fields.items() if field.is_required()] + [
        f"(optional) {name}"
        for name, field in current.model_fields.items()
        if not field.is_required()
    ]


def validate(
    model: type[BaseModel], records: Iterable[yamldata.Record], context: Mapping[str, Any]
) -> tuple[list[tuple[yamldata.Record, BaseModel]], list[tuple[int, str]]]:
    """Each record as ``model``, and (line, message) for every problem of every record."""
    valid: list[tuple[yamldata.Record, BaseModel]] = []
    problems: list[tuple[int, str]] = []
    for record in records:
        try:
            valid.append((record, model.model_validate(dict(record), context=dict(context))))
        except ValidationError as error:
            for detail in error.errors():
                problems.append((_line(record, detail["loc"]), _message(model, detail)))
    return valid, problems
