"""The schemas of the YAML files the book reads, one module each, and the one check of them all.

Every file goes through :func:`validate`: its records (read by :mod:`classbook.ext.yamldata`,
which keeps each key's and each list item's line) against a pydantic model, with what the
validators need (BibTeX entries, the book's chapters, paper sizes) in the validation context;
each error comes back as (line, a sentence the author can act on).
"""

from classbook.ext.schemas.assignment import (
    INCLUDE_CHOICES,
    Assignment,
    Chapter,
    file_name_problem,
)
from classbook.ext.schemas.base import BibKey, IsoDate, OptionalText, Strict, item_errors
from classbook.ext.schemas.claims import MAX_QUOTE_WORDS, VERDICTS, Claim, Evidence, Verdict
from classbook.ext.schemas.timeline import PRECISIONS, Precision, TimelineEntry
from classbook.ext.schemas.validation import keys, kind, validate

__all__ = [
    "INCLUDE_CHOICES",
    "MAX_QUOTE_WORDS",
    "PRECISIONS",
    "VERDICTS",
    "Assignment",
    "BibKey",
    "Chapter",
    "Claim",
    "Evidence",
    "IsoDate",
    "OptionalText",
    "Precision",
    "Strict",
    "TimelineEntry",
    "Verdict",
    "file_name_problem",
    "item_errors",
    "keys",
    "kind",
    "validate",
]
