"""The operators of a PDF content stream found in its bytes, for edits without a parse."""

from __future__ import annotations

import re

# Parsing every page with pikepdf took most of the numbering's time and a seventh of a
# render's repairs. Both read five operators (TJ, BDC, BMC, EMC, Tf); one regular expression
# finds them in the bytes. A stream it cannot read one for one (an operator in a string, a
# nested dictionary, an escaped name) is left to pikepdf by the caller.

END = rb"(?=[\s\[\]<>(){}/%]|\Z)"
START = rb"(?<![^\s\[\]<>(){}/%])"
LITERAL = rb"\((?:[^\\()]|\\.)*\)"
HEX = rb"<[0-9A-Fa-f\s]*>"
NUMBER = rb"[-+]?(?:\d+\.?\d*|\.\d+)"
NAME = rb"/[^\s\[\]<>(){}/%#]*"
SCAN = re.compile(
    b"|".join(
        [
            # Possessive (*+): a dash array, "[2.4 2.4] 0 d", is no TJ, and backtracking
            # into its numbers to split them every other way took 20 ms an array.
            rb"(?P<tj>\[(?P<array>(?:\s|%s|%s|%s)*+)\]\s*TJ)%s" % (HEX, LITERAL, NUMBER, END),
            rb"(?P<string>%s)" % LITERAL,
            rb"(?P<bdc>(?P<tag>%s)\s*(?:<<[^<>]*?/MCID\s+(?P<mcid>\d+)[^<>]*>>|<<[^<>]*>>|%s)"
            rb"\s*BDC)%s" % (NAME, NAME, END),
            rb"(?P<bmc>(?P<btag>%s)\s*BMC)%s" % (NAME, END),
            rb"%s(?P<emc>EMC)%s" % (START, END),
            rb"(?P<tf>(?P<font>%s)\s+%s\s+Tf)%s" % (NAME, NUMBER, END),
        ]
    ),
    re.S,
)
#: Every one of the five operators, wherever it stands (strings included): the scan must
#: have found each of them.
OPERATORS = re.compile(START + rb"(?:TJ|BDC|BMC|EMC|Tf)" + END)


def scan(raw: bytes) -> list[re.Match[bytes]] | None:
    """The TJ, BDC, BMC, EMC and Tf operators of a content stream's bytes (and its strings)
    as matches of one pattern, or None when they cannot all be found one for one."""
    if b"\r" in raw:
        return None  # a carriage return can only be in a string: pikepdf reads it
    matches = list(SCAN.finditer(raw))
    # Every occurrence of an operator's letters (in names and strings too) being found
    # proves that all were; else the count of those standing as operators decides.
    found = sum(1 for match in matches if match.lastgroup != "string")
    if sum(map(raw.count, (b"TJ", b"BDC", b"BMC", b"EMC", b"Tf"))) != found and found != len(
        OPERATORS.findall(raw)
    ):
        return None
    return matches
