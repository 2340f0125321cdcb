"""A Markdown document's math as the book reads it: equation labels, pairs of dollars."""

from __future__ import annotations

import re

from markdown_it.token import Token

from classbook.sources.mdinline import Context
from classbook.sources.myst import parser


def equation_labels(tokens: list[Token]) -> set[str]:
    """The labels of the document's numbered equations, which ``{eq}`` refers to:
    ``$$ … $$ (label)`` and a ``{math}`` directive's ``:label:``."""
    labels = {t.info.strip() for t in tokens if t.type == "math_block_label"}
    for token in tokens:
        if token.type in {"fence", "colon_fence"} and token.info.strip().startswith("{math}"):
            found = re.search(r"^\s*:label:\s*(\S+)\s*$", token.content, re.M)
            labels.update([found.group(1)] if found else [])
    return labels


def spaced_dollars(context: Context, text: str, tokens: list[Token]) -> None:
    """Name each block where a pair of dollars with a space just inside it (``$x, $``) stays
    text under the book's dollar rules (myst.DOLLAR_RULES) though it reads as a formula."""
    lenient = parser(dmath_allow_space=True).parse(text, {})
    ours = [t for t in tokens if t.type == "inline"]
    theirs = [t for t in lenient if t.type == "inline"]
    if len(ours) != len(theirs):
        return  # the rule changes no block, only what is inside one: never expected

    def formulas(token: Token) -> int:
        return sum(child.type == "math_inline" for child in token.children or ())

    for strict, spaced in zip(ours, theirs, strict=True):
        if formulas(spaced) > formulas(strict):
            context.note(
                (strict.map or (0, 0))[0] + context.first_line,
                "a formula between dollars with a space just inside them ('$x, $') is kept "
                "as text, as pandoc reads it (so that prices stay text): to make it a formula, "
                "remove that space in the document and run new-book again",
            )
