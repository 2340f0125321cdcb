"""The schema of the claims register (``_data/claims.yml``): claims and their evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from classbook.ext.schemas.base import BibKey, IsoDate, Strict
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
#: A version is named in words a later check can match (a time stamp, a dateline, wording).
MIN_VERSION_WORDS = 3


class Evidence(Strict):
    """What one cited source says in support of (or against) a claim, and where we read it.

    Context: ``entries`` (the BibTeX entries by key) and ``bibfiles`` (their files' names).
    """

    source: BibKey
    quote: str
    where: str
    read_on: IsoDate
    read_at: str
    reprint: str | None = None
    #: Which version of a report that changed during the day the copy carries (a time stamp,
    #: a dateline or wording only that version has), so a later check finds the same text.
    version: str | None = None

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

    @field_validator("version")
    @classmethod
    def _version_named(cls, version: str) -> str:
        if len(version.split()) < MIN_VERSION_WORDS:
            raise ValueError(
                "say which version the copy carries in words a later check can match, such as "
                "its time stamp or wording only it has, or leave 'version' out"
            )
        return version

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


class Claim(Strict):
    """One checked claim of the source: what the record shows, the verdict and its evidence.

    Context, besides the evidence's: ``chapters`` (each label's document, None for a label
    that is not a chapter) and ``texts`` (each chapter's source text, normalised).
    """

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    chapter: str
    claim: str
    record: str
    reported_by: str
    verdict: Verdict
    evidence: list[Evidence] = Field(
        min_length=1, description="quote at least one cited source under 'evidence'"
    )

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
