"""TeX before temml sees it (numbered environments starred) and temml's errors as one message."""

from __future__ import annotations

import bisect
import re

#: amsmath environments that number their lines. Sphinx numbers display math itself, so they
#: go to temml starred: temml would otherwise write its own numbers (``<span class="tml-eqn">``
#: inside ``<mtext>``, drawn by CSS counters, not MathML Core).
NUMBERED = ("equation", "align", "gather", "multline", "flalign", "alignat", "eqnarray")
_NUMBERED = re.compile(r"\\(begin|end)\s*\{(" + "|".join(NUMBERED) + r")\}")


def normalise(tex: str) -> tuple[str, list[int]]:
    """``tex`` with its numbered environments starred, and the offsets (in the result) of the
    characters inserted, so a position temml reports maps back to the author's text."""
    inserted: list[int] = []
    parts: list[str] = []
    last = 0
    for match in _NUMBERED.finditer(tex):
        end = match.end(2)
        parts.append(tex[last:end])
        inserted.append(end + len(inserted))
        parts.append("*")
        last = end
    parts.append(tex[last:])
    return "".join(parts), inserted


def original_position(position: int, inserted: list[int]) -> int:
    """A 1-based position in the normalised TeX as a 1-based position in the author's TeX."""
    return position - bisect.bisect_left(inserted, position - 1)


# temml's ParseError: " <what> at position <n>: \n<context with the token underlined>" or
# " <what> at end of input: <context>"; the context is for a console, the position is enough.
_PARSE = re.compile(
    r"^\s*(?P<what>.*?)(?: at position (?P<pos>\d+):\s*\n.*| at end of input: .*)?$", re.S
)
#: temml's wording -> ours (what a teacher looks for in the formula).
_WORDS = (
    (
        re.compile(r"^(?:Undefined control sequence|Unsupported function name): ?"),
        "unknown command ",
    ),
    (re.compile(r"^No such environment: ?"), "unknown environment "),
    # trust: false in mathtool.mjs: a book's formula may not load files or make links.
    (re.compile(r'^function "(\\[^"]+)" is not trusted', re.I), r"\1 is not allowed in a formula"),
)


def parse_error_message(name: str, message: str, inserted: list[int]) -> str:
    """One line saying what is wrong with the TeX, from temml's error ``name`` and ``message``
    (``unknown command \\foo at position 3``). Not a ParseError is temml failing on input it
    should have rejected: say so, with its own words."""
    if name != "ParseError":
        return f"temml cannot convert this formula ({name}: {message.strip()})"
    match = _PARSE.match(message)
    what = (match.group("what") if match else message).strip()
    for pattern, words in _WORDS:
        what = pattern.sub(words, what)
    what = what[:1].lower() + what[1:]
    if match and match.group("pos"):
        what += f" at position {original_position(int(match.group('pos')), inserted)}"
    elif match and " at end of input" in message:
        what += " at the end of the formula"
    return " ".join(what.split())
